#pragma once
// Server-side recordings of a stream (docs/RECORDING.md):
//   POST   /streams/{streamId}/recordings       start one: 201, Location, {id, path, started_at, …}
//   GET    /streams/{streamId}/recordings       list them (running and recently ended)
//   GET    /streams/{streamId}/recordings/{id}  one recording's status
//   DELETE /streams/{streamId}/recordings/{id}  stop it; 200 with the final status once the file
//                                               is closed
// With stream tokens on, the stream's publish token (or the admin token); otherwise the admin
// token when one is set: a recording writes to the server's disk.
#include <nlohmann/json.hpp>

#include "http/Authorizer.h"
#include "http/Router.h"
#include "record/RecordingService.h"

namespace cs {

void addRecordingRoutes(http::Router& router, RecordingService& recordings,
                        const http::Authorizer& auth);

// The JSON of one recording's status.
nlohmann::json recordingJson(const RecordingStatus& s);

// The WHIP POST's part (?record=1, or --record for every stream). Before publishing: throws
// ControlError(Internal) when ?record=1 asks for a recording the directory cannot take, so
// nothing is negotiated for it. After publishing: starts the recording; an explicit ?record=1
// that cannot start throws (the caller ends the publisher), --record only logs.
bool recordingRequested(const RecordingService* recordings, const http::Request& req);
void checkRecordingBeforePublish(const RecordingService* recordings, const http::Request& req);
void startRecordingWithPublisher(RecordingService* recordings, const http::Request& req,
                                 const std::string& streamId);

}  // namespace cs
