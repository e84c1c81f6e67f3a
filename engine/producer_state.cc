#include "engine/producer_state.h"

#include <xxhash.h>

#include <cstring>

#include "base/endian.h"

namespace millstream::engine {

namespace {

int32_t LastSequence(const storage::BatchHeader& batch) {
  // Sequences wrap from INT32_MAX to 0 (MINIMUM.md section 4).
  int64_t last = int64_t{batch.base_sequence} + batch.last_offset_delta;
  return static_cast<int32_t>(last > INT32_MAX ? last - INT32_MAX - 1 : last);
}

int32_t NextSequence(int32_t last) { return last == INT32_MAX ? 0 : last + 1; }

constexpr char kMagic[4] = {'M', 'S', 'P', 'S'};

}  // namespace

ProducerStateTable::Verdict ProducerStateTable::Check(const storage::BatchHeader& batch) const {
  if (batch.producer_id < 0) return {};
  auto it = producers_.find(batch.producer_id);
  // No state (new producer, or state lost to retention): any sequence is accepted,
  // as the Java broker does, rather than failing a producer that did nothing wrong.
  if (it == producers_.end()) return {};
  const Producer& producer = it->second;
  if (batch.producer_epoch < producer.epoch) return {SequenceCheck::kFencedEpoch, {}};
  if (batch.producer_epoch > producer.epoch) {
    if (batch.base_sequence == 0) return {};
    return {SequenceCheck::kOutOfOrder, {}};
  }
  int32_t last = LastSequence(batch);
  for (const ProducerBatch& kept : producer.batches) {
    if (kept.first_sequence == batch.base_sequence && kept.last_sequence == last) {
      return {SequenceCheck::kDuplicate, kept};
    }
  }
  if (producer.batches.empty() ||
      batch.base_sequence == NextSequence(producer.batches.back().last_sequence)) {
    return {};
  }
  return {SequenceCheck::kOutOfOrder, {}};
}

void ProducerStateTable::Record(const storage::BatchHeader& batch) {
  if (batch.producer_id < 0) return;
  Producer& producer = producers_[batch.producer_id];
  if (batch.producer_epoch != producer.epoch) {
    producer.epoch = batch.producer_epoch;
    producer.batches.clear();
  }
  producer.batches.push_back({batch.base_sequence, LastSequence(batch), batch.base_offset, batch.last_offset()});
  while (producer.batches.size() > kProducerBatchesKept) producer.batches.pop_front();
}

std::vector<std::byte> ProducerStateTable::Encode(Offset covered_until) const {
  // magic, covered_until i64, count u32, per producer {id i64, epoch i16, n u8,
  // n × {first_seq i32, last_seq i32, first_offset i64, last_offset i64}}, XXH3-64.
  std::vector<std::byte> out;
  auto put = [&out](auto v) {
    std::byte b[sizeof(v)];
    StoreBigEndian(b, v);
    for (std::byte x : b) out.push_back(x);  // not insert(): GCC 12 warns falsely on it
  };
  for (char c : kMagic) out.push_back(static_cast<std::byte>(c));
  put(covered_until.value());
  put(static_cast<uint32_t>(producers_.size()));
  for (const auto& [id, producer] : producers_) {
    put(id);
    put(producer.epoch);
    put(static_cast<uint8_t>(producer.batches.size()));
    for (const ProducerBatch& b : producer.batches) {
      put(b.first_sequence);
      put(b.last_sequence);
      put(b.first_offset.value());
      put(b.last_offset.value());
    }
  }
  put(static_cast<uint64_t>(XXH3_64bits(out.data(), out.size())));
  return out;
}

Result<Offset> ProducerStateTable::Decode(ConstBytes bytes) {
  if (bytes.size() < 4 + 8 + 4 + 8 || std::memcmp(bytes.data(), kMagic, 4) != 0) {
    return Corruption("producer state snapshot is torn or not one");
  }
  ConstBytes body = bytes.first(bytes.size() - 8);
  if (XXH3_64bits(body.data(), body.size()) != LoadBigEndian<uint64_t>(bytes.data() + body.size())) {
    return Corruption("producer state snapshot checksum mismatch");
  }
  size_t pos = 4;
  bool short_read = false;
  auto get = [&]<typename T>(T) {
    if (pos + sizeof(T) > body.size()) {
      short_read = true;
      return T{};
    }
    T v = LoadBigEndian<T>(body.data() + pos);
    pos += sizeof(T);
    return v;
  };
  Offset covered(get(int64_t{}));
  uint32_t count = get(uint32_t{});
  std::map<int64_t, Producer> producers;
  for (uint32_t i = 0; i < count && !short_read; ++i) {
    int64_t id = get(int64_t{});
    Producer producer;
    producer.epoch = get(int16_t{});
    uint8_t n = get(uint8_t{});
    for (uint8_t k = 0; k < n && !short_read; ++k) {
      ProducerBatch b;
      b.first_sequence = get(int32_t{});
      b.last_sequence = get(int32_t{});
      b.first_offset = Offset(get(int64_t{}));
      b.last_offset = Offset(get(int64_t{}));
      producer.batches.push_back(b);
    }
    producers[id] = std::move(producer);
  }
  if (short_read || pos != body.size()) return Corruption("producer state snapshot is truncated");
  producers_ = std::move(producers);
  return covered;
}

}  // namespace millstream::engine
