#include "rtc/IcePatch.h"

#include <memory>

#include "rtc/WhepViewer.h"
#include "rtc/WhipPublisher.h"
#include "util/ControlError.h"

namespace cs {
namespace {

// A restart re-negotiates: the same deadline as a POST's negotiation.
constexpr auto kRestartTimeout = std::chrono::seconds(5);

// The session (kept alive while in use) and its connection; connection is null when `id` names
// no live WebRTC session of `role` (a recorder is a viewer too, but not a WebRTC one).
struct Found {
  std::shared_ptr<Session> session;
  PeerConnection* connection = nullptr;
};

Found find(const StreamRegistry& registry, IceSessionRole role, const std::string& id) {
  Found f;
  if (role == IceSessionRole::Publisher) {
    auto p = std::dynamic_pointer_cast<WhipPublisher>(registry.findPublisher(id));
    if (p) f.connection = &p->peer().connection();
    f.session = std::move(p);
  } else {
    auto v = std::dynamic_pointer_cast<WhepViewer>(registry.findViewer(id));
    if (v) f.connection = &v->peer().connection();
    f.session = std::move(v);
  }
  return f;
}

}  // namespace

std::optional<std::string> iceEtagOf(const StreamRegistry& registry, IceSessionRole role,
                                     const std::string& id) {
  const Found f = find(registry, role, id);
  if (!f.connection) return std::nullopt;
  return f.connection->iceEtag();
}

PeerConnection::IcePatchResult patchSessionIce(const StreamRegistry& registry, IceSessionRole role,
                                               const std::string& id, std::string_view text,
                                               const PeerConnection::IcePrecondition& check) {
  const Found f = find(registry, role, id);
  if (!f.connection) throw ControlError(ErrorKind::NotFound, "no such session");
  const IceFragment fragment = IceFragment::parse(text);
  return f.connection->patchIce(fragment, check, kRestartTimeout);
}

}  // namespace cs
