#!/usr/bin/env bash
# Which folder of src/ may include which third-party library (docs/ARCHITECTURE.md, "Libraries").
# The build already refuses project headers a library does not link, and libnice's and OpenCV's
# headers below workflow; but SQLite, CLI11, Boost, libyuv, cpp-httplib and OpenSSL install into
# /usr/include, which every compile sees, all GStreamer libraries share one include directory,
# and OpenCV is visible above workflow (Value.h holds cv::Mat), so only this check keeps them in
# their folders. Exits 1 and names each offending line.
set -uo pipefail
cd "$(dirname "$0")/.."

# header (extended regex, after "#include <")  folders (or files) that may include it; each
# matches the PRIVATE or PUBLIC link of that library in src/<folder>/CMakeLists.txt
rules=(
  'sqlite3\.h>                   src/byoc/'
  'CLI/                          src/app/'
  'libyuv                        src/workflow/'
  'opencv2/                      src/workflow/'
  '(torch|ATen)/                 src/workflow/backends/TorchBackend.cpp'
  'boost/                        src/http/'
  'httplib\.h>                   src/rtc/ src/byoc/'
  'openssl/                      src/util/ src/rtc/ src/http/'
  'agent\.h>                     src/rtc/'
  'curl/                         src/trickle/'
  # WebRTC stays in the transport (util's GstPtr.h holds the owners of its objects)
  'gst/(webrtc|sdp)/             src/rtc/ src/util/GstPtr.h'
)

bad=0
for rule in "${rules[@]}"; do
  read -r pattern allowed <<<"$rule"
  while IFS= read -r hit; do
    file=${hit%%:*}
    ok=0
    for a in $allowed; do
      [[ $file == "$a" || ($a == */ && $file == "$a"*) ]] && ok=1
    done
    if ((!ok)); then
      echo "check-includes: $hit (only $allowed may include it)"
      bad=1
    fi
  done < <(grep -rnE "^\s*#\s*include\s*<$pattern" src)
done
((bad)) && exit 1
echo "check-includes: third-party includes stay in their folders"
