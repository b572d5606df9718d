// A workflow of graphs on I420 frames: conversion at the graph's edges, passthrough detection,
// text outputs.
#include "workflow/GraphWorkflow.h"

#include <gtest/gtest.h>

namespace cs {
namespace {

using nlohmann::json;

const NodeRegistry& testRegistry() {
  static const NodeRegistry r = [] {
    NodeRegistry reg;
    registerIoNodes(reg);
    registerImageNodes(reg);
    return reg;
  }();
  return r;
}

json node(const std::string& type, json inputs = json::object()) {
  return {{"class_type", type}, {"inputs", inputs}};
}

TEST(GraphWorkflow, InvertRunsOnEveryFrame) {
  NodeContext ctx;
  auto wf = GraphWorkflow::build("invert", *builtinWorkflow("invert"), ctx, testRegistry());
  EXPECT_FALSE(wf->passthrough());
  std::vector<uint8_t> y(16 * 16, 16), u(64, 128), v(64, 128);
  I420View in;
  in.width = in.height = 16;
  in.planes[0] = y.data(), in.planes[1] = u.data(), in.planes[2] = v.data();
  in.strides[0] = 16, in.strides[1] = in.strides[2] = 8;
  const FrameResult r = wf->run(in);
  ASSERT_EQ(r.kind, FrameResult::Kind::Picture);
  EXPECT_EQ(r.width, 16);
  std::vector<uint8_t> oy(256), ou(64), ov(64);
  I420View out = in;
  out.planes[0] = oy.data(), out.planes[1] = ou.data(), out.planes[2] = ov.data();
  wf->write(out);
  EXPECT_NEAR(oy[0], 235, 1);  // black in, white out
  EXPECT_NEAR(ou[0], 128, 1);
}

TEST(GraphWorkflow, PassthroughGraphIsRecognised) {
  NodeContext ctx;
  EXPECT_TRUE(GraphWorkflow::build("p", *builtinWorkflow("passthrough"), ctx, testRegistry())
                  ->passthrough());
}

TEST(GraphWorkflow, TextOutputsAreCollected) {
  NodeContext ctx;
  json p = {{"1", node("LoadTensor")},
            {"2", node("SaveTensor", {{"images", {"1", 0}}})},
            {"3", node("SaveTextTensor", {{"data", "hello\nworld"}, {"remove_linebreaks", true}})}};
  auto wf = GraphWorkflow::build("t", p, ctx, testRegistry());
  EXPECT_TRUE(wf->givesText());
  std::vector<uint8_t> y(16, 50), u(4, 128), v(4, 128);
  I420View in;
  in.width = in.height = 4;
  in.planes[0] = y.data(), in.planes[1] = u.data(), in.planes[2] = v.data();
  in.strides[0] = 4, in.strides[1] = in.strides[2] = 2;
  wf->run(in);
  std::vector<std::string> text;
  wf->takeText(text);
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text[0], "hello world");
}

}  // namespace
}  // namespace cs
