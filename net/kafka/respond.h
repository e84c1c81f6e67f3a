// Small helpers every handler uses: encode a response at the request's version
// (as a HandlerResult), counting the error codes it carries, and decode the request body or fail the connection.
#pragma once

#include <utility>

#include "net/kafka/handler.h"
#include "net/kafka/protocol/codec.h"
#include "net/kafka/protocol/error_code_visitor.h"

namespace millstream::net::kafka {

template <typename Api>
HandlerResult Respond(const RequestContext& context, const typename Api::Response& response) {
  ForEachErrorCode(response, context.header.api_version,
                   [&context](int16_t code) { ++context.metrics.errors[code]; });
  Result<std::vector<std::byte>> frame =
      EncodeResponse<Api>(context.header.correlation_id, context.header.api_version, response);
  if (!frame.ok()) return frame.status();
  return std::optional<std::vector<std::byte>>(std::move(*frame));
}

}  // namespace millstream::net::kafka
