// How every HTTP route answers: a JSON body with its status, and errors as
// {"error": {"status": 404, "code": "unknown_topic", "message": "..."}} so that
// a client can branch on `code` and a person can read `message`.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"

namespace millstream::net::http {

// Invalid UTF-8 in names or values is replaced, never thrown about.
inline std::string DumpJson(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline void ReplyJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(DumpJson(body) + "\n", "application/json");
}

inline void ReplyError(httplib::Response& res, int status, const std::string& code,
                       const std::string& message) {
  ReplyJson(res, status, {{"error", {{"status", status}, {"code", code}, {"message", message}}}});
}

// The one mapping from an engine Status to an HTTP answer: NotFound 404,
// InvalidArgument and OutOfRange 400, Busy 409, NoSpace 507, ShuttingDown 503,
// everything else (IoError, Corruption of stored data) 500.
inline void ReplyStatus(httplib::Response& res, const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound: return ReplyError(res, 404, "not_found", status.message());
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange: return ReplyError(res, 400, "invalid_argument", status.message());
    case StatusCode::kBusy: return ReplyError(res, 409, "conflict", status.message());
    case StatusCode::kNoSpace: return ReplyError(res, 507, "no_space", status.message());
    case StatusCode::kShuttingDown: return ReplyError(res, 503, "stopping", status.message());
    default: return ReplyError(res, 500, "storage_error", status.ToString());
  }
}

}  // namespace millstream::net::http
