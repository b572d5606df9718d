// What a player may ask for when it creates a WHEP event stream, and what the 201 advertises.
#include "http/WhepEventTypes.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"

namespace cs {
namespace {

ErrorKind refusal(std::string_view contentType, const std::string& body) {
  try {
    parseWhepEventTypes(contentType, body);
  } catch (const ControlError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "accepted: " << body;
  return ErrorKind::Internal;
}

TEST(WhepEventTypes, AListAsksForThoseTypesAndNoBodyForAll) {
  EXPECT_EQ(parseWhepEventTypes("application/json", R"(["active","inactive","viewercount"])"),
            kWhepEventsAll);
  EXPECT_EQ(parseWhepEventTypes("application/json; charset=utf-8", R"(["viewercount"])"),
            unsigned{kWhepEventViewerCount});
  EXPECT_EQ(parseWhepEventTypes("application/json", R"(["active","active"])"),
            unsigned{kWhepEventActive});
  EXPECT_EQ(parseWhepEventTypes("application/json", "[]"), 0u);
  // The draft: the body MAY be there; without one, everything advertised.
  EXPECT_EQ(parseWhepEventTypes("", ""), kWhepEventsAll);
  EXPECT_EQ(parseWhepEventTypes("text/plain", " \r\n"), kWhepEventsAll);
}

TEST(WhepEventTypes, UnadvertisedTypesAndOtherShapesAre400) {
  // Types of the draft this server does not send are refused, not ignored.
  EXPECT_EQ(refusal("application/json", R"(["active","layers"])"), ErrorKind::BadRequest);
  EXPECT_EQ(refusal("application/json", R"(["reconnect"])"), ErrorKind::BadRequest);
  EXPECT_EQ(refusal("application/json", R"(["Active"])"), ErrorKind::BadRequest);
  EXPECT_EQ(refusal("application/json", R"({"events":["active"]})"), ErrorKind::BadRequest);
  EXPECT_EQ(refusal("application/json", R"([1])"), ErrorKind::BadRequest);
  EXPECT_EQ(refusal("application/json", R"(["active")"), ErrorKind::BadRequest);
  EXPECT_EQ(refusal("application/json", "\"active\""), ErrorKind::BadRequest);
  std::string many = "[";
  for (size_t i = 0; i <= kMaxWhepEventsListed; ++i)
    many += std::string(i ? "," : "") + "\"active\"";
  EXPECT_EQ(refusal("application/json", many + "]"), ErrorKind::BadRequest);
}

TEST(WhepEventTypes, BodiesAreBoundedAndTyped) {
  EXPECT_EQ(refusal("application/json", std::string(kMaxWhepEventsBody + 1, ' ')),
            ErrorKind::PayloadTooLarge);
  EXPECT_EQ(refusal("text/plain", R"(["active"])"), ErrorKind::UnsupportedMedia);
  EXPECT_EQ(refusal("", R"(["active"])"), ErrorKind::UnsupportedMedia);
}

TEST(WhepEventTypes, TheLinkNamesTheUrlTheRelAndTheEvents) {
  EXPECT_EQ(whepEventsLink("abc"),
            "</whep/abc/sse>; rel=\"urn:ietf:params:whep:ext:core:server-sent-events\"; "
            "events=\"active,inactive,viewercount\"");
}

}  // namespace
}  // namespace cs
