#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "http/Request.h"

namespace cs::http {

class EventStream;

struct Response {
  int status = 200;
  std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  // Set with status 200: the answer is a server-sent-events stream (http/EventStream.h). The
  // server writes the head (text/event-stream, no-cache) and then calls this, on its I/O thread,
  // with the open stream; the body is what is sent on it until it is closed. HEAD gets the head.
  std::function<void(std::shared_ptr<EventStream>)> eventStream;
  // Set with status 200: the body is this file, streamed from disk by the server (large results:
  // clips); `body` is ignored. A file that cannot be opened any more is a 404.
  std::string file;

  // Replaces every earlier value of the header.
  void setHeader(std::string_view name, std::string_view value);
  // Adds one more value (e.g. one Link header per ICE server, RFC 9725 §4.6).
  void addHeader(std::string_view name, std::string_view value);
  void setContent(std::string body, std::string_view contentType);
};

}  // namespace cs::http
