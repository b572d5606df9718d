// Load client for `make bench`: N WHEP viewers that receive RTP without decoding it, so the
// machine's cores go to the server being measured. Each viewer is a webrtcbin offerer gathering
// on 127.0.0.1 only. Prints one JSON object: per-viewer packet counts and time to first packet.
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "rtc/MediaNetwork.h"
#include "util/GstPtr.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Viewer {
  cs::ElementPtr pipeline;
  GstElement* webrtc = nullptr;
  std::string location;
  Clock::time_point posted;
  std::atomic<int64_t> firstVideoUs{-1};
  std::atomic<uint64_t> videoPackets{0}, audioPackets{0};
  std::mutex mu;
  std::condition_variable cv;
  bool gathered = false;
};

GstStructure* await(GstElement* webrtc, const char* signal, GstWebRTCSessionDescription* desc) {
  GstPromise* p = gst_promise_new();
  if (desc)
    g_signal_emit_by_name(webrtc, signal, desc, p);
  else
    g_signal_emit_by_name(webrtc, signal, nullptr, p);
  gst_promise_wait(p);
  const GstStructure* r = gst_promise_get_reply(p);
  GstStructure* copy = r ? gst_structure_copy(r) : nullptr;
  gst_promise_unref(p);
  return copy;
}

GstPadProbeReturn countPacket(GstPad*, GstPadProbeInfo*, gpointer data) {
  static_cast<std::atomic<uint64_t>*>(data)->fetch_add(1, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

void onPadAdded(GstElement*, GstPad* pad, gpointer data) {
  auto* v = static_cast<Viewer*>(data);
  cs::CapsPtr caps(gst_pad_get_current_caps(pad));
  const bool video =
      caps && g_strcmp0(gst_structure_get_string(gst_caps_get_structure(caps.get(), 0), "media"),
                        "video") == 0;
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(v->pipeline.get()), sink);
  gst_element_sync_state_with_parent(sink);
  cs::PadPtr sinkPad(gst_element_get_static_pad(sink, "sink"));
  gst_pad_link(pad, sinkPad.get());
  if (video) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - v->posted);
    int64_t none = -1;
    v->firstVideoUs.compare_exchange_strong(none, us.count());
  }
  gst_pad_add_probe(sinkPad.get(), GST_PAD_PROBE_TYPE_BUFFER, countPacket,
                    video ? &v->videoPackets : &v->audioPackets, nullptr);
}

void onGathering(GstElement* webrtc, GParamSpec*, gpointer data) {
  auto* v = static_cast<Viewer*>(data);
  GstWebRTCICEGatheringState s;
  g_object_get(webrtc, "ice-gathering-state", &s, nullptr);
  if (s != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
  std::lock_guard lock(v->mu);
  v->gathered = true;
  v->cv.notify_all();
}

bool start(Viewer& v, httplib::Client& http, const std::string& path, const std::string& codec) {
  v.pipeline = cs::adoptElement(gst_pipeline_new(nullptr));
  v.webrtc = gst_element_factory_make("webrtcbin", nullptr);
  g_object_set(v.webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, nullptr);
  gst_bin_add(GST_BIN(v.pipeline.get()), v.webrtc);
  cs::configureIceAgent(v.webrtc, {"127.0.0.1", 0, 0, ""});
  g_signal_connect(v.webrtc, "pad-added", G_CALLBACK(onPadAdded), &v);
  g_signal_connect(v.webrtc, "notify::ice-gathering-state", G_CALLBACK(onGathering), &v);
  const std::string vcaps =
      codec == "VP8"
          ? "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
          : "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
            "packetization-mode=(string)1,profile-level-id=(string)42e01f";
  for (const std::string& c :
       {vcaps, std::string("application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
                           "clock-rate=48000,encoding-params=(string)2")}) {
    cs::CapsPtr caps(gst_caps_from_string(c.c_str()));
    GstWebRTCRTPTransceiver* t = nullptr;
    g_signal_emit_by_name(v.webrtc, "add-transceiver",
                          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps.get(), &t);
    if (t) gst_object_unref(t);
  }
  gst_element_set_state(v.pipeline.get(), GST_STATE_PLAYING);

  GstStructure* reply = await(v.webrtc, "create-offer", nullptr);
  GstWebRTCSessionDescription* offer = nullptr;
  if (reply)
    gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  if (reply) gst_structure_free(reply);
  if (!offer) return false;
  cs::SessionDescriptionPtr offerPtr(offer);
  if (GstStructure* r = await(v.webrtc, "set-local-description", offer)) gst_structure_free(r);
  {
    std::unique_lock lock(v.mu);
    v.cv.wait_for(lock, std::chrono::seconds(5), [&] { return v.gathered; });
  }
  GstWebRTCSessionDescription* local = nullptr;
  g_object_get(v.webrtc, "local-description", &local, nullptr);
  cs::SessionDescriptionPtr localPtr(local);
  cs::GCharPtr sdp(gst_sdp_message_as_text(local->sdp));

  v.posted = Clock::now();
  auto res = http.Post(path.c_str(), sdp.get(), "application/sdp");
  if (!res || res->status != 201) {
    std::cerr << "WHEP POST failed: "
              << (res ? std::to_string(res->status) + " " + res->body : "no answer") << "\n";
    return false;
  }
  v.location = res->get_header_value("Location");
  GstSDPMessage* msg = nullptr;
  gst_sdp_message_new_from_text(res->body.c_str(), &msg);
  cs::SessionDescriptionPtr answer(
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg));
  if (GstStructure* r = await(v.webrtc, "set-remote-description", answer.get()))
    gst_structure_free(r);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"WHEP load viewers (no decoding)"};
  std::string url = "http://127.0.0.1:8889", stream = "default", codec = "H264";
  int viewers = 10;
  double duration = 20;
  app.add_option("--url", url);
  app.add_option("--stream", stream);
  app.add_option("--codec", codec)->check(CLI::IsMember({"H264", "VP8"}));
  app.add_option("--viewers", viewers)->check(CLI::Range(1, 500));
  app.add_option("--duration", duration, "seconds to stay connected");
  CLI11_PARSE(app, argc, argv);
  gst_init(&argc, &argv);

  httplib::Client http(url);
  http.set_read_timeout(10);
  std::vector<std::unique_ptr<Viewer>> all;
  for (int i = 0; i < viewers; ++i) {
    auto v = std::make_unique<Viewer>();
    if (!start(*v, http, "/whep?streamId=" + stream, codec)) return 1;
    all.push_back(std::move(v));
  }
  std::cerr << "load_viewers: " << viewers << " viewers connected\n";
  std::this_thread::sleep_for(std::chrono::duration<double>(duration));

  nlohmann::json out = {{"viewers", nlohmann::json::array()}};
  for (auto& v : all) {
    out["viewers"].push_back({{"video_packets", v->videoPackets.load()},
                              {"audio_packets", v->audioPackets.load()},
                              {"first_video_packet_ms", v->firstVideoUs.load() / 1000.0}});
    http.Delete(v->location.c_str());
    gst_element_set_state(v->pipeline.get(), GST_STATE_NULL);
  }
  std::cout << out.dump() << std::endl;
  return 0;
}
