#pragma once
// What BYOC needs from the stream core, and nothing more: its sessions publish to and view
// streams, end what they started, compile a job's workflow up front, and follow their media by
// asking for each publisher's and viewer's figures. SessionManager and JobHandlers see only this
// interface; StreamCoreMediaHost implements it over the stream core, the unit tests over
// a fake.
//
// Asked, not told: the session sweep needs the frame counters in any case (they tell an idle
// session from a busy one), and "ended" is simply "no figures any more", so one question per id
// and sweep covers ended, connected and active alike. The stream core never calls into BYOC (no
// callbacks on its threads, no listener to unregister, no lock order to keep).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "stream/SessionStats.h"
#include "workflow/GraphWorkflow.h"

namespace cs {

class MediaHost {
 public:
  // A publisher or viewer whose offer was answered: its id (the key to its figures and to ending
  // it) and the SDP answer for its peer.
  struct Answered {
    std::string id;
    std::string answer;
  };

  virtual ~MediaHost() = default;

  // Publishes to `streamId` (created when needed) from a WHIP-style SDP offer, running `prompts`
  // (one ComfyUI API-format workflow or a list), warmed up at width × height until real frames
  // arrive. `compiled`, when given, is `prompts` already compiled (compileWorkflow) and is only
  // warmed up. Throws ControlError (conflict, capacity, bad offer, …) or WorkflowError.
  virtual Answered publish(const std::string& streamId, const nlohmann::json& prompts,
                           const std::string& offer, int width, int height,
                           std::shared_ptr<GraphWorkflow> compiled) = 0;
  // Views the processed output of `streamId` from a WHEP-style SDP offer. Throws ControlError
  // (NoPublisher while the stream has none, capacity, bad offer, …).
  virtual Answered view(const std::string& streamId, const std::string& offer) = 0;

  // Ends a publisher / viewer and frees its media; false when it had ended already. Waits for the
  // teardown: call from a request thread or the main loop, never from a streaming thread.
  virtual bool endPublisher(const std::string& id) = 0;
  virtual bool endViewer(const std::string& id) = 0;

  // Its figures now; nullopt once it has ended, whatever ended it (a DELETE, a silent or failed
  // peer, shutdown). Cheap: the sweep asks for every session's media each period.
  virtual std::optional<PublisherStats> publisherStats(const std::string& id) const = 0;
  virtual std::optional<ViewerStats> viewerStats(const std::string& id) const = 0;

  // Compiles `prompts` at width × height (models load) under the warm-up deadline, without
  // warm-up: a job refuses a broken workflow before its session exists, and its first publisher
  // runs what was compiled here. Throws WorkflowError or ControlError.
  virtual std::shared_ptr<GraphWorkflow> compileWorkflow(const nlohmann::json& prompts, int width,
                                                         int height) = 0;
};

}  // namespace cs
