#!/usr/bin/env bash
# Line coverage of each parser by its fuzz corpus (llvm-cov), for docs/security/FUZZING.md.
#   tests/fuzz/coverage.sh BUILD_DIR     (a COMFYSTREAM_SANITIZE build, after make fuzz)
# Recompiles only each target's parser file(s) with source-based coverage and links them ahead
# of the already-built core, so no second build of the tree is needed.
set -euo pipefail
build=$(cd "${1:?build dir}" && pwd)
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../.." && pwd)
out=$build/fuzz/coverage
mkdir -p "$out"
declare -A files=(
  [sdp_offer]="src/rtc/SdpOffer.cpp"
  [workflow]="src/workflow/Prompt.cpp src/workflow/CompiledGraph.cpp"
  [job_request]="src/byoc/JobRequest.cpp"
  [livepeer_header]="src/byoc/LivepeerHeader.cpp"
  [ice_server]="src/rtc/IceServer.cpp"
)
# The core's own compile line (include paths, definitions), taken from the build.
flags=$(python3 - "$build/compile_commands.json" <<'PY'
import json, shlex, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("src/rtc/IceServer.cpp"):
        args = shlex.split(e["command"])[1:]
        keep, skip = [], False
        for a in args:
            if skip: skip = False; continue
            if a in ("-o", "-c", "-MF", "-MT"): skip = True; continue
            if a.endswith(".cpp") or a == "-MD" or a.endswith("clang++"): continue
            keep.append(a)
        print(shlex.join(keep)); break
PY
)
for t in "${!files[@]}"; do
  objs=()
  for f in ${files[$t]} tests/fuzz/fuzz_$t.cpp; do
    o=$out/$(basename "$f" .cpp).o
    (cd "$build" && eval clang++ $flags -fprofile-instr-generate -fcoverage-mapping \
      -I"$root/src" -c "$root/$f" -o "$o")
    objs+=("$o")
  done
  # The target's own link line (core archive, system libraries), run where its paths are relative.
  libs=$(sed -n "s/.* -o fuzz_$t //p" "$build/tests/fuzz/CMakeFiles/fuzz_$t.dir/link.txt")
  (cd "$build/tests/fuzz" && clang++ -fsanitize=fuzzer,address,undefined -fprofile-instr-generate \
    "${objs[@]}" ../sanitizers/CMakeFiles/comfystream_sanitizer_defaults.dir/SanitizerDefaults.cpp.o \
    $libs -o "$out/cov_$t")
  LLVM_PROFILE_FILE=$out/$t.profraw "$out/cov_$t" -runs=0 "$build/fuzz/corpus/$t" "$src/corpus/$t" \
    >/dev/null 2>&1
  llvm-profdata merge -sparse "$out/$t.profraw" -o "$out/$t.profdata"
  srcs=()
  for f in ${files[$t]}; do srcs+=("$root/$f"); done
  echo "== $t"
  llvm-cov report "$out/cov_$t" -instr-profile="$out/$t.profdata" "${srcs[@]}" | tail -n +3
done
