#include "net/kafka/protocol/header.h"

namespace millstream::net::kafka {

namespace {

bool IsFlexible(ApiKey key, int16_t api_version) {
  return api_version >= FirstFlexibleVersion(key);
}

Status HeaderError(const ByteReader& r, std::string_view field) {
  return InvalidArgument(std::string(ReadErrorText(r.error())) + " at field 'header." +
                         std::string(field) + "'");
}

}  // namespace

int16_t RequestHeaderVersion(ApiKey key, int16_t api_version) {
  return IsFlexible(key, api_version) ? 2 : 1;
}

int16_t ResponseHeaderVersion(ApiKey key, int16_t api_version) {
  if (key == ApiKey::kApiVersions) return 0;
  return IsFlexible(key, api_version) ? 1 : 0;
}

Result<RequestHeader> DecodeRequestHeader(ConstBytes frame, ConstBytes* body) {
  ByteReader r(frame);
  RequestHeader h;
  h.api_key = static_cast<ApiKey>(r.Int16());
  if (!r.ok()) return HeaderError(r, "api_key");
  h.api_version = r.Int16();
  if (!r.ok()) return HeaderError(r, "api_version");
  h.correlation_id = r.Int32();
  if (!r.ok()) return HeaderError(r, "correlation_id");
  auto client_id = r.NullableString(/*compact=*/false);  // classic even in v2
  if (!r.ok()) return HeaderError(r, "client_id");
  if (client_id) h.client_id.emplace(*client_id);
  if (RequestHeaderVersion(h.api_key, h.api_version) >= 2) {
    r.SkipTaggedFields();
    if (!r.ok()) return HeaderError(r, "<tagged fields>");
  }
  *body = frame.subspan(frame.size() - r.remaining());
  return h;
}

Status EncodeRequestHeader(const RequestHeader& header, ByteWriter& out) {
  if (header.client_id && header.client_id->size() > INT16_MAX) {
    return InvalidArgument("client_id of " + std::to_string(header.client_id->size()) +
                           " bytes is too long at field 'header.client_id'");
  }
  out.Int16(static_cast<int16_t>(header.api_key));
  out.Int16(header.api_version);
  out.Int32(header.correlation_id);
  if (header.client_id) {
    out.String(*header.client_id, /*compact=*/false);
  } else {
    out.StringLength(-1, /*compact=*/false);
  }
  if (RequestHeaderVersion(header.api_key, header.api_version) >= 2) out.NoTaggedFields();
  return Status::Ok();
}

Result<int32_t> DecodeResponseHeader(ConstBytes frame, int16_t header_version, ConstBytes* body) {
  ByteReader r(frame);
  int32_t correlation_id = r.Int32();
  if (!r.ok()) return HeaderError(r, "correlation_id");
  if (header_version >= 1) {
    r.SkipTaggedFields();
    if (!r.ok()) return HeaderError(r, "<tagged fields>");
  }
  *body = frame.subspan(frame.size() - r.remaining());
  return correlation_id;
}

void EncodeResponseHeader(int32_t correlation_id, int16_t header_version, ByteWriter& out) {
  out.Int32(correlation_id);
  if (header_version >= 1) out.NoTaggedFields();
}

}  // namespace millstream::net::kafka
