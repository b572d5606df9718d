#include "rtc/SdpOffer.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "util/ControlError.h"
#include "util/Utf8.h"

namespace cs {
namespace {

constexpr std::string_view kTwccUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

[[noreturn]] void bad(const std::string& why) {
  throw ControlError(ErrorKind::BadRequest, why);
}
[[noreturn]] void unusable(const std::string& why) {
  throw ControlError(ErrorKind::Unprocessable, why);
}

// RFC 8285 §5: an a=extmap value is "<id>[/<direction>] <URI> [<attributes>]", where the id is
// 1-14 for the one-byte header form and 1-255 for the two-byte form (0 and 15 are reserved in the
// one-byte form, which 1-14 avoids; the two-byte form allows 1-255). Anything else is refused here,
// before any caps are made from the media: every distinct id would otherwise become a GStreamer
// structure field name ("extmap-<id>", a GQuark) that is never freed, even when the offer is
// refused.
void checkExtmap(const char* value, const std::string& where, std::set<int>& seen) {
  const std::string v = value ? value : "";
  size_t i = 0;
  while (i < v.size() && i < 4 && v[i] >= '0' && v[i] <= '9') ++i;
  const int id = i > 0 && i <= 3 ? std::atoi(v.substr(0, i).c_str()) : -1;
  if (id < 1 || id > 255)
    bad("malformed SDP offer: " + where + " a=extmap id must be 1-255 (RFC 8285 section 5)");
  if (i < v.size() && v[i] == '/') {
    const auto sp = v.find(' ', i);
    const std::string dir = v.substr(i + 1, sp == std::string::npos ? sp : sp - i - 1);
    if (dir != "sendonly" && dir != "recvonly" && dir != "sendrecv" && dir != "inactive")
      bad("malformed SDP offer: " + where +
          " a=extmap direction must be sendonly, recvonly, "
          "sendrecv or inactive");
    i = sp == std::string::npos ? v.size() : sp;
  }
  if (i >= v.size() || v[i] != ' ' || v.find_first_not_of(' ', i) == std::string::npos)
    bad("malformed SDP offer: " + where + " a=extmap has no extension URI");
  if (!seen.insert(id).second)
    bad("malformed SDP offer: " + where + " a=extmap id " + std::to_string(id) + " is used twice");
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct RtpMap {
  std::string encoding;  // upper case
  int clockRate = 0;
  int channels = 1;
};

std::optional<RtpMap> rtpmapFor(const GstSDPMedia* m, int pt) {
  for (guint i = 0;; ++i) {
    const gchar* v = gst_sdp_media_get_attribute_val_n(m, "rtpmap", i);
    if (!v) return std::nullopt;
    std::istringstream in(v);
    int p = -1;
    std::string rest;
    if (!(in >> p >> rest) || p != pt) continue;
    RtpMap r;
    const auto s1 = rest.find('/');
    r.encoding = rest.substr(0, s1);
    std::transform(r.encoding.begin(), r.encoding.end(), r.encoding.begin(), ::toupper);
    if (s1 != std::string::npos) {
      const auto s2 = rest.find('/', s1 + 1);
      r.clockRate = std::atoi(rest.substr(s1 + 1, s2 - s1 - 1).c_str());
      if (s2 != std::string::npos) r.channels = std::atoi(rest.substr(s2 + 1).c_str());
    }
    return r;
  }
}

std::map<std::string, std::string> fmtpFor(const GstSDPMedia* m, int pt) {
  std::map<std::string, std::string> params;
  for (guint i = 0;; ++i) {
    const gchar* v = gst_sdp_media_get_attribute_val_n(m, "fmtp", i);
    if (!v) break;
    std::string s(v);
    const auto sp = s.find(' ');
    if (sp == std::string::npos || std::atoi(s.substr(0, sp).c_str()) != pt) continue;
    std::istringstream in(s.substr(sp + 1));
    std::string kv;
    while (std::getline(in, kv, ';')) {
      kv.erase(0, kv.find_first_not_of(' '));
      const auto eq = kv.find('=');
      if (eq != std::string::npos) params[lower(kv.substr(0, eq))] = kv.substr(eq + 1);
    }
  }
  return params;
}

std::string direction(const GstSDPMessage* msg, const GstSDPMedia* m) {
  for (const char* d : {"sendonly", "recvonly", "sendrecv", "inactive"})
    if (gst_sdp_media_get_attribute_val(m, d)) return d;
  for (const char* d : {"sendonly", "recvonly", "sendrecv", "inactive"})
    if (gst_sdp_message_get_attribute_val(msg, d)) return d;
  return "sendrecv";
}

bool hasAttribute(const GstSDPMessage* msg, const GstSDPMedia* m, const char* name) {
  return gst_sdp_media_get_attribute_val(m, name) || gst_sdp_message_get_attribute_val(msg, name);
}

std::vector<int> payloadTypes(const GstSDPMedia* m) {
  std::vector<int> pts;
  for (guint i = 0; i < gst_sdp_media_formats_len(m); ++i)
    pts.push_back(std::atoi(gst_sdp_media_get_format(m, i)));
  return pts;
}

// Higher is better for what we send to viewers: constrained baseline (42e0) decodes everywhere.
int h264Rank(const std::string& plid) {
  const std::string p = lower(plid);
  if (p.starts_with("42e0")) return 3;
  if (p.starts_with("42")) return 2;
  return 1;
}

CapsPtr capsFromOffer(const GstSDPMedia* m, int pt) {
  CapsPtr caps(gst_sdp_media_get_caps_from_media(m, pt));
  if (!caps) return caps;
  caps.reset(gst_caps_make_writable(caps.release()));
  GstStructure* s = gst_caps_get_structure(caps.get(), 0);
  gst_structure_set_name(s, "application/x-rtp");
  // Transport-wide congestion control feedback: without it in the codec preferences webrtcbin
  // answers no header extensions, and Chromium's upload stalls at ~300 kbps
  // (docs/GSTREAMER-NOTES.md §G10).
  for (guint i = 0;; ++i) {
    const gchar* v = gst_sdp_media_get_attribute_val_n(m, "extmap", i);
    if (!v) break;
    std::istringstream in(v);
    std::string id, uri;
    if (!(in >> id >> uri) || uri != kTwccUri) continue;
    // Validated by checkExtmap (1-255); normalised so "007" and "7" name one field.
    id = std::to_string(std::atoi(id.substr(0, id.find('/')).c_str()));
    gst_structure_set(s, ("extmap-" + id).c_str(), G_TYPE_STRING, uri.c_str(),
                      "rtcp-fb-transport-cc", G_TYPE_BOOLEAN, TRUE, nullptr);
  }
  return caps;
}

std::optional<MediaChoice> chooseVideo(const GstSDPMedia* m, unsigned index, OfferRole role) {
  std::optional<MediaChoice> best;
  int bestRank = 0;
  for (int pt : payloadTypes(m)) {
    const auto map = rtpmapFor(m, pt);
    if (!map || map->clockRate != 90000) continue;
    int rank = 0;
    MediaChoice c{MediaChoice::Kind::Video, index, pt, VideoCodec::VP8, {}, {}};
    if (map->encoding == "H264") {
      const auto fmtp = fmtpFor(m, pt);
      const auto pm = fmtp.find("packetization-mode");
      if (pm == fmtp.end() || pm->second != "1") continue;  // we packetize FU-A (mode 1) only
      c.videoCodec = VideoCodec::H264;
      if (auto it = fmtp.find("profile-level-id"); it != fmtp.end()) c.profileLevelId = it->second;
      rank = 10 + h264Rank(c.profileLevelId);
    } else if (map->encoding == "VP8") {
      rank = 5;
    } else {
      continue;
    }
    // A publisher's own order is its preference (setCodecPreferences); for viewers we prefer
    // H264, the seed's preferred egress codec, and fall back to VP8.
    if (role == OfferRole::Publisher) {
      best = std::move(c);
      break;
    }
    if (rank > bestRank) {
      bestRank = rank;
      best = std::move(c);
    }
  }
  return best;
}

std::optional<MediaChoice> chooseAudio(const GstSDPMedia* m, unsigned index) {
  for (int pt : payloadTypes(m)) {
    const auto map = rtpmapFor(m, pt);
    if (map && map->encoding == "OPUS" && map->clockRate == 48000)
      return MediaChoice{MediaChoice::Kind::Audio, index, pt, {}, {}, {}};
  }
  return std::nullopt;
}

}  // namespace

SdpOffer SdpOffer::parse(std::string_view text, OfferRole role) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) bad("empty SDP offer");
  // RFC 8866 §5: the first line is the version line, v=0.
  const auto eol = text.find('\n', first);
  std::string_view firstLine =
      text.substr(first, eol == std::string_view::npos ? eol : eol - first);
  if (!firstLine.empty() && firstLine.back() == '\r') firstLine.remove_suffix(1);
  if (firstLine != "v=0") bad("malformed SDP offer: the first line must be v=0");
  // Before anything parses it: text that is not UTF-8, or carries control characters, would
  // reach error messages and logs (and nlohmann's dump() throws on invalid UTF-8).
  if (!isValidUtf8(text)) bad("malformed SDP offer: not valid UTF-8");
  size_t lineStart = 0, lines = 0;
  for (size_t k = 0; k < text.size(); ++k) {
    const auto c = static_cast<unsigned char>(text[k]);
    if (c == '\n') {
      if (k - lineStart > kMaxSdpLineBytes)
        bad("malformed SDP offer: a line is longer than " + std::to_string(kMaxSdpLineBytes) +
            " bytes");
      lineStart = k + 1;
      if (++lines > kMaxSdpLines)
        bad("SDP offer has more than " + std::to_string(kMaxSdpLines) + " lines");
    } else if ((c < 0x20 && c != '\r' && c != '\t') || c == 0x7f) {
      bad("malformed SDP offer: control character in line " + std::to_string(lines + 1));
    }
  }
  if (text.size() - lineStart > kMaxSdpLineBytes)
    bad("malformed SDP offer: a line is longer than " + std::to_string(kMaxSdpLineBytes) +
        " bytes");

  GstSDPMessage* raw = nullptr;
  gst_sdp_message_new(&raw);
  SdpOffer offer;
  offer.msg_.reset(raw);
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(text.data()),
                                   static_cast<guint>(text.size()), raw) != GST_SDP_OK)
    bad("malformed SDP offer");
  if (gst_sdp_message_medias_len(raw) == 0) bad("malformed SDP offer: no m= line");
  if (!gst_sdp_message_get_origin(raw)->sess_id) bad("malformed SDP offer: no o= line");
  // Counts and a=extmap ids of every m-line, before any caps are made from any of them.
  if (gst_sdp_message_medias_len(raw) > kMaxSdpMediaSections)
    bad("SDP offer has more than " + std::to_string(kMaxSdpMediaSections) + " m-lines");
  if (gst_sdp_message_attributes_len(raw) > kMaxSdpAttributes)
    bad("SDP offer has more than " + std::to_string(kMaxSdpAttributes) + " session attributes");
  {
    std::set<int> sessionIds;
    for (guint a = 0;; ++a) {
      const gchar* v = gst_sdp_message_get_attribute_val_n(raw, "extmap", a);
      if (!v) break;
      checkExtmap(v, "session-level", sessionIds);
    }
  }
  for (guint i = 0; i < gst_sdp_message_medias_len(raw); ++i) {
    const GstSDPMedia* m = gst_sdp_message_get_media(raw, i);
    const std::string where = "m-line " + std::to_string(i);
    if (gst_sdp_media_attributes_len(m) > kMaxSdpAttributes)
      bad("SDP offer: " + where + " has more than " + std::to_string(kMaxSdpAttributes) +
          " attributes");
    if (gst_sdp_media_formats_len(m) > kMaxSdpFormats)
      bad("SDP offer: " + where + " has more than " + std::to_string(kMaxSdpFormats) +
          " payload types");
    std::set<int> ids;
    for (guint a = 0;; ++a) {
      const gchar* v = gst_sdp_media_get_attribute_val_n(m, "extmap", a);
      if (!v) break;
      checkExtmap(v, where, ids);
    }
  }

  const char* wanted = role == OfferRole::Publisher ? "sendonly"
                       : role == OfferRole::Viewer  ? "recvonly"
                                                    : "sendrecv";
  bool haveVideo = false, haveAudio = false;
  for (guint i = 0; i < gst_sdp_message_medias_len(raw); ++i) {
    const GstSDPMedia* m = gst_sdp_message_get_media(raw, i);
    const std::string kind = m->media ? m->media : "";
    const std::string proto = m->proto ? m->proto : "";
    if (kind == "application") continue;  // data channels: webrtcbin answers them itself
    if (kind != "audio" && kind != "video")
      unusable("m-line " + std::to_string(i) + ": media '" + kind + "' is not supported");
    if (proto.find("RTP/SAVPF") == std::string::npos)
      unusable("m-line " + std::to_string(i) + ": transport '" + proto +
               "' is not WebRTC (UDP/TLS/RTP/SAVPF)");
    // Port 0 is a rejected m-line, unless it is bundle-only (RFC 8843 §6): max-bundle offerers
    // such as webrtcbin send every m-line after the first that way.
    if (gst_sdp_media_get_port(m) == 0 && !gst_sdp_media_get_attribute_val(m, "bundle-only"))
      continue;
    if (!hasAttribute(raw, m, "ice-ufrag") || !hasAttribute(raw, m, "ice-pwd"))
      bad("malformed SDP offer: m-line " + std::to_string(i) + " has no ice-ufrag/ice-pwd");
    if (!hasAttribute(raw, m, "fingerprint"))
      bad("malformed SDP offer: m-line " + std::to_string(i) + " has no DTLS fingerprint");
    const std::string dir = direction(raw, m);
    // RFC 9725 §4.2 / WHEP §4.3.5: publishers send (sendonly, or sendrecv), viewers receive.
    if (dir != wanted && dir != "sendrecv")
      unusable("m-line " + std::to_string(i) + " is " + dir + "; " +
               (role == OfferRole::Publisher ? "a WHIP"
                : role == OfferRole::Viewer  ? "a WHEP"
                                             : "an /offer") +
               " offer must be " + wanted);
    std::optional<MediaChoice> choice;
    if (kind == "video") {
      // RFC 9725 §4.4.2: at most one audio and one video track.
      if (haveVideo) unusable("more than one video m-line");
      haveVideo = true;
      choice = chooseVideo(m, i, role);
      if (!choice)
        unusable("m-line " + std::to_string(i) +
                 ": no supported video codec (H264 packetization-mode=1 or VP8)");
    } else {
      if (haveAudio) unusable("more than one audio m-line");
      haveAudio = true;
      choice = chooseAudio(m, i);
      if (!choice)
        unusable("m-line " + std::to_string(i) + ": no supported audio codec (Opus/48000)");
    }
    choice->caps = capsFromOffer(m, choice->payloadType);
    if (!choice->caps) bad("malformed SDP offer: m-line " + std::to_string(i) + " has no rtpmap");
    offer.media_.push_back(std::move(*choice));
  }
  if (offer.media_.empty()) unusable("the offer has no audio or video track");
  return offer;
}

const MediaChoice* SdpOffer::video() const {
  for (const auto& m : media_)
    if (m.kind == MediaChoice::Kind::Video) return &m;
  return nullptr;
}

const MediaChoice* SdpOffer::audio() const {
  for (const auto& m : media_)
    if (m.kind == MediaChoice::Kind::Audio) return &m;
  return nullptr;
}

SdpMessagePtr SdpOffer::messageForWebrtc() const {
  GstSDPMessage* copy = nullptr;
  gst_sdp_message_copy(msg_.get(), &copy);
  unifyBundleCredentials(copy);
  return SdpMessagePtr(copy);
}

std::map<int, std::string> SdpOffer::profileLevelIds() const {
  std::map<int, std::string> out;
  for (const auto& m : media_)
    if (m.kind == MediaChoice::Kind::Video && m.videoCodec == VideoCodec::H264 &&
        !m.profileLevelId.empty())
      out[m.payloadType] = m.profileLevelId;
  return out;
}

void unifyBundleCredentials(GstSDPMessage* msg) {
  const gchar* group = gst_sdp_message_get_attribute_val(msg, "group");
  if (!group || !g_str_has_prefix(group, "BUNDLE ")) return;
  std::istringstream in(group + 7);
  std::vector<std::string> mids;
  for (std::string mid; in >> mid;) mids.push_back(mid);
  if (mids.size() < 2) return;

  auto findByMid = [&](const std::string& mid) -> GstSDPMedia* {
    for (guint i = 0; i < gst_sdp_message_medias_len(msg); ++i) {
      auto* m = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(msg, i));
      const gchar* v = gst_sdp_media_get_attribute_val(m, "mid");
      if (v && mid == v) return m;
    }
    return nullptr;
  };
  const GstSDPMedia* tag = findByMid(mids[0]);
  if (!tag) return;
  const gchar* ufrag = gst_sdp_media_get_attribute_val(tag, "ice-ufrag");
  const gchar* pwd = gst_sdp_media_get_attribute_val(tag, "ice-pwd");
  if (!ufrag || !pwd) return;
  const std::string u = ufrag, p = pwd;
  for (size_t k = 1; k < mids.size(); ++k) {
    GstSDPMedia* m = findByMid(mids[k]);
    if (!m) continue;
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); ++i) {
      const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, i);
      const std::string key = a->key ? a->key : "";
      if (key != "ice-ufrag" && key != "ice-pwd") continue;
      GstSDPAttribute repl;
      gst_sdp_attribute_set(&repl, key.c_str(), key == "ice-ufrag" ? u.c_str() : p.c_str());
      gst_sdp_media_replace_attribute(m, i, &repl);
    }
  }
}

std::string fixAnswer(std::string_view answer, const AnswerFixups& fx) {
  std::string out;
  out.reserve(answer.size() + 64);
  std::set<int> fmtpSeen;
  size_t pos = 0;
  int currentVideoPt = -1;
  auto flushMissingFmtp = [&] {
    // An m-line whose H264 payload had no fmtp line at all still needs profile-level-id.
    if (currentVideoPt >= 0 && !fmtpSeen.count(currentVideoPt)) {
      if (auto it = fx.profileLevelIds.find(currentVideoPt); it != fx.profileLevelIds.end())
        out += "a=fmtp:" + std::to_string(currentVideoPt) +
               " packetization-mode=1;profile-level-id=" + it->second + "\r\n";
    }
    currentVideoPt = -1;
  };
  while (pos < answer.size()) {
    auto eol = answer.find('\n', pos);
    if (eol == std::string_view::npos) eol = answer.size();
    std::string line(answer.substr(pos, eol - pos));
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();

    if (line.starts_with("m=")) {
      flushMissingFmtp();
      if (line.starts_with("m=video")) {
        std::istringstream in(line);
        std::string m, port, proto;
        int pt = -1;
        if (in >> m >> port >> proto >> pt && fx.profileLevelIds.count(pt)) currentVideoPt = pt;
      }
    } else if (line.starts_with("a=fmtp:")) {
      const int pt = std::atoi(line.c_str() + 7);
      fmtpSeen.insert(pt);
      auto it = fx.profileLevelIds.find(pt);
      if (it != fx.profileLevelIds.end() && line.find("profile-level-id") == std::string::npos)
        line += ";profile-level-id=" + it->second;
    } else if (!fx.publicIp.empty() && line.starts_with("a=candidate:") &&
               line.find(" typ host") != std::string::npos) {
      // candidate: foundation component transport priority address port typ host ...
      std::istringstream in(line);
      std::vector<std::string> f;
      for (std::string t; in >> t;) f.push_back(t);
      if (f.size() > 5) {
        f[4] = fx.publicIp;
        line.clear();
        for (size_t i = 0; i < f.size(); ++i) line += (i ? " " : "") + f[i];
      }
    } else if (line == "a=rtcp-mux-only") {
      continue;  // written after a=rtcp-mux below, once
    } else if (line == "a=rtcp-mux") {
      // RFC 9725 §4.4.1 / WHEP §4.6.1: every bundled m-section carries a=rtcp-mux-only. (RFC
      // 8858 §4.2 keeps the attribute to offers; WHIP asks both ends for it, and clients ignore
      // it in an answer.) webrtcbin writes only a=rtcp-mux.
      line += "\r\na=rtcp-mux-only";
    } else if (!fx.publicIp.empty() && line.starts_with("c=IN IP")) {
      line = std::string("c=IN ") + (fx.publicIp.find(':') != std::string::npos ? "IP6 " : "IP4 ") +
             fx.publicIp;
    }
    out += line;
    out += "\r\n";
  }
  flushMissingFmtp();
  return out;
}

}  // namespace cs
