#include "rtc/WebRtcGateway.h"

#include <spdlog/spdlog.h>

#include "rtc/WhepViewer.h"
#include "rtc/WhipPublisher.h"
#include "util/LogEscape.h"
#include "util/RandomId.h"
#include "workflow/Prompt.h"

namespace cs {
namespace {

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

SessionInfo newSession(const std::string& streamId, const std::string& clientAddress) {
  return {newRandomId(), streamId, unixNow(), clientAddress, {}};
}

}  // namespace

WebRtcGateway::WebRtcGateway(StreamRegistry& registry, WorkflowService& workflows,
                             MediaNetwork network)
    : registry_(registry), workflows_(workflows), network_(std::move(network)) {}

WebRtcGateway::Created WebRtcGateway::publish(const std::string& streamId,
                                              const std::string& workflowName,
                                              const std::string& offer,
                                              const std::string& clientAddress) {
  validateStreamId(streamId);
  if (workflowName.empty()) {
    if (auto staged = takeStaged(streamId))
      return publishWorkflow(streamId, *staged, offer, 512, 512, clientAddress);
  }
  return publishWorkflow(streamId,
                         workflows_.named(workflowName.empty() ? "passthrough" : workflowName),
                         offer, 512, 512, clientAddress);
}

void WebRtcGateway::stageWorkflow(const std::string& streamId, const WorkflowSource& source) {
  validateStreamId(streamId);
  workflows_.compile(source, 512, 512);  // throws WorkflowError with the node errors
  std::lock_guard lock(stagedMu_);
  staged_.insert_or_assign(streamId, Staged{source, ++stagedOrder_});
  if (staged_.size() <= kMaxStagedWorkflows) return;
  auto oldest = staged_.begin();
  for (auto it = staged_.begin(); it != staged_.end(); ++it)
    if (it->second.order < oldest->second.order) oldest = it;
  spdlog::info("stream {}: staged workflow dropped (more than {} staged)", logSafe(oldest->first),
               kMaxStagedWorkflows);
  staged_.erase(oldest);
}

std::optional<WorkflowSource> WebRtcGateway::takeStaged(const std::string& streamId) {
  std::lock_guard lock(stagedMu_);
  auto it = staged_.find(streamId);
  if (it == staged_.end()) return std::nullopt;
  WorkflowSource source = std::move(it->second.source);
  staged_.erase(it);
  return source;
}

WebRtcGateway::Created WebRtcGateway::publishWorkflow(const std::string& streamId,
                                                      const WorkflowSource& workflow,
                                                      const std::string& offerText, int width,
                                                      int height, const std::string& clientAddress,
                                                      std::shared_ptr<GraphWorkflow> compiled) {
  validateStreamId(streamId);
  registry_.checkPending(clientAddress);
  spdlog::debug("WHIP: offer for stream {}:\n{}", logSafe(streamId), logSafe(offerText, 16384));
  const SdpOffer offer = SdpOffer::parse(offerText, OfferRole::Publisher);
  auto role = registry_.reservePublisher(streamId);
  const auto& stream = role.stream();
  stream->setTargetSize(width, height);
  const std::string what = "workflow '" + logSafe(workflow.name) + "'";
  if (compiled)
    stream->applyWorkflow(workflows_, std::move(compiled), what);
  else
    stream->applyWorkflow(workflows_, workflow, what);
  std::string answer;
  auto pub = WhipPublisher::negotiate(newSession(streamId, clientAddress), workflow.name, stream,
                                      offer, ctx_, answer);
  spdlog::debug("WHIP: answer {}:\n{}", pub->id(), answer);
  registry_.attachPublisher(role, pub);
  spdlog::info("WHIP: Created ingest session {} for stream {} (workflow {}, video {}, audio {})",
               pub->id(), logSafe(streamId), logSafe(workflow.name),
               pub->peer().videoCodec() ? toString(*pub->peer().videoCodec()) : "none",
               pub->peer().hasAudio() ? "opus" : "none");
  return {pub->id(), answer};
}

WebRtcGateway::Created WebRtcGateway::subscribe(const std::string& streamId,
                                                const std::string& offerText,
                                                const std::string& clientAddress) {
  validateStreamId(streamId);
  registry_.checkPending(clientAddress);
  const SdpOffer offer = SdpOffer::parse(offerText, OfferRole::Viewer);
  auto role = registry_.reserveViewer(streamId);
  spdlog::debug("WHEP: offer for stream {}:\n{}", logSafe(streamId), logSafe(offerText, 16384));
  std::string answer;
  auto viewer = WhepViewer::negotiate(newSession(streamId, clientAddress), role.stream(), offer,
                                      ctx_, answer);
  spdlog::debug("WHEP: answer {}:\n{}", viewer->id(), answer);
  registry_.attachViewer(role, viewer);
  spdlog::info("WHEP: Created subscription session {} for stream {} (video {}), total: {}",
               viewer->id(), logSafe(streamId),
               viewer->videoCodec() ? toString(*viewer->videoCodec()) : "none",
               role.stream()->viewerCount());
  return {viewer->id(), answer};
}

WebRtcGateway::Created WebRtcGateway::offer(const std::string& offerText,
                                            const nlohmann::json& prompts, int width, int height,
                                            const std::string& clientAddress) {
  registry_.checkPending(clientAddress);
  const SdpOffer offer = SdpOffer::parse(offerText, OfferRole::Duplex);
  const bool noop = prompts.is_null() || prompts.empty();
  const auto workflow =
      WorkflowSource::of(noop ? "passthrough" : "offer", noop ? defaultPrompt() : prompts);
  // The stream is named after the publishing half, and lives as long as the connection.
  SessionInfo pubInfo = newSession({}, clientAddress);
  SessionInfo viewInfo = newSession({}, clientAddress);
  pubInfo.streamId = viewInfo.streamId = pubInfo.id;
  pubInfo.pairedId = viewInfo.id;
  viewInfo.pairedId = pubInfo.id;

  auto roles = registry_.reserveDuplex(pubInfo.streamId);
  const auto& stream = roles.stream();
  stream->setTargetSize(width, height);
  // The original warms up before answering.
  stream->applyWorkflow(workflows_, workflow, "the /offer workflow");
  if (const MediaChoice* v = offer.video()) stream->ensureEncoder(v->videoCodec);
  auto pc = std::make_shared<PeerConnection>("offer-" + pubInfo.id.substr(0, 8), network_,
                                             stream->baseTime());
  // The viewer half first: it creates the sendrecv transceivers the publisher half receives on.
  auto viewer = std::make_shared<WhepViewer>(viewInfo, pc, stream, offer, ctx_);
  auto pub = std::make_shared<WhipPublisher>(pubInfo, workflow.name, pc, stream, offer, ctx_);
  // One connection, one state: both halves hear it; the publisher's end takes the viewer along.
  pc->onStateChange([p = pub.get(), v = viewer.get()](GstWebRTCPeerConnectionState st) {
    v->onConnectionState(st);
    p->onConnectionState(st);
  });
  std::string answer = pub->peer().negotiate(offer, network_.publicIp);
  registry_.attachPublisher(roles, pub);
  registry_.attachViewer(roles, viewer);
  spdlog::info("OFFER: Created session {} (stream {}, workflow {})", pub->id(), pub->streamId(),
               logSafe(workflow.name));
  return {pub->id(), answer};
}

}  // namespace cs
