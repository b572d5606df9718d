#pragma once
// CORS (Fetch standard): browsers on other origins call WHIP/WHEP and read Location, Link and
// friends from the answer. Preflights are answered before auth and rate limits, since a browser
// never sends credentials on one.
#include <string>

#include "http/Response.h"

namespace cs::http {

void applyCors(Response& res);
// `acceptPost`: what a POST to the path takes (Router::acceptPost), advertised as Accept-Post;
// empty for none.
void answerPreflight(Response& res, const std::string& acceptPost);

}  // namespace cs::http
