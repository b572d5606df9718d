#pragma once
// The original comfystream's data-channel protocol for one session. "control": get_nodes,
// update_prompts, update_resolution, pause_prompts, resume_prompts, stop_prompts, each answered
// with its reply type and success/error. "data": {"type":"text","data":…} for every text the
// workflow outputs.
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "rtc/DataChannel.h"
#include "stream/TextSink.h"
#include "util/TaskQueue.h"
#include "workflow/WorkflowService.h"

namespace cs {

class Stream;
class GraphWorkflow;

class ControlChannel final : public TextSink, public std::enable_shared_from_this<ControlChannel> {
 public:
  // mayControl: publishers change their stream's workflow; viewers only receive text.
  // workflows: where update_prompts' workflow is compiled and warmed up, with the same executor,
  // queue bound and deadline as HTTP updates.
  ControlChannel(std::weak_ptr<Stream> stream, TaskQueue& tasks, bool mayControl,
                 WorkflowService& workflows);

  // A channel the client opened (webrtcbin thread): "control" or "data"; others are ignored.
  void attach(GstWebRTCDataChannel* channel);
  void sendText(const std::string& text) noexcept override;

  // One control message; returns the reply (the TaskQueue thread runs this). Public for tests.
  nlohmann::json handle(const std::string& message);

 private:
  void reply(const nlohmann::json& j);

  std::weak_ptr<Stream> stream_;
  TaskQueue& tasks_;
  const bool mayControl_;
  WorkflowService& workflows_;
  std::mutex mu_;
  std::unique_ptr<DataChannel> control_, data_;
};

// get_nodes' answer for a set of converted workflows (the original's get_available_nodes).
nlohmann::json describeNodes(const nlohmann::json& prompts);

}  // namespace cs
