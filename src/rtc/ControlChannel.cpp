#include "rtc/ControlChannel.h"

#include <spdlog/spdlog.h>

#include "stream/Stream.h"
#include "util/ControlError.h"
#include "util/JsonLimits.h"
#include "util/LogEscape.h"
#include "workflow/NodeRegistry.h"
#include "workflow/Prompt.h"
#include "workflow/WorkflowError.h"

namespace cs {
namespace {

nlohmann::json valueJson(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* b = std::get_if<bool>(&v)) return *b;
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

// Reply types of the original server, by request type.
const char* replyType(const std::string& type) {
  if (type == "update_prompts") return "prompts_updated";
  if (type == "update_resolution") return "resolution_updated";
  if (type == "pause_prompts") return "prompts_paused";
  if (type == "resume_prompts") return "prompts_resumed";
  if (type == "stop_prompts") return "prompts_stopped";
  return "error";
}

}  // namespace

nlohmann::json describeNodes(const nlohmann::json& prompts) {
  const NodeRegistry& registry = NodeRegistry::builtin();
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < prompts.size(); ++i) {
    nlohmann::json nodes = nlohmann::json::object();
    for (const auto& [id, node] : prompts[i].items()) {
      const std::string t = node["class_type"];
      const auto* entry = registry.find(t);
      if (!entry) continue;
      const auto inputs = node.value("inputs", nlohmann::json::object());
      nlohmann::json described = nlohmann::json::object();
      for (const auto& in : entry->spec.inputs) {
        const bool linked = inputs.contains(in.name) && inputs[in.name].is_array();
        if (linked || in.type == ValueType::Image || in.type == ValueType::Mask ||
            in.type == ValueType::Audio || in.type == ValueType::Model)
          continue;  // widgets only: what a control panel can edit
        nlohmann::json d = {{"type", in.type == ValueType::Combo ? "combo" : typeName(in.type)},
                            {"min", in.min ? nlohmann::json(*in.min) : nlohmann::json(nullptr)},
                            {"max", in.max ? nlohmann::json(*in.max) : nlohmann::json(nullptr)},
                            {"widget", nullptr}};
        d["value"] = in.type == ValueType::Combo ? nlohmann::json(in.options)
                     : inputs.contains(in.name)  ? inputs[in.name]
                                                 : valueJson(in.defaultValue);
        described[in.name] = std::move(d);
      }
      nodes[id] = {{"class_type", t}, {"inputs", described}};
    }
    out[std::to_string(i)] = std::move(nodes);
  }
  return out;
}

ControlChannel::ControlChannel(std::weak_ptr<Stream> stream, TaskQueue& tasks, bool mayControl,
                               WorkflowService& workflows)
    : stream_(std::move(stream)), tasks_(tasks), mayControl_(mayControl), workflows_(workflows) {}

void ControlChannel::attach(GstWebRTCDataChannel* channel) {
  std::weak_ptr<ControlChannel> weak = weak_from_this();
  auto dc = std::make_unique<DataChannel>(channel, [weak, this](const std::string& msg) {
    if (weak.expired()) return;
    tasks_.post([weak, msg] {
      if (auto self = weak.lock()) self->reply(self->handle(msg));
    });
  });
  const std::string label = dc->label();
  std::lock_guard lock(mu_);
  if (label == "control") {
    control_ = std::move(dc);
  } else if (label == "data") {
    data_ = std::move(dc);
    if (auto s = stream_.lock()) s->addTextSink(weak);
  } else {
    spdlog::debug("control: ignoring data channel '{}'", logSafe(label));
  }
}

void ControlChannel::sendText(const std::string& text) noexcept {
  std::lock_guard lock(mu_);
  // Workflow text may be anything a node produced: never let invalid UTF-8 throw here.
  if (data_) data_->send(safeDump(nlohmann::json{{"type", "text"}, {"data", text}}));
}

void ControlChannel::reply(const nlohmann::json& j) {
  if (j.is_null()) return;
  std::lock_guard lock(mu_);
  if (control_) control_->send(safeDump(j));
}

nlohmann::json ControlChannel::handle(const std::string& message) {
  nlohmann::json msg;
  try {
    msg = parseJsonBounded(message);  // depth and size limits: util/JsonLimits.h
  } catch (const ControlError& e) {
    return {{"type", "error"},
            {"success", false},
            {"error", std::string("control message is not JSON: ") + e.what()}};
  }
  const std::string type = msg.is_object() ? msg.value("type", "") : "";
  auto fail = [&](const std::string& error) {
    return nlohmann::json{{"type", replyType(type)}, {"success", false}, {"error", error}};
  };
  auto ok = [&] { return nlohmann::json{{"type", replyType(type)}, {"success", true}}; };
  auto stream = stream_.lock();
  if (!stream) return fail("the stream has ended");
  if (type == "get_nodes") {
    auto wf = stream->workflow();
    return {{"type", "nodes_info"},
            {"nodes", describeNodes(wf ? wf->prompts() : nlohmann::json::array())}};
  }
  if (type != "update_prompts" && type != "update_resolution" && type != "pause_prompts" &&
      type != "resume_prompts" && type != "stop_prompts")
    return fail("unknown control message type '" + logSafe(type, 64) + "'");
  if (!mayControl_) return fail("control messages are accepted from the stream's publisher only");

  if (type == "update_prompts") {
    if (!msg.contains("prompts")) return fail("Missing 'prompts' in control message");
    try {
      stream->applyWorkflow(workflows_, WorkflowSource::of("update_prompts", msg["prompts"]),
                            "update_prompts");
      return ok();
    } catch (const ControlError& e) {
      return fail(e.what());  // busy, past the deadline, or a bad size: the old workflow runs on
    } catch (const WorkflowError& e) {
      // Refused: the running workflow keeps going.
      auto r = fail(e.what());
      r["node_errors"] = e.toJson()["node_errors"];
      return r;
    }
  }
  if (type == "update_resolution") {
    if (!msg.contains("width") || !msg.contains("height") || !msg["width"].is_number_integer() ||
        !msg["height"].is_number_integer())
      return fail("Missing 'width' or 'height' in control message");
    const int w = msg["width"], h = msg["height"];
    if (w < 16 || h < 16 || w > 4096 || h > 4096) return fail("width and height must be 16-4096");
    stream->setTargetSize(w, h);
    return ok();
  }
  if (type == "pause_prompts") {
    stream->videoProcessor().setPaused(true);
    return ok();
  }
  if (type == "resume_prompts") {
    stream->videoProcessor().setPaused(false);
    return ok();
  }
  // stop_prompts: processing ends; frames go on unprocessed until update_prompts.
  try {
    stream->applyWorkflow(workflows_, WorkflowSource::of("passthrough", defaultPrompt()),
                          "stop_prompts");
  } catch (const ControlError& e) {
    return fail(e.what());
  }
  stream->videoProcessor().setPaused(false);
  return ok();
}

}  // namespace cs
