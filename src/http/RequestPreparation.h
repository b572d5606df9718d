#pragma once
// From Beast's parsed message to the Request the routes see, and the checks every request passes
// before routing. Shared by the server and the fuzz target of the request head.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "http/Request.h"

namespace cs::http {

Request fromMessage(boost::beast::http::request<boost::beast::http::string_body>&& msg,
                    std::string remoteAddress, bool secure);

// Decodes the target into path and params and checks text bodies are UTF-8. False with `why`
// (a 400) when the request cannot be routed.
bool prepareRequest(Request& req, std::string& why);

}  // namespace cs::http
