// A node that throws on the media path (std::exception, cv::Exception, anything else) is caught
// by the graph runner, once: the frame's picture is dropped (what the stream counts in
// frames_failed), the node's failures are counted, one warning names the node, and nothing
// escapes into the stream's worker. A node that throws while the workflow compiles becomes a
// WorkflowError on that node.
#include "workflow/NodeRunner.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <opencv2/core.hpp>

#include <sstream>

#include "workflow/CompiledGraph.h"
#include "workflow/GraphWorkflow.h"
#include "workflow/WorkflowError.h"

namespace cs {
namespace {

using nlohmann::json;

struct NotAStdException {};

// Throws what `kind` names: "std", "cv" (a real OpenCV failure), "other" (not a std::exception),
// or "none" (inverts, so a frame that goes through is recognisable).
void throwKind(const std::string& kind) {
  if (kind == "std") throw std::runtime_error("the node broke");
  if (kind == "cv") {
    cv::Mat a(2, 2, CV_8UC3), b(3, 3, CV_8UC3), c;
    cv::add(a, b, c);  // sizes differ: cv::Exception
  }
  if (kind == "other") throw NotAStdException{};
}

class Thrower final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    throwKind(in.text(1));
    cv::bitwise_not(in.image(0), buf_);
    out[0] = Image{buf_};
  }

 private:
  cv::Mat buf_;
};

// Throws on every second frame: shows a failed frame does not pass on the last good output.
class EveryOtherFrame final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    if (frame_++ % 2 == 1) throw std::runtime_error("odd frame");
    in.image(0).copyTo(buf_);
    out[0] = Image{buf_};
  }

 private:
  int frame_ = 0;
  cv::Mat buf_;
};

class ThrowsAtConfigure final : public Node {
 public:
  void configure(const NodeArgs& in, NodeContext&) override { throwKind(in.text(1)); }
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    out[0] = Image{in.image(0)};
  }
};

const NodeRegistry& registry() {
  static const NodeRegistry r = [] {
    NodeRegistry reg;
    registerIoNodes(reg);
    registerImageNodes(reg);
    const std::vector<std::string> kinds{"none", "std", "cv", "other"};
    NodeSpec t{"Thrower", "test", "throws on every frame"};
    t.image("image").combo("kind", kinds).output("IMAGE", ValueType::Image);
    reg.add(t, [] { return std::make_unique<Thrower>(); });
    NodeSpec e{"EveryOtherFrame", "test", "throws on odd frames"};
    e.image("image").output("IMAGE", ValueType::Image);
    reg.add(e, [] { return std::make_unique<EveryOtherFrame>(); });
    NodeSpec c{"ThrowsAtConfigure", "test", "throws in configure()"};
    c.image("image").combo("kind", kinds).output("IMAGE", ValueType::Image);
    reg.add(c, [] { return std::make_unique<ThrowsAtConfigure>(); });
    return reg;
  }();
  return r;
}

json node(const std::string& type, json inputs = json::object()) {
  return {{"class_type", type}, {"inputs", inputs}};
}

// LoadTensor → `middle` (node #2) → SaveTensor.
json throughOne(const std::string& type, json extra = json::object()) {
  json inputs = {{"image", {"1", 0}}};
  for (auto& [k, v] : extra.items()) inputs[k] = v;
  return {{"1", node("LoadTensor")},
          {"2", node(type, inputs)},
          {"3", node("SaveTensor", {{"images", {"2", 0}}})}};
}

// Everything spdlog's default logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_st>(out_));
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }

  std::vector<std::string> linesWith(const std::string& text) const {
    std::vector<std::string> found;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);)
      if (line.find(text) != std::string::npos) found.push_back(line);
    return found;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// A 4x4 I420 frame of one luma value.
struct Frame {
  explicit Frame(uint8_t luma) : y(16, luma), u(4, 128), v(4, 128) {
    view.width = view.height = 4;
    view.planes[0] = y.data(), view.planes[1] = u.data(), view.planes[2] = v.data();
    view.strides[0] = 4, view.strides[1] = view.strides[2] = 2;
  }
  std::vector<uint8_t> y, u, v;
  I420View view;
};

uint64_t failuresOf(const GraphWorkflow& wf, const std::string& id) {
  const auto graphs = wf.nodeTimings();
  for (const auto& t : graphs.at(0))
    if (t.id == id) return t.failures;
  ADD_FAILURE() << "no node " << id;
  return 0;
}

class ThrowingNode : public ::testing::TestWithParam<const char*> {};

TEST_P(ThrowingNode, DropsTheFrameCountsAndLogsOnceAndNeverThrows) {
  const std::string kind = GetParam();
  LogCapture log;
  NodeContext ctx;
  auto wf = GraphWorkflow::build("t", throughOne("Thrower", {{"kind", kind}}), ctx, registry());
  Frame frame(50);
  for (int i = 0; i < 10; ++i)  // run() is noexcept: an escaping exception would end the process
    EXPECT_EQ(wf->run(frame.view).kind, FrameResult::Kind::Drop) << "frame " << i;
  EXPECT_EQ(failuresOf(*wf, "2"), 10u);
  EXPECT_EQ(failuresOf(*wf, "3"), 0u) << "SaveTensor read the empty input as nothing to save";

  const auto lines = log.linesWith("workflow node #2 (Thrower) failed");
  ASSERT_EQ(lines.size(), 1u) << "one warning for ten failed frames";
  EXPECT_EQ(lines[0].rfind("warning ", 0), 0u) << lines[0];
  const std::string expected = kind == "std"  ? "the node broke"
                               : kind == "cv" ? "Sizes of input arguments do not match"
                                              : "not a std::exception";
  EXPECT_NE(lines[0].find(expected), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ThrowingNode, ::testing::Values("std", "cv", "other"));

TEST(NodeRunner, AFrameAfterAFailureIsProcessedAgainAndTheFailedOneShowsNothingStale) {
  NodeContext ctx;
  auto wf = GraphWorkflow::build("t", throughOne("EveryOtherFrame"), ctx, registry());
  Frame dark(40), bright(200);
  EXPECT_EQ(wf->run(dark.view).kind, FrameResult::Kind::Picture);
  // Frame 2 throws: the first frame's picture, still in the node's buffer, must not be shown.
  EXPECT_EQ(wf->run(bright.view).kind, FrameResult::Kind::Drop);
  EXPECT_EQ(wf->run(bright.view).kind, FrameResult::Kind::Picture);
  std::vector<uint8_t> oy(16), ou(4), ov(4);
  I420View out = bright.view;
  out.planes[0] = oy.data(), out.planes[1] = ou.data(), out.planes[2] = ov.data();
  wf->write(out);
  EXPECT_NEAR(oy[0], 200, 2);
  EXPECT_EQ(failuresOf(*wf, "2"), 1u);
}

TEST(NodeRunner, NodesAfterAFailedOneRunOnEmptyInputWithoutFailingThemselves) {
  LogCapture log;
  NodeContext ctx;
  json p = throughOne("Thrower", {{"kind", "std"}});
  p["4"] = node("ImageInvert", {{"image", {"2", 0}}});
  p["3"]["inputs"]["images"] = {"4", 0};
  p["5"] = node("SaveTextTensor", {{"data", "still here"}});  // a branch that does not need #2
  auto wf = GraphWorkflow::build("t", p, ctx, registry());
  Frame frame(50);
  EXPECT_EQ(wf->run(frame.view).kind, FrameResult::Kind::Drop);
  EXPECT_EQ(failuresOf(*wf, "2"), 1u);
  EXPECT_EQ(failuresOf(*wf, "4"), 0u);
  std::vector<std::string> text;
  wf->takeText(text);
  EXPECT_EQ(text, std::vector<std::string>{"still here"});
  EXPECT_EQ(log.linesWith("failed").size(), 1u);
}

TEST(NodeRunner, RunsOneNodeAndReportsWhetherItThrew) {
  NodeRunner runner("7", "Thrower");
  Thrower thrower;
  const cv::Mat picture(2, 2, CV_8UC3, cv::Scalar::all(10));
  Value image = Image{picture}, kind = std::string("none");
  std::vector<Value> out(1);
  FrameContext frame;
  EXPECT_TRUE(runner.run(thrower, NodeArgs({&image, &kind}), out, frame));
  EXPECT_TRUE(std::holds_alternative<Image>(out[0]));
  kind = std::string("cv");
  EXPECT_FALSE(runner.run(thrower, NodeArgs({&image, &kind}), out, frame));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(out[0]));
  EXPECT_EQ(runner.failures(), 1u);
}

class ThrowingConfigure : public ::testing::TestWithParam<const char*> {};

TEST_P(ThrowingConfigure, BecomesAWorkflowErrorNamingTheNode) {
  const std::string kind = GetParam();
  NodeContext ctx;
  try {
    CompiledGraph::compile(throughOne("ThrowsAtConfigure", {{"kind", kind}}), registry(), ctx);
    FAIL() << "compiled";
  } catch (const WorkflowError& e) {
    EXPECT_EQ(e.type(), "prompt_outputs_failed_validation");
    EXPECT_NE(std::string(e.what()).find("ThrowsAtConfigure (node #2)"), std::string::npos)
        << e.what();
    const json j = e.toJson();
    ASSERT_TRUE(j["node_errors"].contains("2")) << j.dump(1);
    EXPECT_EQ(j["node_errors"]["2"]["class_type"], "ThrowsAtConfigure");
    const auto& err = j["node_errors"]["2"]["errors"][0];
    EXPECT_EQ(err["type"], "exception_during_validation");
    const std::string expected = kind == "std"  ? "the node broke"
                                 : kind == "cv" ? "Sizes of input arguments do not match"
                                                : "not a std::exception";
    EXPECT_NE(err["message"].get<std::string>().find(expected), std::string::npos) << j.dump(1);
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, ThrowingConfigure, ::testing::Values("std", "cv", "other"));

}  // namespace
}  // namespace cs
