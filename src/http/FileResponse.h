#pragma once
// A file on disk as the answer to GET or HEAD, with byte ranges (RFC 9110 §14): one range is
// 206 with Content-Range, an unsatisfiable one 416, any other Range (several ranges, malformed,
// with If-Range, on HEAD) is ignored and the whole file sent. The file's size is taken now: a
// file that is still growing is served as long as it is at this moment. The bytes themselves are
// sent by the server from disk (Response::file).
#include <string>
#include <string_view>

#include "http/Request.h"
#include "http/Response.h"

namespace cs::http {

struct FileAnswer {
  std::string_view contentType;
  // Content-Disposition: attachment, with the file's own name, so a browser saves it.
  bool download = false;
};

// Throws ControlError(NotFound) when `path` is not a regular file.
void answerWithFile(const Request& req, Response& res, const std::string& path,
                    const FileAnswer& how);

}  // namespace cs::http
