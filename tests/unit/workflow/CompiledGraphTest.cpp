// Validation errors (one test per kind, each naming node and input) and pruning.
#include "workflow/CompiledGraph.h"

#include <gtest/gtest.h>

#include "workflow/WorkflowError.h"

namespace cs {
namespace {

using nlohmann::json;

// A registry with the real I/O nodes plus a test node that has every kind of widget.
class Widgets final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) noexcept override {
    out[0] = Image{in.image(0)};
  }
};

const NodeRegistry& testRegistry() {
  static const NodeRegistry r = [] {
    NodeRegistry reg;
    registerIoNodes(reg);
    registerImageNodes(reg);
    NodeSpec w{"Widgets", "test", "every widget kind"};
    w.image("image")
        .integer("count", 1, 0, 10)
        .number("strength", 0.5, 0.0, 1.0)
        .combo("mode", {"fast", "slow"})
        .boolean("flag", false)
        .output("IMAGE", ValueType::Image)
        .output("SECOND", ValueType::Mask);
    reg.add(w, [] { return std::make_unique<Widgets>(); });
    reg.markUnsupported("KSampler", "needs a GPU");
    return reg;
  }();
  return r;
}

json node(const std::string& type, json inputs = json::object()) {
  return {{"class_type", type}, {"inputs", inputs}};
}

json withWidgets(json inputs) {
  json w = {
      {"image", {"1", 0}}, {"count", 3}, {"strength", 0.25}, {"mode", "slow"}, {"flag", true}};
  for (auto& [k, v] : inputs.items()) {
    if (v.is_null())
      w.erase(k);
    else
      w[k] = v;
  }
  return {{"1", node("LoadTensor")},
          {"2", node("Widgets", w)},
          {"3", node("SaveTensor", {{"images", {"2", 0}}})}};
}

WorkflowError compileError(const json& prompt) {
  NodeContext ctx;
  try {
    CompiledGraph::compile(prompt, testRegistry(), ctx);
  } catch (const WorkflowError& e) {
    return e;
  }
  ADD_FAILURE() << "compiled: " << prompt.dump();
  return WorkflowError("none", "none");
}

// Asserts one error of `type` on node `id`, naming `input`, in both the structured errors and
// the human-readable message.
void expectError(const json& prompt, const std::string& id, const std::string& type,
                 const std::string& input) {
  const WorkflowError e = compileError(prompt);
  const json j = e.toJson();
  ASSERT_TRUE(j["node_errors"].contains(id)) << j.dump(1);
  const auto& err = j["node_errors"][id]["errors"][0];
  EXPECT_EQ(err["type"], type) << j.dump(1);
  if (!input.empty()) {
    EXPECT_EQ(err["extra_info"]["input_name"], input);
    EXPECT_NE(std::string(e.what()).find("'" + input + "'"), std::string::npos) << e.what();
  }
  EXPECT_NE(std::string(e.what()).find("node #" + id), std::string::npos) << e.what();
  EXPECT_EQ(j["error"]["type"], "prompt_outputs_failed_validation");
}

TEST(CompiledGraph, EveryUnsupportedNodeIsNamedAtOnce) {
  const WorkflowError e = compileError({{"1", node("LoadTensor")},
                                        {"7", node("KSampler")},
                                        {"9", node("NoSuchNode")},
                                        {"3", node("SaveTensor", {{"images", {"1", 0}}})}});
  EXPECT_EQ(e.type(), "invalid_prompt");
  EXPECT_NE(std::string(e.what()).find("KSampler (node #7)"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("NoSuchNode (node #9)"), std::string::npos);
  const json j = e.toJson();
  EXPECT_EQ(j["node_errors"]["7"]["class_type"], "KSampler");
  EXPECT_NE(j["node_errors"]["7"]["errors"][0]["message"].get<std::string>().find("needs a GPU"),
            std::string::npos);
  EXPECT_TRUE(j["node_errors"].contains("9"));
}

TEST(CompiledGraph, RequiredInputMissing) {
  expectError(withWidgets({{"count", nullptr}}), "2", "required_input_missing", "count");
}

TEST(CompiledGraph, IllTypedLiteral) {
  expectError(withWidgets({{"count", "three"}}), "2", "invalid_input_type", "count");
  expectError(withWidgets({{"flag", 1}}), "2", "invalid_input_type", "flag");
  expectError(withWidgets({{"image", "frame.png"}}), "2", "invalid_input_type", "image");
}

TEST(CompiledGraph, OutOfRangeValues) {
  expectError(withWidgets({{"count", -1}}), "2", "value_smaller_than_min", "count");
  expectError(withWidgets({{"strength", 1.5}}), "2", "value_bigger_than_max", "strength");
}

TEST(CompiledGraph, ComboValueNotInList) {
  expectError(withWidgets({{"mode", "medium"}}), "2", "value_not_in_list", "mode");
}

TEST(CompiledGraph, DanglingLinks) {
  expectError(withWidgets({{"image", {"42", 0}}}), "2", "bad_linked_input", "image");
  expectError(withWidgets({{"image", {"1", 5}}}), "2", "bad_linked_input", "image");
}

TEST(CompiledGraph, LinkTypeMismatch) {
  json p = withWidgets({});
  p["3"]["inputs"]["images"] = {"2", 1};  // a MASK into SaveTensor's IMAGE
  expectError(p, "3", "return_type_mismatch", "images");
}

TEST(CompiledGraph, CyclesAreReportedOnTheirNodes) {
  json p = {{"1", node("ImageInvert", {{"image", {"2", 0}}})},
            {"2", node("ImageInvert", {{"image", {"1", 0}}})},
            {"3", node("SaveTensor", {{"images", {"2", 0}}})}};
  const json j = compileError(p).toJson();
  EXPECT_EQ(j["node_errors"]["1"]["errors"][0]["type"], "dependency_cycle");
  EXPECT_EQ(j["node_errors"]["2"]["errors"][0]["type"], "dependency_cycle");
}

TEST(CompiledGraph, AWorkflowWithoutOutputsIsRefused) {
  EXPECT_EQ(compileError({{"1", node("LoadTensor")}}).type(), "prompt_no_outputs");
}

TEST(CompiledGraph, OnlyWhatOutputsNeedRuns) {
  NodeContext ctx;
  json p = withWidgets({});
  p["8"] = node("Widgets", {{"image", {"1", 0}}, {"count", 99}});  // unused and invalid: pruned?
  // ComfyUI validates only what outputs need: an unused broken node does not fail the workflow.
  auto g = CompiledGraph::compile(p, testRegistry(), ctx);
  EXPECT_EQ(g->timings().size(), 3u);
}

}  // namespace
}  // namespace cs
