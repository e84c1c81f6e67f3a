// Whole Kafka frames for one API, the functions the rest of the broker calls.
// Each API header (produce.h, metadata.h, ...) defines a descriptor such as
//
//   struct ProduceApi {
//     static constexpr ApiKey kKey = ApiKey::kProduce;
//     static constexpr int16_t kMinVersion = 3, kMaxVersion = 8, kFirstFlexible = 9;
//     using Request = ProduceRequest;
//     using Response = ProduceResponse;
//   };
//
// and these templates take it as `Api`. The broker side is
//   DecodeRequestHeader (header.h) → DecodeRequestBody<Api> → EncodeResponse<Api>;
// the client side (tests, tools, mirroring) is EncodeRequest<Api> and
// DecodeResponse<Api>. DecodeRequest<Api> does header and body in one step.
// Frames passed in are the bytes after the 4-byte size prefix; frames returned
// include it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/decoder.h"
#include "net/kafka/protocol/encoder.h"
#include "net/kafka/protocol/header.h"
#include "net/kafka/protocol/wire.h"

namespace millstream::net::kafka {

template <typename Api>
constexpr bool IsFlexibleVersion(int16_t version) {
  return version >= Api::kFirstFlexible;
}

template <typename Api>
constexpr bool IsSupportedVersion(int16_t version) {
  return version >= Api::kMinVersion && version <= Api::kMaxVersion;
}

namespace codec_internal {

template <typename Api>
std::string Describe(int16_t version, const char* what) {
  return std::string(ApiKeyName(Api::kKey)) + " v" + std::to_string(version) + " " + what;
}

template <typename Api>
Status CheckVersion(int16_t version, const char* what) {
  if (IsSupportedVersion<Api>(version)) return Status::Ok();
  return InvalidArgument(Describe<Api>(version, what) + ": unsupported version (supported " +
                         std::to_string(Api::kMinVersion) + ".." +
                         std::to_string(Api::kMaxVersion) + ")");
}

// Reserves the size prefix, runs `write_rest`, then fills the prefix in.
template <typename WriteRest>
Result<std::vector<std::byte>> SizePrefixed(WriteRest write_rest) {
  ByteWriter out;
  out.Int32(0);
  RETURN_IF_ERROR(write_rest(out));
  if (out.size() - 4 > INT32_MAX) return InvalidArgument("frame larger than 2 GiB");
  out.PatchInt32(0, static_cast<int32_t>(out.size() - 4));
  return out.Release();
}

}  // namespace codec_internal

template <typename Api>
struct DecodedRequest {
  RequestHeader header;
  typename Api::Request body;
};

template <typename Api>
struct DecodedResponse {
  int32_t correlation_id = 0;
  typename Api::Response body;
};

// Decodes the body of a request whose header said `version`. The result's
// BytesRef members borrow from `body`. InvalidArgument for an unsupported version
// or malformed bytes, with the API, version and field path in the message.
template <typename Api>
Result<typename Api::Request> DecodeRequestBody(int16_t version, ConstBytes body) {
  RETURN_IF_ERROR(codec_internal::CheckVersion<Api>(version, "request"));
  typename Api::Request request;
  Status s = DecodeMessage(body, version, IsFlexibleVersion<Api>(version), request);
  if (!s.ok()) return s.WithContext(codec_internal::Describe<Api>(version, "request"));
  return request;
}

// Decodes a whole request frame that must be for `Api`.
template <typename Api>
Result<DecodedRequest<Api>> DecodeRequest(ConstBytes frame) {
  ConstBytes body;
  ASSIGN_OR_RETURN(RequestHeader header, DecodeRequestHeader(frame, &body));
  if (header.api_key != Api::kKey) {
    return InvalidArgument("expected a " + std::string(ApiKeyName(Api::kKey)) +
                           " request, got api key " +
                           std::to_string(static_cast<int16_t>(header.api_key)));
  }
  ASSIGN_OR_RETURN(auto request, DecodeRequestBody<Api>(header.api_version, body));
  return DecodedRequest<Api>{std::move(header), std::move(request)};
}

// Encodes a response frame: size prefix, response header, body at `version`.
// InvalidArgument for an unsupported version or a value `version` cannot carry.
template <typename Api>
Result<std::vector<std::byte>> EncodeResponse(int32_t correlation_id, int16_t version,
                                              const typename Api::Response& response) {
  RETURN_IF_ERROR(codec_internal::CheckVersion<Api>(version, "response"));
  return codec_internal::SizePrefixed([&](ByteWriter& out) {
    EncodeResponseHeader(correlation_id, ResponseHeaderVersion(Api::kKey, version), out);
    Status s = EncodeMessage(response, version, IsFlexibleVersion<Api>(version), out);
    return s.WithContext(codec_internal::Describe<Api>(version, "response"));
  });
}

// Encodes a request frame; `header.api_key` must be Api::kKey and
// `header.api_version` the version to encode the body at.
template <typename Api>
Result<std::vector<std::byte>> EncodeRequest(const RequestHeader& header,
                                             const typename Api::Request& request) {
  if (header.api_key != Api::kKey) return InvalidArgument("header api_key does not match");
  RETURN_IF_ERROR(codec_internal::CheckVersion<Api>(header.api_version, "request"));
  return codec_internal::SizePrefixed([&](ByteWriter& out) {
    RETURN_IF_ERROR(EncodeRequestHeader(header, out));
    Status s =
        EncodeMessage(request, header.api_version, IsFlexibleVersion<Api>(header.api_version), out);
    return s.WithContext(codec_internal::Describe<Api>(header.api_version, "request"));
  });
}

// Decodes a response frame to a request sent at `version`.
template <typename Api>
Result<DecodedResponse<Api>> DecodeResponse(int16_t version, ConstBytes frame) {
  RETURN_IF_ERROR(codec_internal::CheckVersion<Api>(version, "response"));
  ConstBytes body;
  ASSIGN_OR_RETURN(int32_t correlation_id,
                   DecodeResponseHeader(frame, ResponseHeaderVersion(Api::kKey, version), &body));
  DecodedResponse<Api> out;
  out.correlation_id = correlation_id;
  Status s = DecodeMessage(body, version, IsFlexibleVersion<Api>(version), out.body);
  if (!s.ok()) return s.WithContext(codec_internal::Describe<Api>(version, "response"));
  return out;
}

}  // namespace millstream::net::kafka
