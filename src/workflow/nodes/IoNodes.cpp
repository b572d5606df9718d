// The frame boundary: LoadTensor hands the stream's frame to the graph, SaveTensor and
// SaveTextTensor take results out (the original comfystream's tensor_utils nodes).
#include <algorithm>

#include "workflow/NodeRegistry.h"

namespace cs {
namespace {

class LoadTensor final : public Node {
 public:
  void run(const NodeArgs&, std::vector<Value>& out, FrameContext& f) override {
    // A header over the converted input frame: no copy.
    out[0] = Image{f.inputImage ? *f.inputImage : cv::Mat()};
  }
};

class SaveTensor final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>&, FrameContext& f) override {
    if (f.outputImage && f.outputImage->empty()) *f.outputImage = in.image(0);
  }
};

class SaveTextTensor final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>&, FrameContext& f) override {
    if (!f.textOutputs || in.text(0).empty()) return;
    std::string s = in.text(0);
    if (in.boolean(1))
      std::replace_if(
          s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    f.textOutputs->push_back(std::move(s));
  }
};

}  // namespace

void registerIoNodes(NodeRegistry& r) {
  NodeSpec load{"LoadTensor", "ComfyStream/Loaders", "The stream's current frame."};
  load.number("timeout_seconds", 1.0, 0.1, 30.0).optional().output("IMAGE", ValueType::Image);
  r.add(load, [] { return std::make_unique<LoadTensor>(); });

  NodeSpec save{"SaveTensor", "tensor_utils", "Sends the image to the stream's viewers."};
  save.image("images");
  save.outputNode = true;
  r.add(save, [] { return std::make_unique<SaveTensor>(); });

  NodeSpec text{"SaveTextTensor", "text_utils",
                "Sends the text to the client's data channel as {\"type\":\"text\",\"data\":…}."};
  text.text("data", "").boolean("remove_linebreaks", true).optional();
  text.outputNode = true;
  r.add(text, [] { return std::make_unique<SaveTextTensor>(); });
}

}  // namespace cs
