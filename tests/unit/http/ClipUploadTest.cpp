// POST /clips' JSON body: what it names, and every refusal a 400 naming the field.
#include "http/ClipUpload.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"

namespace cs::http {
namespace {

ErrorKind refusal(std::string_view text) {
  try {
    parseClipUpload(text);
  } catch (const ControlError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "accepted: " << text;
  return ErrorKind::Internal;
}

TEST(ClipUpload, ANamedWorkflowAndItsMedia) {
  const ClipUpload u = parseClipUpload(R"({"media_data": "R2tYZg==", "workflow": "invert"})");
  EXPECT_EQ(u.media, "GkXf");
  EXPECT_EQ(u.workflow, "invert");
  EXPECT_TRUE(u.prompts.is_null());
}

TEST(ClipUpload, InlinePromptsAreNamedInlineUnlessTheBodyNamesThem) {
  const ClipUpload a = parseClipUpload(R"({"media_data": "AAAA", "prompts": {"1": {}}})");
  EXPECT_EQ(a.workflow, "inline");
  EXPECT_TRUE(a.prompts.is_object());
  const ClipUpload b =
      parseClipUpload(R"({"media_data": "AAAA", "prompts": [{}], "workflow": "mine"})");
  EXPECT_EQ(b.workflow, "mine");
}

TEST(ClipUpload, NoWorkflowInTheBodyLeavesTheNameToTheQuery) {
  EXPECT_EQ(parseClipUpload(R"({"media_data": "AAAA", "workflow": null})").workflow, "");
}

TEST(ClipUpload, RefusalsAreBadRequests) {
  for (const char* text :
       {R"([])", R"({})", R"({"media_data": 5})", R"({"media_data": ""})",
        R"({"media_data": "not base64!"})", R"({"media_data": "AAAA", "workflow": 5})",
        R"({"media_data": "AAAA", "workflow": {}, "prompts": {}})", "{"})
    EXPECT_EQ(refusal(text), ErrorKind::BadRequest) << text;
}

}  // namespace
}  // namespace cs::http
