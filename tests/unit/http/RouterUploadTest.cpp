// Upload routes: a POST whose body the server streams to a file, with its own cap.
#include <gtest/gtest.h>

#include "http/Router.h"

namespace cs::http {
namespace {

TEST(RouterUpload, OnlyTheUploadRouteHasACapAndTheLargestIsKnown) {
  Router r;
  r.post("/small", [](const Request&, Response&) {});
  r.upload(
      "/clips", [](const Request&, Response&) {}, 1000, "video/*");
  r.upload(
      "/big", [](const Request&, Response&) {}, 5000);
  EXPECT_EQ(r.uploadLimit("POST", "/clips"), 1000u);
  EXPECT_EQ(r.uploadLimit("POST", "/big"), 5000u);
  EXPECT_EQ(r.uploadLimit("POST", "/small"), 0u);
  EXPECT_EQ(r.uploadLimit("GET", "/clips"), 0u);
  EXPECT_EQ(r.uploadLimit("POST", "/nowhere"), 0u);
  EXPECT_EQ(r.maxUploadLimit(), 5000u);
  EXPECT_EQ(r.acceptPost("/clips"), "video/*");
  EXPECT_TRUE(r.find("POST", "/clips").handler);
}

TEST(RouterUpload, NoUploadRoutesMeansNoLargerBody) {
  Router r;
  r.post("/small", [](const Request&, Response&) {});
  EXPECT_EQ(r.maxUploadLimit(), 0u);
}

}  // namespace
}  // namespace cs::http
