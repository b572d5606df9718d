#include "rtc/IceFragment.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "util/ControlError.h"
#include "util/Utf8.h"

namespace cs {
namespace {

[[noreturn]] void bad(const std::string& why) {
  throw ControlError(ErrorKind::BadRequest, "malformed ICE fragment: " + why);
}

// RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/".
bool isIceChars(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/'; });
}

bool isDigits(std::string_view s, size_t maxLen) {
  return !s.empty() && s.size() <= maxLen &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool isIpLiteral(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 8839 §5.4: ufrag 4-256 ice-chars, pwd 22-256.
std::string credential(std::string_view value, const char* name, size_t minLen) {
  if (value.size() < minLen || value.size() > 256 || !isIceChars(value))
    bad(std::string("a=") + name + " must be " + std::to_string(minLen) +
        "-256 characters of A-Z a-z 0-9 + / (RFC 8839 section 5.4)");
  return std::string(value);
}

// RFC 8839 §5.1: candidate:<foundation> <component> <transport> <priority> <address> <port>
// typ <type> [raddr <a>] [rport <p>] *(<name> <value>). Returns the candidate as
// "candidate:…" when this server can use it, nullopt when it is to be discarded silently; throws
// when the line is malformed.
std::optional<std::string> candidate(std::string_view value) {
  std::vector<std::string> f;
  {
    std::istringstream in{std::string(value)};
    for (std::string t; in >> t;) {
      if (f.size() == 64) bad("a=candidate has too many fields");
      f.push_back(std::move(t));
    }
  }
  if (f.size() < 8 || f[6] != "typ") bad("a=candidate needs at least 8 fields, the 7th 'typ'");
  if (f[0].empty() || f[0].size() > 32 || !isIceChars(f[0])) bad("a=candidate foundation");
  if (!isDigits(f[1], 3)) bad("a=candidate component-id");
  if (f[2].empty()) bad("a=candidate transport");
  if (!isDigits(f[3], 10) || std::stoull(f[3]) > 0xffffffffULL) bad("a=candidate priority");
  if (!isDigits(f[5], 5) || std::stoul(f[5]) > 65535) bad("a=candidate port");
  if (f[4].empty() || f[4].size() > 255) bad("a=candidate connection-address");
  if ((f.size() - 8) % 2 != 0) bad("a=candidate extension without a value");
  // Usable here: UDP, component 1 (RTP and RTCP are muxed), an IP literal, a real port.
  if (!iequals(f[2], "udp") || f[1] != "1" || f[5] == "0" || !isIpLiteral(f[4]))
    return std::nullopt;
  std::string out = "candidate:" + f[0];
  for (size_t i = 1; i < f.size(); ++i) out += " " + f[i];
  return out;
}

}  // namespace

std::optional<std::string> IceFragment::effectiveUfrag() const {
  if (!media.empty() && media.front().ufrag) return media.front().ufrag;
  return ufrag;
}

std::optional<std::string> IceFragment::effectivePwd() const {
  if (!media.empty() && media.front().pwd) return media.front().pwd;
  return pwd;
}

IceFragment IceFragment::parse(std::string_view text) {
  if (text.size() > kMaxIceFragmentBytes)
    bad("longer than " + std::to_string(kMaxIceFragmentBytes) + " bytes");
  if (!isValidUtf8(text)) bad("not valid UTF-8");
  IceFragment frag;
  size_t lines = 0, pos = 0;
  bool any = false;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (++lines > kMaxIceFragmentLines)
      bad("more than " + std::to_string(kMaxIceFragmentLines) + " lines");
    if (line.size() > kMaxIceFragmentLineBytes)
      bad("a line is longer than " + std::to_string(kMaxIceFragmentLineBytes) + " bytes");
    for (unsigned char c : line)
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        bad("control character in line " + std::to_string(lines));
    if (line.empty()) continue;
    // RFC 8866 §5: every line is <type>=<value>, the type one letter.
    if (line.size() < 2 || line[1] != '=' || !std::isalpha(static_cast<unsigned char>(line[0])))
      bad("line " + std::to_string(lines) + " is not <type>=<value>");
    any = true;
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (type == 'm') {
      if (frag.media.size() == kMaxIceFragmentMedia)
        bad("more than " + std::to_string(kMaxIceFragmentMedia) + " m-lines");
      if (value.empty()) bad("empty m= line");
      frag.media.emplace_back();
      continue;
    }
    if (type != 'a') continue;  // v=, o=, s=, c=, t=: nothing the ICE agent needs
    const auto colon = value.find(':');
    const std::string_view key = value.substr(0, colon);
    const std::string_view arg =
        colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
    Media* m = frag.media.empty() ? nullptr : &frag.media.back();
    if (key == "ice-ufrag") {
      (m ? m->ufrag : frag.ufrag) = credential(arg, "ice-ufrag", 4);
    } else if (key == "ice-pwd") {
      (m ? m->pwd : frag.pwd) = credential(arg, "ice-pwd", 22);
    } else if (key == "mid") {
      if (!m) bad("a=mid before any m= line");
      if (arg.empty() || arg.size() > 64) bad("a=mid must be 1-64 characters");
      m->mid = std::string(arg);
    } else if (key == "candidate") {
      if (!m) m = &frag.media.emplace_back();  // RFC 8840 wants an m= line; some clients skip it
      if (auto c = candidate(arg))
        m->candidates.push_back(std::move(*c));
      else
        ++frag.discarded;
    } else if (key == "end-of-candidates") {
      (m ? m->endOfCandidates : frag.endOfCandidates) = true;
    } else if (key == "ice-options" && !m) {
      std::istringstream in{std::string(arg)};
      for (std::string t; in >> t;) {
        if (frag.iceOptions.size() == 16) bad("too many ice-options");
        frag.iceOptions.push_back(std::move(t));
      }
    } else if (key == "ice-lite" && !m) {
      frag.iceLite = true;
    }
    // Anything else (a=group, a=ice-pacing, …) is not for the ICE agent; ignored.
  }
  if (!any) bad("empty");
  if (frag.effectivePwd() && !frag.effectiveUfrag()) bad("a=ice-pwd without a=ice-ufrag");
  return frag;
}

std::string formatIceFragment(const std::string& ufrag, const std::string& pwd,
                              const std::vector<std::string>& iceOptions, bool iceLite,
                              const std::string& mediaKind, const std::string& mid,
                              const std::vector<std::string>& candidates) {
  std::string out;
  if (iceLite) out += "a=ice-lite\r\n";
  if (!iceOptions.empty()) {
    out += "a=ice-options:";
    for (size_t i = 0; i < iceOptions.size(); ++i) out += (i ? " " : "") + iceOptions[i];
    out += "\r\n";
  }
  out += "a=ice-ufrag:" + ufrag + "\r\n";
  out += "a=ice-pwd:" + pwd + "\r\n";
  // RFC 8840 §9: the m= line's port and formats are placeholders; a=mid names the m-line.
  out +=
      "m=" + (mediaKind.empty() ? std::string("audio") : mediaKind) + " 9 UDP/TLS/RTP/SAVPF 0\r\n";
  if (!mid.empty()) out += "a=mid:" + mid + "\r\n";
  for (const auto& c : candidates) out += "a=" + c + "\r\n";
  out += "a=end-of-candidates\r\n";
  return out;
}

}  // namespace cs
