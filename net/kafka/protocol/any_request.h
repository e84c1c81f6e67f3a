// Decoding a request frame of any API the codec describes, for the request
// fuzzer and for tools that inspect captured traffic. The broker itself decodes
// through its handler registry (net/kafka/handlers.cc).
#pragma once

#include "base/bytes.h"
#include "base/status.h"

namespace millstream::net::kafka {

// Decodes header and body of `frame` (the bytes after the size prefix), and
// encodes the body again at the same version. InvalidArgument for anything that
// does not decode; Ok when it does (whether or not the API is one we serve).
Status DecodeAnyRequest(ConstBytes frame);

}  // namespace millstream::net::kafka
