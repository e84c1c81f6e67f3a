// Request and response headers (MINIMUM.md section 1). Request header v1 is
// api_key, api_version, correlation_id and a nullable client_id; v2 (for flexible
// request versions) adds a tagged-field section, but client_id keeps the classic
// int16-length encoding. Response header v0 is the correlation_id; v1 (flexible
// responses) adds a tagged-field section, except that ApiVersions responses always
// use v0 so that a client can read them before it knows what the broker speaks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "net/kafka/protocol/api_keys.h"
#include "net/kafka/protocol/wire.h"

namespace millstream::net::kafka {

struct RequestHeader {
  ApiKey api_key = ApiKey::kApiVersions;  // may hold a number we do not know
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;

  bool operator==(const RequestHeader&) const = default;
};

// 2 when `api_version` of `key` is flexible, else 1 (also for unknown keys).
int16_t RequestHeaderVersion(ApiKey key, int16_t api_version);
// 1 when `api_version` of `key` is flexible, else 0; always 0 for ApiVersions.
int16_t ResponseHeaderVersion(ApiKey key, int16_t api_version);

// Reads the request header at the front of `frame` (the bytes after the 4-byte
// size prefix), choosing v1 or v2 from the api key and version it finds; tagged
// header fields are skipped. On success `*body` is the rest of the frame.
// InvalidArgument when the frame ends inside the header or a length is bad.
Result<RequestHeader> DecodeRequestHeader(ConstBytes frame, ConstBytes* body);

// Appends `header` in the version RequestHeaderVersion() picks for it.
// InvalidArgument when client_id is longer than 32767 bytes.
Status EncodeRequestHeader(const RequestHeader& header, ByteWriter& out);

// Reads a response header of `header_version` (0 or 1) at the front of `frame`;
// on success returns the correlation id and sets `*body` to the rest.
Result<int32_t> DecodeResponseHeader(ConstBytes frame, int16_t header_version, ConstBytes* body);

void EncodeResponseHeader(int32_t correlation_id, int16_t header_version, ByteWriter& out);

}  // namespace millstream::net::kafka
