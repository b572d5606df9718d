#!/usr/bin/env bash
# Runs the libFuzzer targets of a COMFYSTREAM_SANITIZE build.
#   tests/fuzz/run.sh BUILD_DIR replay        every checked-in corpus file once (regression)
#   tests/fuzz/run.sh BUILD_DIR fuzz [SECS]   fuzz each target SECS seconds (default 60)
# New inputs go to BUILD_DIR/fuzz/corpus/<target>, never into the checked-in corpus; crashes,
# leaks and timeouts are written to BUILD_DIR/fuzz/artifacts/. Exits non-zero on any finding.
set -uo pipefail
build=${1:?build dir}
mode=${2:?replay or fuzz}
secs=${3:-60}
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../.." && pwd)
# A target per corpus folder: tests/fuzz/corpus/<name> is fuzzed by fuzz_<name>.
targets=()
for d in "$src"/corpus/*/; do targets+=("$(basename "$d")"); done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0}

failed=()
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  [[ -x $bin ]] || { echo "fuzz: $bin is not built" >&2; exit 2; }
  dict=()
  [[ -f $src/$t.dict ]] && dict=(-dict="$src/$t.dict")
  log=$build/fuzz/logs/$t.$mode.log
  mkdir -p "$build/fuzz/logs" "$build/fuzz/artifacts" "$build/fuzz/corpus/$t"
  common=(-artifact_prefix="$build/fuzz/artifacts/$t-" -timeout=10 -rss_limit_mb=2048
          -max_len=65536 -print_final_stats=1 "${dict[@]}")
  start=$(date +%s)
  if [[ $mode == replay ]]; then
    "$bin" "${common[@]}" -runs=0 "$src/corpus/$t" >"$log" 2>&1
  else
    "$bin" "${common[@]}" -max_total_time="$secs" "$build/fuzz/corpus/$t" "$src/corpus/$t" \
      >"$log" 2>&1
  fi
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  printf 'fuzz %-8s %-16s rc=%d %4ds runs=%s exec/s=%s %s\n' "$mode" "$t" "$rc" \
    $(($(date +%s) - start)) "${runs:-?}" "${eps:-?}" "$cov"
  if ((rc != 0)); then
    failed+=("$t")
    tail -n 60 "$log" >&2
  fi
done
if ((${#failed[@]})); then
  echo "fuzz $mode: FAIL (${failed[*]}); logs in $build/fuzz/logs, inputs in $build/fuzz/artifacts"
  exit 1
fi
echo "fuzz $mode: PASS (${#targets[@]} targets)"
