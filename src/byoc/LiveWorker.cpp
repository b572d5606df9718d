#include "byoc/LiveWorker.h"

#include <spdlog/spdlog.h>

#include "util/ControlError.h"
#include "util/HttpUrl.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

constexpr std::chrono::milliseconds kStopWait{8000};
constexpr unsigned kRetryAfterSeconds = 5;

}  // namespace

std::string_view LiveWorker::toString(Health h) {
  switch (h) {
    case Health::Loading:
      return "LOADING";
    case Health::Idle:
      return "IDLE";
    case Health::Ok:
      return "OK";
    case Health::Error:
      return "ERROR";
  }
  return "ERROR";
}

LiveWorker::LiveWorker(StreamRegistry& registry, WorkflowService& workflows, MainLoop& loop,
                       LiveSettings settings)
    : registry_(registry), workflows_(workflows), loop_(loop), settings_(std::move(settings)) {}

LiveWorker::~LiveWorker() {
  shutdown();
}

nlohmann::json LiveWorker::start(LiveStartRequest request, const std::string& clientAddress) {
  const std::string id = request.gatewayRequestId;
  // The server connects to these URLs: with --trickle-allow, only to the orchestrators named.
  if (!settings_.allowHosts.empty()) {
    for (const std::string* url : {&request.subscribeUrl, &request.publishUrl, &request.controlUrl,
                                   &request.eventsUrl, &request.dataUrl}) {
      if (url->empty()) continue;
      const auto parsed = HttpUrl::parse(*url);
      if (!parsed || !settings_.allowHosts.allows(*parsed))
        throw ControlError(ErrorKind::Forbidden,
                           "channel host of '" + logSafe(*url) + "' is not in --trickle-allow");
    }
  }
  {
    std::lock_guard lock(mu_);
    if (shutDown_) throw ControlError(ErrorKind::Capacity, "the server is shutting down", 30);
    if (streams_.count(id))
      throw ControlError(ErrorKind::Conflict, "stream '" + logSafe(id) + "' is already running");
    if (streams_.size() + starting_ >= settings_.capacity)
      throw ControlError(ErrorKind::Capacity,
                         "at capacity: " + std::to_string(settings_.capacity) +
                             " live stream(s) (--stream-capacity)",
                         kRetryAfterSeconds);
    ++starting_;
  }
  std::shared_ptr<LiveStream> stream;
  try {
    stream = LiveStream::start(
        {registry_, workflows_, loop_, settings_}, std::move(request), clientAddress,
        [this, alive = std::weak_ptr<bool>(alive_)](const std::string& gone) {
          if (alive.expired()) return;
          std::shared_ptr<LiveStream> last;  // released outside the lock
          std::lock_guard lock(mu_);
          if (auto it = streams_.find(gone); it != streams_.end()) {
            last = std::move(it->second);
            streams_.erase(it);
          }
        });
  } catch (...) {
    std::lock_guard lock(mu_);
    --starting_;
    throw;
  }
  {
    std::lock_guard lock(mu_);
    --starting_;
    streams_[id] = stream;
  }
  return {{"status", "success"},
          {"message", "Stream started successfully"},
          {"request_id", id},
          {"current_state", std::string(toString(health()))}};
}

std::shared_ptr<LiveStream> LiveWorker::choose(const std::string& streamId) const {
  if (!streamId.empty()) {
    const auto it = streams_.find(streamId);
    if (it == streams_.end())
      throw ControlError(ErrorKind::NotFound, "no live stream '" + logSafe(streamId) + "'");
    return it->second;
  }
  if (streams_.empty()) throw ControlError(ErrorKind::BadRequest, "No active stream");
  if (streams_.size() > 1)
    throw ControlError(ErrorKind::BadRequest,
                       "several streams are running: name one with the X-Stream-Id header");
  return streams_.begin()->second;
}

nlohmann::json LiveWorker::updateParams(const std::string& streamId, const LiveParams& params) {
  std::shared_ptr<LiveStream> stream;
  {
    std::lock_guard lock(mu_);
    stream = choose(streamId);
  }
  stream->updateParams(params, "http");
  return {{"status", "success"},
          {"message", "Parameters updated successfully"},
          {"request_id", stream->id()}};
}

nlohmann::json LiveWorker::stop(const std::string& streamId, const std::string& reason) {
  std::shared_ptr<LiveStream> stream;
  {
    std::lock_guard lock(mu_);
    stream = choose(streamId);
  }
  const bool ended = stream->stop(reason, kStopWait);
  return {{"status", "success"},
          {"message", ended ? "Stream stopped" : "Stream stopping"},
          {"request_id", stream->id()}};
}

nlohmann::json LiveWorker::status() const {
  std::vector<std::shared_ptr<LiveStream>> streams;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, s] : streams_) streams.push_back(s);
  }
  nlohmann::json out = {{"status", std::string(toString(health()))},
                        {"client_active", !streams.empty()},
                        {"capacity", settings_.capacity},
                        {"streams", nlohmann::json::array()}};
  for (const auto& s : streams) out["streams"].push_back(s->status());
  // pytrickle serves one stream: its clients read these at the top level.
  if (streams.size() == 1) {
    const auto& only = out["streams"][0];
    out["fps"] = only["fps"];
    out["current_params"] = {{"subscribe_url", only["urls"]["subscribe_url"]},
                             {"publish_url", only["urls"]["publish_url"]},
                             {"gateway_request_id", only["gateway_request_id"]}};
  }
  return out;
}

LiveWorker::Health LiveWorker::health() const {
  std::lock_guard lock(mu_);
  for (const auto& [id, s] : streams_)
    if (s->failed()) return Health::Error;
  if (!streams_.empty()) return Health::Ok;
  return starting_ > 0 ? Health::Loading : Health::Idle;
}

void LiveWorker::shutdown() {
  std::vector<std::shared_ptr<LiveStream>> streams;
  {
    std::lock_guard lock(mu_);
    shutDown_ = true;
    for (const auto& [id, s] : streams_) streams.push_back(s);
  }
  for (const auto& s : streams) {
    if (!s->stop("server shutting down", kStopWait))
      spdlog::warn("live stream {}: did not end within {} ms at shutdown", logSafe(s->id()),
                   kStopWait.count());
  }
}

}  // namespace cs
