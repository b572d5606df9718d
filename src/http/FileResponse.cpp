#include "http/FileResponse.h"

#include <filesystem>

#include "http/ByteRange.h"
#include "http/ErrorResponse.h"
#include "util/ControlError.h"

namespace cs::http {
namespace {

// For the quoted filename parameter (RFC 6266 §4.1): what is not printable ASCII, and the quote
// and backslash, become '_'. (Recording names are [A-Za-z0-9._-] already.)
std::string quotableName(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') c = '_';
  return out;
}

}  // namespace

void answerWithFile(const Request& req, Response& res, const std::string& path,
                    const FileAnswer& how) {
  std::error_code ec;
  const bool regular = std::filesystem::is_regular_file(path, ec);
  const uint64_t size = regular && !ec ? std::filesystem::file_size(path, ec) : 0;
  if (!regular || ec) throw ControlError(ErrorKind::NotFound, "the file is gone");

  res.setHeader("Accept-Ranges", "bytes");
  // A running recording grows: a cached copy is stale at once.
  res.setHeader("Cache-Control", "no-cache");
  if (how.download)
    res.setHeader("Content-Disposition",
                  "attachment; filename=\"" +
                      quotableName(std::filesystem::path(path).filename().string()) + "\"");

  ByteRange range;  // Whole
  // Range is defined for GET only (§14.2); without validators no If-Range can match, so a
  // request with one gets the whole file (§13.1.5).
  if (req.method == "GET" && req.headers.count("Range") == 1 && !req.hasHeader("If-Range"))
    range = parseByteRange(req.header("Range"), size);

  const std::string total = std::to_string(size);
  switch (range.kind) {
    case ByteRange::Kind::Unsatisfiable:
      writeError(res, 416, "the range is outside the file (" + total + " bytes)");
      res.setHeader("Content-Range", "bytes */" + total);
      return;
    case ByteRange::Kind::Partial:
      res.status = 206;
      res.setHeader("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                         std::to_string(range.first + range.length - 1) + "/" +
                                         total);
      break;
    case ByteRange::Kind::Whole:
      res.status = 200;
      range.first = 0;
      range.length = size;
      break;
  }
  res.setHeader("Content-Type", how.contentType);
  res.file = Response::FileContent{path, range.first, range.length};
}

}  // namespace cs::http
