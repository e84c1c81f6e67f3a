// Decompressing the records area of a RecordBatch that a client compressed
// (attributes bits 0-2): gzip, snappy, lz4 and zstd, as Kafka clients write them.
// The broker stores and serves such batches as sent; only readers that need the
// records themselves (replay, dump) decompress. docs/storage-format.md,
// "Compressed batches", has the framing of each codec.
#pragma once

#include <cstddef>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "storage/record_batch.h"

namespace millstream::storage {

// The records area of `compressed` (the bytes after the 61-byte header of a
// batch whose codec is `codec`), decompressed. Corruption when the bytes do not
// decode, or decode to more than `max_bytes` (a bound against a decompression
// bomb). kNone returns the bytes as they are.
Result<std::vector<std::byte>> Decompress(Compression codec, ConstBytes compressed,
                                          size_t max_bytes = 256u << 20);

}  // namespace millstream::storage
