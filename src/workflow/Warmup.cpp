#include "workflow/Warmup.h"

#include <vector>

namespace cs {
namespace {

struct OwnedI420 {
  OwnedI420(int w, int h, uint8_t fill) {
    view.width = w;
    view.height = h;
    for (int p = 0; p < 3; ++p) {
      view.strides[p] = view.planeWidth(p);
      data[p].assign(
          static_cast<size_t>(view.strides[p]) * static_cast<size_t>(view.planeHeight(p)),
          p == 0 ? fill : 128);
      view.planes[p] = data[p].data();
    }
  }
  std::vector<uint8_t> data[3];
  I420View view;
};

}  // namespace

void warmUp(FrameWorkflow& wf, const I420View* frame, int width, int height, int runs,
            const std::atomic<bool>* cancel) {
  if (wf.passthrough()) return;
  OwnedI420 grey(frame ? 2 : width, frame ? 2 : height, 126);
  const I420View& in = frame ? *frame : grey.view;
  std::vector<std::string> discardedText;
  for (int i = 0; i < runs; ++i) {
    if (cancel && cancel->load()) return;
    const FrameResult r = wf.run(in);
    if (r.kind == FrameResult::Kind::Picture) {
      OwnedI420 out(r.width, r.height, 0);
      wf.write(out.view);
    }
    wf.takeText(discardedText);  // the original's __WARMUP_SENTINEL__ never reaches clients
    discardedText.clear();
  }
}

}  // namespace cs
