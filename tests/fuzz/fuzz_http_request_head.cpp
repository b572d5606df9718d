// An HTTP/1.1 request as bytes off the socket: Beast's parser with the server's limits, then what
// the server does before routing (target decoding, UTF-8 checks) and what routes read first (the
// token, the media type). Invariants: a routed path and its params hold no control character and
// are UTF-8.
#include <boost/beast/http/parser.hpp>

#include "FuzzSupport.h"
#include "http/Authorizer.h"
#include "http/ErrorResponse.h"
#include "http/HttpServer.h"
#include "http/RequestPreparation.h"
#include "util/Utf8.h"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

namespace {

bool clean(const std::string& s) {
  if (!cs::isValidUtf8(s)) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cs::http::ServerSettings limits;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.maxHeaderBytes));
  parser.body_limit(limits.maxBodyBytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  cs::http::Request req = cs::http::fromMessage(parser.release(), "127.0.0.1", false);
  std::string why;
  if (!cs::http::prepareRequest(req, why)) {
    if (why.empty()) cs::fuzz::fail("refused without a reason");
    return 0;
  }
  if (!clean(req.path)) cs::fuzz::fail("a routed path holds a control character or bad UTF-8");
  for (const auto& [k, v] : req.params)
    if (!clean(k) || !clean(v)) cs::fuzz::fail("a query parameter is not clean");
  (void)cs::http::Authorizer::presentedToken(req);
  (void)cs::mediaTypeOf(req.header("Content-Type"));
  return 0;
}
