// Issue 7: a stream id with invalid UTF-8 made /whip-stats and /streams/stats answer 500 to
// everyone while the session lived; CR/LF in one reached the logs. Ids are checked where they
// enter the registry.
#include "stream/StreamRegistry.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"
#include "util/Utf8.h"

namespace cs {

TEST(StreamRegistry, StreamIdsMustBeSafeIdentifiers) {
  EXPECT_NO_THROW(validateStreamId("default"));
  EXPECT_NO_THROW(validateStreamId("cam\xC3\xA9ra-1 room"));
  for (const std::string& bad : {std::string("bad\xFF"), std::string("a\r\nb"), std::string(),
                                std::string("tab\there"), std::string(300, 'x')}) {
    try {
      validateStreamId(bad);
      ADD_FAILURE() << "accepted";
    } catch (const ControlError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
      EXPECT_TRUE(isValidUtf8(e.what()));  // the message is written as JSON
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}

}  // namespace cs
