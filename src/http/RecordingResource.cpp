#include "http/RecordingResource.h"

#include <spdlog/spdlog.h>

#include "http/ErrorResponse.h"
#include "http/FileResponse.h"
#include "stream/StreamRegistry.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

using http::Request;
using http::Response;

// A stream id is any UTF-8 without control characters, '/' included (sent as %2F, decoded
// before routing): the id is everything between /streams/ and the last /recordings.
constexpr const char* kBase = R"((?:/live)?/streams/(.{1,256})/recordings)";
constexpr const char* kRecordingId = "([0-9a-f]{32})";

void requireAccess(const http::Authorizer& auth, const Request& req, const std::string& streamId) {
  if (auth.streamsProtected())
    auth.require(req, http::Role::Publish, streamId);
  else
    auth.requireAdmin(req);
}

// RFC 3986 §2.3: everything but unreserved characters percent-encoded (a stream id is any
// UTF-8), so the Location header is a valid URI reference.
std::string pathSegment(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string locationOf(const RecordingStatus& s) {
  return "/streams/" + pathSegment(s.streamId) + "/recordings/" + s.id;
}

}  // namespace

nlohmann::json recordingJson(const RecordingStatus& s) {
  return {
      {"id", s.id},
      {"stream_id", s.streamId},
      {"path", s.path},
      {"state", std::string(toString(s.state))},
      {"error", s.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.error)},
      {"bytes", s.bytes},
      {"duration", static_cast<double>(s.durationNs) / 1e9},
      {"started_at", s.startedAt},
      {"has_audio", s.hasAudio},
      {"frames_written", s.framesWritten},
      {"frames_dropped", s.framesDropped},
      {"audio_packets_written", s.audioPacketsWritten},
      {"audio_packets_dropped", s.audioPacketsDropped},
  };
}

void addRecordingRoutes(http::Router& router, RecordingService& recordings,
                        const http::Authorizer& auth) {
  const std::string base = kBase;
  const std::string one = base + "/" + kRecordingId;
  router.post(base, [&recordings, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] {
      const std::string& streamId = req.matches[1];
      requireAccess(auth, req, streamId);
      const RecordingStatus s = recordings.start(streamId, req.remoteAddress);
      res.status = 201;
      res.setHeader("Location", locationOf(s));
      res.setContent(dumpJson(recordingJson(s)), "application/json");
    });
    if (res.status >= 400)
      spdlog::info("recordings: rejected POST for stream {} from {} ({}): {}",
                   logSafe(req.matches[1]), req.remoteAddress, res.status, logSafe(res.body));
  });
  router.get(base, [&recordings, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] {
      const std::string& streamId = req.matches[1];
      requireAccess(auth, req, streamId);
      const auto all = recordings.list(streamId);
      // A stream that is gone still lists the recordings it left; one that never recorded and
      // does not exist is unknown.
      if (all.empty() && !recordings.streamExists(streamId))
        throw ControlError(ErrorKind::NotFound, "no stream '" + logSafe(streamId) + "'");
      nlohmann::json list = nlohmann::json::array();
      for (const auto& s : all) list.push_back(recordingJson(s));
      res.setContent(dumpJson({{"recordings", std::move(list)}}), "application/json");
    });
  });
  router.get(one, [&recordings, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] {
      requireAccess(auth, req, req.matches[1]);
      const auto s = recordings.status(req.matches[1], req.matches[2]);
      if (!s) throw ControlError(ErrorKind::NotFound, "no such recording");
      res.setContent(dumpJson(recordingJson(*s)), "application/json");
    });
  });
  // The file itself, for a player or a download (docs/RECORDING.md): streamed from disk, with
  // byte ranges; a running recording serves what it has written so far.
  router.get(one + "/file", [&recordings, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] {
      requireAccess(auth, req, req.matches[1]);
      const auto s = recordings.status(req.matches[1], req.matches[2]);
      if (!s) throw ControlError(ErrorKind::NotFound, "no such recording");
      http::answerWithFile(req, res, s->path, {"video/x-matroska", req.param("download") == "1"});
    });
  });
  router.del(one, [&recordings, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] {
      requireAccess(auth, req, req.matches[1]);
      const RecordingStatus s = recordings.stop(req.matches[1], req.matches[2]);
      res.setContent(dumpJson(recordingJson(s)), "application/json");
    });
  });
}

bool recordingRequested(const RecordingService* recordings, const http::Request& req) {
  return recordings && (req.param("record") == "1" || recordings->settings().recordEveryStream);
}

void checkRecordingBeforePublish(const RecordingService* recordings, const http::Request& req) {
  if (recordings && req.param("record") == "1") recordings->requireWritable();
}

void startRecordingWithPublisher(RecordingService* recordings, const http::Request& req,
                                 const std::string& streamId) {
  if (!recordingRequested(recordings, req)) return;
  try {
    const RecordingStatus s = recordings->start(streamId, req.remoteAddress);
    spdlog::info("stream {}: recording {} started with its publisher ({})", logSafe(streamId), s.id,
                 s.path);
  } catch (const ControlError& e) {
    if (req.param("record") == "1") throw;
    spdlog::error("stream {}: --record could not start a recording: {}", logSafe(streamId),
                  e.what());
  }
}

}  // namespace cs
