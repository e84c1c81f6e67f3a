// ApiVersions: the first request on every connection. Answers the versions of
// exactly the handlers in the registry. A version above ours gets the v0 layout
// with UNSUPPORTED_VERSION and the full list (KIP-511), so every client can parse
// it and retry lower; a v3 request we cannot parse gets INVALID_REQUEST, on which
// librdkafka falls back to v0 (MINIMUM.md section 2).
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/api_versions.h"
#include "net/kafka/protocol/codec.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleApiVersions(RequestContext& context, ConstBytes body) {
  ApiVersionsResponse response;
  for (const HandlerEntry& entry : Handlers()) {
    response.api_keys.push_back({static_cast<int16_t>(entry.key), entry.min_version, entry.max_version});
  }
  int16_t version = context.header.api_version;
  if (!IsSupportedVersion<ApiVersionsApi>(version)) {
    response.error_code = Code(ErrorCode::kUnsupportedVersion);
    version = 0;
  } else if (!DecodeRequestBody<ApiVersionsApi>(version, body).ok()) {
    response.error_code = Code(ErrorCode::kInvalidRequest);
    version = 0;
  }
  Result<std::vector<std::byte>> frame =
      EncodeResponse<ApiVersionsApi>(context.header.correlation_id, version, response);
  if (!frame.ok()) co_return frame.status();
  co_return std::optional<std::vector<std::byte>>(std::move(*frame));
}

}  // namespace millstream::net::kafka
