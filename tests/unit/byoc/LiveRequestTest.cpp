#include "byoc/LiveRequest.h"

#include <gtest/gtest.h>

#include "byoc/LiveEvents.h"
#include "util/ControlError.h"

namespace cs {
namespace {

using nlohmann::json;

json startBody() {
  return {{"gateway_request_id", "req-1"},
          {"subscribe_url", "https://orch:8935/ai/trickle/req-1"},
          {"publish_url", "https://orch:8935/ai/trickle/req-1-out"},
          {"control_url", "https://orch:8935/ai/trickle/req-1-control"},
          {"events_url", "https://orch:8935/ai/trickle/req-1-events"},
          {"data_url", "https://orch:8935/ai/trickle/req-1-data"},
          {"params", {{"width", 640}, {"height", 360}, {"max_framerate", 24}}}};
}

std::string badRequestMessage(const json& body) {
  try {
    (void)LiveStartRequest::parse(body);
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << body.dump();
  return {};
}

TEST(LiveStartRequest, TakesTheOrchestratorsBody) {
  const auto r = LiveStartRequest::parse(startBody());
  EXPECT_EQ(r.gatewayRequestId, "req-1");
  EXPECT_EQ(r.subscribeUrl, "https://orch:8935/ai/trickle/req-1");
  EXPECT_EQ(r.publishUrl, "https://orch:8935/ai/trickle/req-1-out");
  EXPECT_EQ(r.dataUrl, "https://orch:8935/ai/trickle/req-1-data");
  ASSERT_TRUE(r.params.size);
  EXPECT_EQ(r.params.size->first, 640);
  EXPECT_EQ(r.params.size->second, 360);
  EXPECT_EQ(r.params.maxFramerate, 24);
  EXPECT_FALSE(r.params.prompts);
}

TEST(LiveStartRequest, OptionalChannelsMayBeMissingOrEmpty) {
  json body = {{"gateway_request_id", "r"},
               {"subscribe_url", "http://127.0.0.1:1/a"},
               {"control_url", ""},
               {"events_url", nullptr}};
  const auto r = LiveStartRequest::parse(body);
  EXPECT_TRUE(r.publishUrl.empty());
  EXPECT_TRUE(r.controlUrl.empty());
  EXPECT_TRUE(r.eventsUrl.empty());
}

TEST(LiveStartRequest, RefusesWhatItCannotUseNamingTheField) {
  json b = startBody();
  b.erase("gateway_request_id");
  EXPECT_NE(badRequestMessage(b).find("gateway_request_id"), std::string::npos);
  b = startBody();
  b["gateway_request_id"] = 7;
  EXPECT_NE(badRequestMessage(b).find("gateway_request_id"), std::string::npos);
  b = startBody();
  b.erase("subscribe_url");
  EXPECT_NE(badRequestMessage(b).find("subscribe_url"), std::string::npos);
  b = startBody();
  b["publish_url"] = "ftp://orch/x";
  EXPECT_NE(badRequestMessage(b).find("publish_url"), std::string::npos);
  b = startBody();
  b["events_url"] = "http://user:pw@orch/x";  // userinfo: refused (HttpUrl)
  EXPECT_NE(badRequestMessage(b).find("events_url"), std::string::npos);
  b = startBody();
  b["gateway_request_id"] = std::string("a\x01", 2);
  EXPECT_FALSE(badRequestMessage(b).empty());
  EXPECT_FALSE(badRequestMessage(json::array()).empty());
}

TEST(LiveParams, WidthAndHeightGoTogetherAndAreBounded) {
  EXPECT_THROW(LiveParams::parse({{"width", 512}}), ControlError);
  EXPECT_THROW(LiveParams::parse({{"width", 512}, {"height", 0}}), ControlError);
  EXPECT_THROW(LiveParams::parse({{"width", 513}, {"height", 512}}), ControlError);
  EXPECT_THROW(LiveParams::parse({{"width", 100000}, {"height", 512}}), ControlError);
  EXPECT_THROW(LiveParams::parse({{"width", "512"}, {"height", 512}}), ControlError);
  const auto p = LiveParams::parse({{"width", 1280}, {"height", 720}});
  EXPECT_EQ(*p.size, std::make_pair(1280, 720));
}

TEST(LiveParams, FrameRateFromOneToSixty) {
  EXPECT_THROW(LiveParams::parse({{"max_framerate", 0}}), ControlError);
  EXPECT_THROW(LiveParams::parse({{"max_framerate", 61}}), ControlError);
  EXPECT_THROW(LiveParams::parse({{"max_framerate", "30"}}), ControlError);
  EXPECT_EQ(LiveParams::parse({{"max_framerate", 15}}).maxFramerate, 15);
}

TEST(LiveParams, UnknownKeysAreKeptNotRefused) {
  const auto p = LiveParams::parse({{"show_loading", true}, {"detect_out_resolution", false}});
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.other["show_loading"], true);
  EXPECT_EQ(p.other["detect_out_resolution"], false);
}

TEST(LiveParams, PromptsAsObjectListOrJsonStringAsPytrickleTakesThem) {
  const json wf = {{"1", {{"class_type", "InvertImage"}, {"inputs", json::object()}}}};
  EXPECT_TRUE(LiveParams::parse({{"prompts", wf}}).prompts->is_object());
  EXPECT_TRUE(LiveParams::parse({{"prompts", json::array({wf})}}).prompts->is_array());
  const auto fromString = LiveParams::parse({{"prompts", wf.dump()}});
  ASSERT_TRUE(fromString.prompts);
  EXPECT_EQ(*fromString.prompts, wf);
  EXPECT_TRUE(LiveParams::parse({{"prompt", wf}}).prompts);
  // The whole params object as a JSON string (a gateway's StartRequest.params).
  const auto whole =
      LiveParams::parse(json(json{{"prompts", wf}, {"width", 64}, {"height", 64}}.dump()));
  EXPECT_TRUE(whole.prompts);
  EXPECT_TRUE(whole.size);
  EXPECT_THROW(LiveParams::parse({{"prompts", 5}}), ControlError);
  EXPECT_THROW(LiveParams::parse({{"prompts", "{not json"}}), ControlError);
  EXPECT_THROW(LiveParams::parse({{"prompts", wf}, {"prompt", wf}}), ControlError);
}

TEST(LiveParams, KeepAliveIsRecognisedExactly) {
  EXPECT_TRUE(isKeepAlive({{"keep", "alive"}}));
  EXPECT_FALSE(isKeepAlive({{"keep", "alive"}, {"max_framerate", 10}}));
  EXPECT_FALSE(isKeepAlive({{"keep", "dead"}}));
  EXPECT_FALSE(isKeepAlive(json::array()));
}

TEST(LiveEvents, PytricklesEnvelope) {
  const json e =
      json::parse(live_events::envelope(live_events::kParamsUpdated, "s1", {{"via", "control"}}));
  EXPECT_EQ(e["queue_event_type"], "ai_stream_events");
  EXPECT_EQ(e["event"]["type"], "params_updated");
  EXPECT_EQ(e["event"]["stream_id"], "s1");
  EXPECT_EQ(e["event"]["via"], "control");
  EXPECT_TRUE(e["event"]["timestamp"].is_number_integer());
  const json hb = json::parse(
      live_events::envelope(live_events::kHeartbeat, "s1", {}, live_events::kHeartbeatQueue));
  EXPECT_EQ(hb["queue_event_type"], "stream_heartbeat");
  EXPECT_EQ(hb["event"]["type"], "stream_heartbeat");
}

}  // namespace
}  // namespace cs
