#include "rtc/PushOffer.h"

namespace cs {

std::string announceH264Profile(std::string_view sdp, int payloadType) {
  const std::string prefix = "a=fmtp:" + std::to_string(payloadType) + " ";
  std::string out;
  out.reserve(sdp.size() + 64);
  size_t pos = 0;
  while (pos < sdp.size()) {
    size_t end = sdp.find('\n', pos);
    end = end == std::string_view::npos ? sdp.size() : end + 1;
    std::string_view line = sdp.substr(pos, end - pos);
    std::string_view eol;
    if (line.ends_with("\r\n"))
      eol = "\r\n";
    else if (line.ends_with("\n"))
      eol = "\n";
    std::string_view body = line.substr(0, line.size() - eol.size());
    out.append(body);
    if (body.starts_with(prefix)) {
      if (body.find("profile-level-id=") == std::string_view::npos)
        out.append(";profile-level-id=").append(kPushH264ProfileLevelId);
      if (body.find("level-asymmetry-allowed=") == std::string_view::npos)
        out.append(";level-asymmetry-allowed=1");
    }
    out.append(eol);
    pos = end;
  }
  return out;
}

}  // namespace cs
