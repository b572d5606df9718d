#include "byoc/LivepeerHeader.h"

#include <array>
#include <limits>

#include "util/ControlError.h"
#include "util/JsonLimits.h"

namespace cs {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

[[noreturn]] void bad(const std::string& what) {
  throw ControlError(ErrorKind::BadRequest, "malformed Livepeer header: " + what);
}

// A field that holds a JSON object serialised as a string (how go-livepeer nests them).
nlohmann::json objectInString(const nlohmann::json& outer, const char* field, bool required) {
  if (!outer.contains(field) || outer[field].is_null()) {
    if (required) bad(std::string("'") + field + "' is missing");
    return nlohmann::json::object();
  }
  if (!outer[field].is_string()) bad(std::string("'") + field + "' must be a string");
  nlohmann::json inner;
  try {
    inner = parseJsonBounded(outer[field].get<std::string>());
  } catch (const ControlError&) {
    bad(std::string("'") + field + "' is not a JSON string");
  }
  if (!inner.is_object()) bad(std::string("'") + field + "' must hold a JSON object");
  return inner;
}

}  // namespace

std::optional<std::string> decodeBase64Std(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      if (c == '=') {
        // Padding only at the very end, only in the last two positions, and only as a suffix.
        if (!last || k < 2) return std::nullopt;
        ++pad;
        v[k] = 0;
        continue;
      }
      if (pad) return std::nullopt;
      v[k] = sextet(c);
      if (v[k] < 0) return std::nullopt;
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    // Go's decoder rejects non-zero bits that the padding discards (non-canonical input).
    if ((pad == 1 && (n & 0xff)) || (pad == 2 && (n & 0xffff))) return std::nullopt;
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

std::string encodeBase64Std(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? kAlphabet[n & 63] : '=');
  }
  return out;
}

LivepeerJob parseLivepeerHeader(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) bad("empty value");
  const auto decoded = decodeBase64Std(value);
  if (!decoded) bad("not base64 (standard alphabet, padded)");
  nlohmann::json j;
  try {
    j = parseJsonBounded(*decoded);
  } catch (const ControlError&) {
    bad("the decoded value is not JSON");
  }
  if (!j.is_object()) bad("the decoded value is not a JSON object");

  LivepeerJob job;
  if (!j.contains("capability") || !j["capability"].is_string() ||
      j["capability"].get<std::string>().empty())
    bad("'capability' must be a non-empty string");
  job.capability = j["capability"];

  if (!j.contains("timeout_seconds")) bad("'timeout_seconds' is missing");
  const auto& t = j["timeout_seconds"];
  // Go unmarshals it into an int: a fraction or a string is an error, and 0 means "not set".
  if (!t.is_number_integer()) bad("'timeout_seconds' must be an integer");
  const auto secs = t.get<int64_t>();
  if (secs <= 0 || secs > std::numeric_limits<int>::max())
    bad("'timeout_seconds' must be a positive number of seconds");
  job.timeoutSeconds = static_cast<int>(secs);

  job.request = objectInString(j, "request", /*required=*/true);
  job.parameters = objectInString(j, "parameters", /*required=*/false);

  if (j.contains("id") && !j["id"].is_null()) {
    if (!j["id"].is_string()) bad("'id' must be a string");
    job.id = j["id"];
  }
  for (const char* f : {"sender", "sig"})
    if (j.contains(f) && !j[f].is_null() && !j[f].is_string())
      bad(std::string("'") + f + "' must be a string");
  return job;
}

}  // namespace cs
