#pragma once
// CORS (Fetch standard): browsers on other origins call WHIP/WHEP and read Location, Link and
// friends from the answer. Preflights are answered before auth and rate limits, since a browser
// never sends credentials on one.
#include "http/Request.h"
#include "http/Response.h"

namespace cs::http {

void applyCors(Response& res);
void answerPreflight(const Request& req, Response& res);

}  // namespace cs::http
