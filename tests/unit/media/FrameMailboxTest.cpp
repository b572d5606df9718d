#include "media/FrameMailbox.h"

#include <gtest/gtest.h>

#include <thread>

#include "../TestFrames.h"

namespace cs {
namespace {

TEST(FrameMailbox, NewestFrameWinsAndDropsAreCounted) {
  FrameMailbox box;
  for (int i = 0; i < 3; ++i) box.put(test::makeI420Sample(4, 4, 0, 0, 0, i * GST_SECOND).get());
  EXPECT_EQ(box.dropped(), 2u);
  SamplePtr s = box.take();
  ASSERT_TRUE(s);
  EXPECT_EQ(GST_BUFFER_PTS(gst_sample_get_buffer(s.get())), 2 * GST_SECOND);
}

TEST(FrameMailbox, CloseWakesAWaitingTaker) {
  FrameMailbox box;
  std::thread taker([&] { EXPECT_EQ(box.take(), nullptr); });
  box.close();
  taker.join();
}

}  // namespace
}  // namespace cs
