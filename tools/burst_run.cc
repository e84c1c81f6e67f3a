#include "tools/burst_run.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <string_view>
#include <cmath>
#include <functional>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "base/endian.h"
#include "tools/kafka_admin.h"

namespace millstream::tools {

int ClassIndex(const std::string& priority_class) {
  // The scenario loader has checked the name: standard only if it were not.
  Result<storage::IoClass> parsed = engine::ParsePriorityClass(priority_class);
  return static_cast<int>(parsed.ok() ? *parsed : storage::IoClass::kStandard);
}

namespace {

int64_t NowNs() { return SystemClock::Instance().MonotonicNanos(); }

// Every value starts with this fixed-width header (spaces pad the numbers, so it
// stays JSON): the stream, its sequence number and when the record was due.
constexpr char kHeaderFormat[] = "{\"stream\":%4d,\"seq\":%12lld,\"due\":%20lld,";
constexpr size_t kStreamAt = 10, kSeqAt = 21, kDueAt = 40, kHeaderBytes = 61;
// The probe's records carry their stream's index plus this: consumers read them
// (the capacity is measured with the groups reading) but check and time only the
// run's own records.
constexpr int kProbeStreamBase = 1000;

struct Header {
  int stream = -1;
  int64_t seq = -1;
  int64_t due_ns = 0;
};

int64_t ParseField(const char* p, size_t width) {
  while (width > 0 && *p == ' ') ++p, --width;
  int64_t v = -1;
  std::from_chars(p, p + width, v);
  return v;
}

std::optional<Header> ParseHeader(const void* payload, size_t len) {
  if (payload == nullptr || len < kHeaderBytes) return std::nullopt;
  const char* p = static_cast<const char*>(payload);
  Header h{static_cast<int>(ParseField(p + kStreamAt, 4)), ParseField(p + kSeqAt, 12), ParseField(p + kDueAt, 20)};
  if (h.stream < 0 || h.seq < 0) return std::nullopt;
  return h;
}

// A JSON value of `size` bytes: the header, the source and key, and a body.
std::string MakeValue(int stream, int64_t seq, int64_t due_ns, const std::string& source, const std::string& key,
                      size_t size) {
  char header[kHeaderBytes + 1];
  std::snprintf(header, sizeof(header), kHeaderFormat, stream, static_cast<long long>(seq),
                static_cast<long long>(due_ns));
  std::string value = std::string(header, kHeaderBytes) + "\"source\":\"" + source + "\",\"key\":\"" + key +
                      "\",\"body\":\"";
  size_t tail = 2;  // "}
  if (value.size() + tail < size) value.append(size - value.size() - tail, 'x');
  value += "\"}";
  return value;
}

// One producer instance's share of a scenario stream (a stream with
// `producers = N` becomes N of these, each with its own sequence numbers).
struct StreamInstance {
  const BurstStream* spec = nullptr;
  int index = 0;
  int cls = 1;
  std::string topic;
  int instance = 0;
  std::vector<uint8_t> acked;  // by sequence; under Shared::mu
};

// What every thread of the run shares, behind one mutex.
struct Shared {
  std::mutex mu;
  int64_t start_ns = 0;
  bool probing = false;
  std::vector<int64_t> probe_acked;  // bytes acknowledged in each second of the probe
  std::vector<BurstSecond> seconds;
  std::vector<StreamInstance> streams;
  // group → stream → sequence → times consumed
  std::vector<std::vector<std::vector<uint8_t>>> seen;
  std::vector<int64_t> consumed;  // by group: the run's records, each counted once
  std::vector<int64_t> expected;  // by group: acknowledged records of the topics it reads
  std::vector<std::vector<size_t>> readers_of;  // by stream: the groups that read its topic
  std::vector<int64_t> probe_consumed;  // by group: the probe's records
  std::vector<int64_t> probe_acked_records;  // by stream
  std::atomic<bool> stop_producing{false};
  std::atomic<bool> stop_consuming{false};

  BurstSecond& SecondAt(int64_t ns) {
    size_t i = ns > start_ns ? static_cast<size_t>((ns - start_ns) / 1'000'000'000) : 0;
    if (i >= seconds.size()) seconds.resize(i + 1);
    return seconds[i];
  }
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* shared = static_cast<Shared*>(opaque);
  int64_t now = NowNs();
  std::optional<Header> h = ParseHeader(m->payload, m->len);
  std::lock_guard lock(shared->mu);
  if (shared->probing) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && h && h->stream >= kProbeStreamBase) {
      ++shared->probe_acked_records[static_cast<size_t>(h->stream - kProbeStreamBase)];
    }
    // Bytes acknowledged in each second of the probe (the capacity is read from them).
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && now >= shared->start_ns) {
      auto i = static_cast<size_t>((now - shared->start_ns) / 1'000'000'000);
      if (i >= shared->probe_acked.size()) shared->probe_acked.resize(i + 1);
      shared->probe_acked[i] += static_cast<int64_t>(m->len + m->key_len);
    }
    return;
  }
  BurstSecond& second = shared->SecondAt(now);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || !h || h->stream >= static_cast<int>(shared->streams.size())) {
    ++second.failed_records;
    return;
  }
  StreamInstance& stream = shared->streams[static_cast<size_t>(h->stream)];
  ++second.acked_records;
  const std::vector<size_t>& readers = shared->readers_of[static_cast<size_t>(h->stream)];
  second.expected_reads += static_cast<int64_t>(readers.size());
  for (size_t g : readers) ++shared->expected[g];
  second.acked_bytes += static_cast<int64_t>(m->len + m->key_len);
  // Latency belongs to the second the record was due in: a record of the surge
  // acknowledged after it still counts for the surge.
  shared->SecondAt(h->due_ns).ack_ns[static_cast<size_t>(stream.cls)].Record(
      static_cast<uint64_t>(std::max<int64_t>(now - h->due_ns, 0)));
  if (stream.acked.size() <= static_cast<size_t>(h->seq)) stream.acked.resize(static_cast<size_t>(h->seq) + 1);
  stream.acked[static_cast<size_t>(h->seq)] = 1;
}

void OnThrottle(rd_kafka_t*, const char*, int32_t, int throttle_ms, void* opaque) {
  if (throttle_ms <= 0) return;
  auto* shared = static_cast<Shared*>(opaque);
  std::lock_guard lock(shared->mu);
  if (!shared->probing) shared->SecondAt(NowNs()).throttle_ms += throttle_ms;
}

// One producer: a source system's streams of one class.
struct Producer {
  std::string name;
  std::vector<int> streams;
  RdPtr<rd_kafka_t> client;
};

Result<RdPtr<rd_kafka_t>> NewProducer(const BurstRunOptions& options, const std::string& client_id, Shared& shared) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> conf,
                   NewClientConfig(options.client, {{"client.id", client_id},
                                                    {"acks", "all"},
                                                    {"enable.idempotence", "true"},
                                                    {"linger.ms", "5"},
                                                    {"message.timeout.ms", "300000"},
                                                    {"queue.buffering.max.messages", "200000"},
                                                    // 64 MiB queued at most: past it the producer waits
                                                    // (and its records' latency counts the wait).
                                                    {"queue.buffering.max.kbytes", "65536"},
                                                    {"allow.auto.create.topics", "false"}}));
  rd_kafka_conf_set_opaque(conf.get(), &shared);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &OnDelivery);
  rd_kafka_conf_set_throttle_cb(conf.get(), &OnThrottle);
  return NewClient(RD_KAFKA_PRODUCER, std::move(conf));
}

// Produces one record of `stream`, due at `due_ns`; waits while librdkafka's
// queue is full. False when the run is told to stop meanwhile.
bool ProduceOne(rd_kafka_t* rk, Shared& shared, StreamInstance& stream, int64_t seq, int64_t due_ns, int64_t end_ns,
                std::mt19937_64& rng) {
  int id = shared.probing ? stream.index + kProbeStreamBase : stream.index;
  const BurstStream& spec = *stream.spec;
  std::uniform_int_distribution<int> size(spec.min_bytes, spec.max_bytes);
  std::uniform_int_distribution<int> key_of(0, spec.keys - 1);
  std::string key = spec.key + "-" + std::to_string(key_of(rng));
  std::string value = MakeValue(id, seq, due_ns, spec.source, key, static_cast<size_t>(size(rng)));
  while (true) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(stream.topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || NowNs() >= end_ns) return false;
    rd_kafka_poll(rk, 5);  // the local queue is full: the broker is slower than the offer
  }
  if (!shared.probing) {
    std::lock_guard lock(shared.mu);
    BurstSecond& second = shared.SecondAt(due_ns);
    ++second.offered_records;
    second.offered_bytes += static_cast<int64_t>(value.size() + key.size());
  }
  return true;
}

// Bytes per second a stream (all its instances together) offers at `now`.
using RateFn = std::function<double(const BurstStream& spec, int64_t now)>;

// Each of the producer's streams at its rate, records due on a schedule from
// `from_ns` until `end_ns` (a producer that falls behind its schedule counts the
// wait in the ack latency: no coordinated omission).
void ProduceLoop(Producer& producer, Shared& shared, const RateFn& rate_of, int64_t from_ns,
                 const std::atomic<int64_t>& end_ns, std::vector<int64_t>& next_seq) {
  std::mt19937_64 rng(std::hash<std::string>()(producer.name) + static_cast<uint64_t>(from_ns));
  std::vector<int64_t> due(producer.streams.size(), from_ns);
  while (!shared.stop_producing) {
    int64_t now = NowNs();
    if (now >= end_ns) break;
    int64_t next = now + 1'000'000;
    for (size_t i = 0; i < producer.streams.size(); ++i) {
      auto s = static_cast<size_t>(producer.streams[i]);
      const BurstStream& spec = *shared.streams[s].spec;
      double rate = rate_of(spec, now) / spec.producers;  // the stream's instances share it
      if (rate <= 0) {
        due[i] = now;
        continue;
      }
      double interval_ns = (spec.min_bytes + spec.max_bytes) / 2.0 / rate * 1e9;
      // A rate that rose makes the old schedule too sparse: never schedule further
      // ahead than one interval at the current rate.
      due[i] = std::min(due[i], now + static_cast<int64_t>(interval_ns));
      while (due[i] <= now && !shared.stop_producing && NowNs() < end_ns) {
        if (!ProduceOne(producer.client.get(), shared, shared.streams[s], next_seq[s]++, due[i], end_ns, rng)) break;
        due[i] += static_cast<int64_t>(interval_ns);
      }
      next = std::min(next, due[i]);
    }
    rd_kafka_poll(producer.client.get(), 0);
    int64_t wait_ns = next - NowNs();
    if (wait_ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<int64_t>(wait_ns, 1'000'000)));
  }
}

// The probe's offered load: kProbeStartBytes per second, times kProbeGrowth
// every second, until the broker stops keeping up; then held kProbeHoldSeconds.
constexpr double kProbeStartBytes = 4e6;
constexpr double kProbeGrowth = 1.5;

constexpr int64_t kProbeHoldSeconds = 3;

// The probe's offer in its `second`-th second, in bytes per second.
double ProbeRate(int64_t second) { return kProbeStartBytes * std::pow(kProbeGrowth, static_cast<double>(second)); }

constexpr int64_t kDrainLimitNs = 60'000'000'000;

// Waits until every producer's records were acknowledged or failed, two minutes
// at most for all of them together; IoError names what is still outstanding.
Status FlushAll(std::vector<Producer>& producers) {
  int64_t deadline = NowNs() + 120'000'000'000;
  int64_t left = 0;
  for (Producer& p : producers) {
    int timeout_ms = static_cast<int>(std::max<int64_t>(deadline - NowNs(), 0) / 1'000'000);
    rd_kafka_flush(p.client.get(), timeout_ms);
    left += rd_kafka_outq_len(p.client.get());
  }
  if (left == 0) return Status::Ok();
  return IoError(std::to_string(left) + " records still unacknowledged two minutes after the producers stopped");
}

// One consumer group member: reads its topics from the ends they had when the
// run began (set on assignment) and marks every record it sees.
struct ConsumerContext {
  Shared* shared;
  const std::map<std::pair<std::string, int32_t>, int64_t>* start_offsets;
  // The offset after the last record read, per partition: a partition assigned
  // again (a rebalance) goes on from there, not from the run's start. Touched
  // only on the consumer's thread (the rebalance callback runs inside its poll).
  std::map<std::pair<std::string, int32_t>, int64_t> next_offset;
};

void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                 void* opaque) {
  auto* context = static_cast<ConsumerContext*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < partitions->cnt; ++i) {
      rd_kafka_topic_partition_t& p = partitions->elems[i];
      auto read = context->next_offset.find({p.topic, p.partition});
      auto start = context->start_offsets->find({p.topic, p.partition});
      if (read != context->next_offset.end()) {
        p.offset = read->second;
      } else if (start != context->start_offsets->end()) {
        p.offset = start->second;
      }
    }
    rd_kafka_assign(rk, partitions);
  } else {
    rd_kafka_assign(rk, nullptr);
  }
}

Status ConsumeLoop(const BurstRunOptions& options, const std::string& group, const std::vector<std::string>& topics,
                   size_t group_index, Shared& shared, ConsumerContext& context, std::atomic<int>& assigned) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> conf,
                   NewClientConfig(options.client, {{"group.id", group},
                                                    {"client.id", group},
                                                    {"enable.auto.commit", "true"},
                                                    {"auto.offset.reset", "earliest"},
                                                    {"allow.auto.create.topics", "false"}}));
  rd_kafka_conf_set_opaque(conf.get(), &context);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &OnRebalance);
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> client, NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
  rd_kafka_poll_set_consumer(client.get());
  RdPtr<rd_kafka_topic_partition_list_t> list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& t : topics) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(client.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(err, "subscribe " + group);
  }
  bool counted = false;
  while (!shared.stop_consuming) {
    RdPtr<rd_kafka_message_t> m(rd_kafka_consumer_poll(client.get(), 100));
    if (!counted) {
      rd_kafka_topic_partition_list_t* mine = nullptr;
      if (rd_kafka_assignment(client.get(), &mine) == RD_KAFKA_RESP_ERR_NO_ERROR && mine != nullptr) {
        if (mine->cnt > 0) {
          counted = true;
          ++assigned;
        }
        rd_kafka_topic_partition_list_destroy(mine);
      }
    }
    if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    context.next_offset[{rd_kafka_topic_name(m->rkt), m->partition}] = m->offset + 1;
    int64_t now = NowNs();
    std::optional<Header> h = ParseHeader(m->payload, m->len);
    std::lock_guard lock(shared.mu);
    if (h && h->stream >= kProbeStreamBase) {
      ++shared.probe_consumed[group_index];
      continue;
    }
    BurstSecond& second = shared.SecondAt(now);
    ++second.consumed_records;
    second.consumed_bytes += static_cast<int64_t>(m->len + m->key_len);
    if (!h || h->stream >= static_cast<int>(shared.streams.size())) continue;
    second.end_to_end_ns.Record(static_cast<uint64_t>(std::max<int64_t>(now - h->due_ns, 0)));
    std::vector<uint8_t>& seen = shared.seen[group_index][static_cast<size_t>(h->stream)];
    if (seen.size() <= static_cast<size_t>(h->seq)) seen.resize(static_cast<size_t>(h->seq) + 1);
    uint8_t& times = seen[static_cast<size_t>(h->seq)];
    if (times == 0) ++shared.consumed[group_index];  // distinct records: a repeat must not stand in for a gap
    if (times < 255) ++times;
  }
  rd_kafka_consumer_close(client.get());
  return Status::Ok();
}

// The value of an unlabelled sample, or the sum of a labelled family's samples.
double MetricSum(const std::string& page, const std::string& name) {
  double sum = -1;
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    char next = line[name.size()];
    if (next != ' ' && next != '{') continue;
    double v = std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    sum = (sum < 0 ? 0 : sum) + v;
  }
  return sum;
}

void SampleLoop(AdminClient& admin, Shared& shared, BurstRunResult& result) {
  double refused_before = -1;
  while (!shared.stop_consuming) {
    Result<std::string> page = admin.GetText("/metrics");
    if (page.ok()) {
      double refused = MetricSum(*page, "millstream_kafka_errors_total") +
                       std::max(0.0, MetricSum(*page, "millstream_kafka_connections_refused_total"));
      std::lock_guard lock(shared.mu);
      BurstSecond& second = shared.SecondAt(NowNs());
      second.rss_bytes = std::max(second.rss_bytes, MetricSum(*page, "process_resident_memory_bytes"));
      second.request_memory_bytes =
          std::max(second.request_memory_bytes, MetricSum(*page, "millstream_request_memory_bytes"));
      second.fetch_memory_bytes = std::max(second.fetch_memory_bytes, MetricSum(*page, "millstream_fetch_memory_bytes"));
      if (refused_before >= 0) second.refused = std::max(0.0, second.refused) + std::max(0.0, refused - refused_before);
      refused_before = refused;
      result.request_budget_bytes = MetricSum(*page, "millstream_request_memory_budget_bytes");
      result.fetch_budget_bytes = MetricSum(*page, "millstream_fetch_memory_budget_bytes");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// Opens `count` connections, each asking ApiVersions; keeps those answered open
// until `until_ns`. Counts the answered and the refused (closed or silent).
void Storm(const std::string& bootstrap, int count, int64_t until_ns, Shared& shared, BurstRunResult& result) {
  std::string first = bootstrap.substr(0, bootstrap.find(','));
  size_t colon = first.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  int port = 0;
  std::string_view digits = colon == std::string::npos ? "" : std::string_view(first).substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (colon == std::string::npos || ec != std::errc() || end != digits.data() + digits.size() ||
      inet_pton(AF_INET, first.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    std::lock_guard lock(shared.mu);
    if (result.error.empty()) result.error = "the storm needs a numeric IPv4 HOST:PORT as the first --bootstrap";
    return;
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  // ApiVersions v0: size, key 18, version 0, correlation id 1, client id "storm".
  std::vector<std::byte> request(4 + 2 + 2 + 4 + 2 + 5);
  StoreBigEndian<int32_t>(request.data(), static_cast<int32_t>(request.size() - 4));
  StoreBigEndian<int16_t>(request.data() + 4, 18);
  StoreBigEndian<int16_t>(request.data() + 6, 0);
  StoreBigEndian<int32_t>(request.data() + 8, 1);
  StoreBigEndian<int16_t>(request.data() + 12, 5);
  std::memcpy(request.data() + 14, "storm", 5);
  std::vector<int> open;
  for (int i = 0; i < count && !shared.stop_producing && NowNs() < until_ns; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    // A broker that neither answers nor refuses must not hold the storm past its phase.
    timeval two_seconds{2, 0};
    if (fd >= 0) {
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof(two_seconds));
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &two_seconds, sizeof(two_seconds));
    }
    bool answered = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                    send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
    if (answered) {
      pollfd p{fd, POLLIN, 0};
      char reply[4];
      answered = poll(&p, 1, 2000) == 1 && recv(fd, reply, sizeof(reply), MSG_WAITALL) == 4;
    }
    if (answered) {
      open.push_back(fd);
    } else if (fd >= 0) {
      close(fd);
    }
    std::lock_guard lock(shared.mu);
    ++(answered ? result.storm_answered : result.storm_refused);
    shared.SecondAt(NowNs()).storm_open = static_cast<int>(open.size());
  }
  while (NowNs() < until_ns && !shared.stop_producing) {
    {
      std::lock_guard lock(shared.mu);
      shared.SecondAt(NowNs()).storm_open = static_cast<int>(open.size());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (int fd : open) close(fd);
}

// The end offset of every partition of the run's topics.
Result<std::map<std::pair<std::string, int32_t>, int64_t>> EndOffsets(rd_kafka_t* client,
                                                                      const std::vector<StreamInstance>& streams,
                                                                      int timeout_ms) {
  std::map<std::pair<std::string, int32_t>, int64_t> ends;
  for (const StreamInstance& s : streams) {
    for (int32_t p = 0; p < s.spec->partitions; ++p) {
      int64_t low = 0, high = 0;
      rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(client, s.topic.c_str(), p, &low, &high, timeout_ms);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "end offset of " + s.topic);
      ends[{s.topic, p}] = high;
    }
  }
  return ends;
}

// The capacity: the offered load grows by half every second (the mix in the
// proportions of the surge) until two seconds in a row are acknowledged below
// 80% of the offer; then the offer stays there for kProbeHoldSeconds, and the
// capacity is what was acknowledged per second meanwhile (sustained, not a
// second's burst into the device's cache). Sets result's capacity, probe_seconds,
// probe_saturated, and error when the probe's records could not be flushed.
void MeasureCapacity(const BurstScenario& scenario, double probe_s, std::vector<Producer>& producers, Shared& shared,
                     std::vector<int64_t>& next_seq, BurstRunResult& result) {
  shared.probing = true;
  double surge_total = 0;
  for (const BurstStream& spec : scenario.streams) surge_total += spec.surge;
  {
    std::lock_guard lock(shared.mu);  // the consumers read it
    shared.start_ns = NowNs();
  }
  int64_t probe_start = shared.start_ns;
  std::atomic<int64_t> end{probe_start + static_cast<int64_t>(probe_s * 1e9)};
  std::atomic<int64_t> held_from{-1};  // the second the offer stopped growing
  RateFn probe_rate = [probe_start, surge_total, &held_from](const BurstStream& spec, int64_t now) {
    int64_t second = (now - probe_start) / 1'000'000'000;
    if (held_from >= 0) second = std::min<int64_t>(second, held_from);
    return ProbeRate(second) * spec.surge / std::max(surge_total, 1e-9);
  };
  std::vector<std::thread> threads;
  for (Producer& p : producers) {
    threads.emplace_back([&, pp = &p] { ProduceLoop(*pp, shared, probe_rate, probe_start, end, next_seq); });
  }
  for (int64_t second = 1; NowNs() < end; ++second) {
    int64_t wait_ns = probe_start + (second + 1) * 1'000'000'000 - NowNs();
    if (wait_ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait_ns));
    std::lock_guard lock(shared.mu);
    auto behind = [&](int64_t s) {
      return s >= 1 && static_cast<size_t>(s) < shared.probe_acked.size() &&
             static_cast<double>(shared.probe_acked[static_cast<size_t>(s)]) < 0.8 * ProbeRate(s);
    };
    if (held_from < 0 && behind(second) && behind(second - 1)) {
      held_from = second;
      end = probe_start + (second + 1 + kProbeHoldSeconds) * 1'000'000'000;
    }
  }
  for (std::thread& t : threads) t.join();
  result.probe_seconds = static_cast<double>(NowNs() - probe_start) / 1e9;
  if (Status flushed = FlushAll(producers); !flushed.ok()) result.error = flushed.ToString();
  std::lock_guard lock(shared.mu);
  // Held: the mean of the held seconds. Never saturated within probe_s: the best
  // second seen (a lower bound; the tool says so).
  int64_t from = held_from >= 0 ? held_from + 1 : 1;
  int64_t to = held_from >= 0 ? held_from + 1 + kProbeHoldSeconds : static_cast<int64_t>(result.probe_seconds);
  double sum = 0, best = 0;
  int counted = 0;
  for (int64_t i = from; i < to && static_cast<size_t>(i) < shared.probe_acked.size(); ++i) {
    sum += static_cast<double>(shared.probe_acked[static_cast<size_t>(i)]);
    best = std::max(best, static_cast<double>(shared.probe_acked[static_cast<size_t>(i)]));
    ++counted;
  }
  result.capacity_bytes_per_s = held_from >= 0 && counted > 0 ? sum / counted : best;
  result.probe_saturated = held_from >= 0;
  shared.probing = false;
}

// No probe (the capacity was given): a second at a low rate instead, so that
// every producer has its connections and producer id before the clock starts (a
// cold producer's first records wait about a second for them, which is not the
// broker's doing).
void WarmUp(std::vector<Producer>& producers, Shared& shared, std::vector<int64_t>& next_seq,
            BurstRunResult& result) {
  shared.probing = true;
  int64_t warm_start = NowNs();
  {
    std::lock_guard lock(shared.mu);  // the consumers read it
    shared.start_ns = warm_start;
  }
  std::atomic<int64_t> warm_end{warm_start + 1'000'000'000};
  RateFn warm_rate = [](const BurstStream&, int64_t) { return kProbeStartBytes / 10; };
  std::vector<std::thread> threads;
  for (Producer& p : producers) {
    threads.emplace_back([&, pp = &p] { ProduceLoop(*pp, shared, warm_rate, warm_start, warm_end, next_seq); });
  }
  for (std::thread& t : threads) t.join();
  if (Status flushed = FlushAll(producers); !flushed.ok()) result.error = flushed.ToString();
  shared.probing = false;
}

// Every acknowledged record, once in every group that reads its topic: fills
// result's acked, lost and duplicates. Call with shared.mu held.
void CheckSequences(const Shared& shared, BurstRunResult& result) {
  for (const StreamInstance& s : shared.streams) {
    for (size_t seq = 0; seq < s.acked.size(); ++seq) {
      if (!s.acked[seq]) continue;
      ++result.acked;
      for (size_t g : shared.readers_of[static_cast<size_t>(s.index)]) {
        const std::vector<uint8_t>& seen = shared.seen[g][static_cast<size_t>(s.index)];
        uint8_t times = seq < seen.size() ? seen[seq] : 0;
        if (times == 0) {
          ++result.lost;
        } else if (times > 1) {
          result.duplicates += times - 1;
        }
      }
    }
  }
}

// Waits (a minute at most) until every group has read what the probe or the
// warm-up wrote, so that the run starts with no lag.
void AwaitProbeRead(const BurstScenario& scenario, Shared& shared) {
  for (int waited = 0; waited < 1200; ++waited) {
    bool caught_up = true;
    {
      std::lock_guard lock(shared.mu);
      std::vector<int64_t> expected(scenario.consumers.size(), 0);
      for (const StreamInstance& s : shared.streams) {
        for (size_t g : shared.readers_of[static_cast<size_t>(s.index)]) {
          expected[g] += shared.probe_acked_records[static_cast<size_t>(s.index)];
        }
      }
      for (size_t g = 0; g < scenario.consumers.size(); ++g) {
        caught_up = caught_up && shared.probe_consumed[g] >= expected[g];
      }
    }
    if (caught_up) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// The scenario itself: every producer at its streams' phase rates, the storms
// at the start of their phases, and (with `admin`) the metrics sampler, started
// into `sampler`. Returns when the duration is over and the producers stopped.
void RunScenario(const BurstScenario& scenario, const BurstRunOptions& options, std::vector<Producer>& producers,
                 Shared& shared, std::vector<int64_t>& next_seq, BurstRunResult& result, AdminClient* admin,
                 std::thread& sampler) {
  {
    std::lock_guard lock(shared.mu);  // the consumers read it
    shared.start_ns = NowNs();
  }
  int64_t run_start = shared.start_ns;
  std::atomic<int64_t> run_end{run_start + static_cast<int64_t>(result.duration_s * 1e9)};
  if (admin != nullptr) sampler = std::thread([admin, &shared, &result] { SampleLoop(*admin, shared, result); });
  double capacity = result.capacity_bytes_per_s;
  double duration_s = result.duration_s;
  double scale = options.scale;
  RateFn run_rate = [&scenario, capacity, scale, run_start, duration_s](const BurstStream& spec, int64_t now) {
    const BurstPhase& phase = scenario.PhaseAt(static_cast<double>(now - run_start) / 1e9 / duration_s);
    return capacity * scale * (phase.surge ? spec.surge : spec.steady);
  };
  std::vector<std::thread> threads;
  for (Producer& p : producers) {
    threads.emplace_back([&, pp = &p] { ProduceLoop(*pp, shared, run_rate, run_start, run_end, next_seq); });
  }
  double phase_start = 0;
  for (const BurstPhase& phase : scenario.phases) {
    if (phase.storm_connections > 0) {
      int64_t from = run_start + static_cast<int64_t>(phase_start * duration_s * 1e9);
      int64_t until = run_start + static_cast<int64_t>(phase.until * duration_s * 1e9);
      int count = phase.storm_connections;
      threads.emplace_back([&, from, until, count] {
        while (NowNs() < from) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        Storm(options.client.bootstrap, count, until, shared, result);
      });
    }
    phase_start = phase.until;
  }
  for (std::thread& t : threads) t.join();
  shared.stop_producing = true;
}

}  // namespace

BurstRunResult RunBurst(const BurstScenario& scenario, const BurstRunOptions& options) {
  BurstRunResult result;
  result.label = options.priority_classes ? "classes" : "one class";
  result.duration_s = options.duration_s > 0 ? options.duration_s : scenario.duration_s;
  double probe_s = options.probe_s > 0 ? options.probe_s : scenario.probe_s;
  Shared shared;
  for (const BurstStream& spec : scenario.streams) {
    for (int k = 0; k < spec.producers; ++k) {
      shared.streams.push_back({&spec, static_cast<int>(shared.streams.size()), ClassIndex(spec.priority_class),
                                options.topic_prefix + spec.topic, k, {}});
    }
  }
  for (const StreamInstance& s : shared.streams) {
    std::vector<size_t> groups;
    for (size_t g = 0; g < scenario.consumers.size(); ++g) {
      const std::vector<std::string>& topics = scenario.consumers[g].topics;
      if (std::find(topics.begin(), topics.end(), s.spec->topic) != topics.end()) groups.push_back(g);
    }
    shared.readers_of.push_back(std::move(groups));
  }
  shared.expected.assign(scenario.consumers.size(), 0);
  auto fail = [&](const Status& s) {
    result.error = s.ToString();
    if (!options.keep_topics) DeleteBurstTopics(scenario, options);
    return result;
  };
  for (const StreamInstance& s : shared.streams) {
    if (s.instance > 0) continue;
    std::string cls = options.priority_classes ? s.spec->priority_class : "standard";
    Status created = CreateTopic(options.client, s.topic, s.spec->partitions, {"priority.class=" + cls});
    if (!created.ok()) return fail(created);
  }
  std::unique_ptr<AdminClient> admin;
  if (options.sample_metrics) {
    Result<std::unique_ptr<AdminClient>> connected = AdminClient::Connect(options.admin);
    if (connected.ok()) admin = std::move(*connected);
  }
  if (admin) {
    Result<std::string> page = admin->GetText("/metrics");
    if (page.ok()) result.baseline_rss_bytes = MetricSum(*page, "process_resident_memory_bytes");
  }

  // One producer per source system and class.
  std::vector<Producer> producers;
  for (const StreamInstance& s : shared.streams) {
    std::string name = options.topic_prefix + s.spec->source + "-" + ClassName(static_cast<size_t>(s.cls)) + "-" + std::to_string(s.instance);
    auto it = std::find_if(producers.begin(), producers.end(), [&](const Producer& p) { return p.name == name; });
    if (it == producers.end()) {
      Result<RdPtr<rd_kafka_t>> client = NewProducer(options, name, shared);
      if (!client.ok()) return fail(client.status());
      producers.push_back({name, {}, std::move(*client)});
      it = producers.end() - 1;
    }
    it->streams.push_back(s.index);
  }
  std::vector<int64_t> next_seq(shared.streams.size(), 0);

  // The consumer groups, from the topics' current ends, assigned before the
  // probe: the capacity is what the broker acknowledges while they read.
  Result<std::map<std::pair<std::string, int32_t>, int64_t>> ends =
      EndOffsets(producers.front().client.get(), shared.streams, options.client.timeout_ms);
  if (!ends.ok()) return fail(ends.status());
  shared.seen.assign(scenario.consumers.size(), std::vector<std::vector<uint8_t>>(shared.streams.size()));
  shared.consumed.assign(scenario.consumers.size(), 0);
  shared.probe_consumed.assign(scenario.consumers.size(), 0);
  shared.probe_acked_records.assign(shared.streams.size(), 0);
  std::atomic<int> assigned{0};
  std::vector<ConsumerContext> contexts(scenario.consumers.size(), ConsumerContext{&shared, &*ends});
  std::vector<std::thread> consumers;
  std::vector<Status> consumer_status(scenario.consumers.size());
  for (size_t g = 0; g < scenario.consumers.size(); ++g) {
    std::vector<std::string> topics;
    for (const std::string& t : scenario.consumers[g].topics) topics.push_back(options.topic_prefix + t);
    consumers.emplace_back([&, g, topics] {
      consumer_status[g] = ConsumeLoop(options, options.topic_prefix + scenario.consumers[g].group, topics, g, shared,
                                       contexts[g], assigned);
    });
  }
  for (int waited = 0; assigned < static_cast<int>(consumers.size()) && waited < 600; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (assigned < static_cast<int>(consumers.size())) result.error = "a consumer group got no partitions within 30 s";
  auto stop_and_fail = [&] {
    shared.stop_consuming = true;
    for (std::thread& t : consumers) t.join();
    if (!options.keep_topics) DeleteBurstTopics(scenario, options);
    return result;
  };
  if (!result.error.empty()) return stop_and_fail();

  result.capacity_bytes_per_s = options.capacity_bytes_per_s;
  if (result.capacity_bytes_per_s <= 0) {
    MeasureCapacity(scenario, probe_s, producers, shared, next_seq, result);
  } else {
    WarmUp(producers, shared, next_seq, result);
  }
  if (!result.error.empty()) return stop_and_fail();
  AwaitProbeRead(scenario, shared);
  std::fill(next_seq.begin(), next_seq.end(), 0);

  std::thread sampler;
  // The run (the sampler starts with it; it stops with the consumers).
  RunScenario(scenario, options, producers, shared, next_seq, result, admin.get(), sampler);
  if (Status flushed = FlushAll(producers); !flushed.ok()) result.error = flushed.ToString();
  int64_t produced_ns = NowNs();

  // Drain: every group has read, once each, what was acknowledged to its topics.
  bool drained = false;
  while (!drained && NowNs() - produced_ns < kDrainLimitNs) {
    {
      std::lock_guard lock(shared.mu);
      drained = true;
      for (size_t g = 0; g < scenario.consumers.size(); ++g) drained = drained && shared.consumed[g] >= shared.expected[g];
    }
    if (!drained) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!drained && result.error.empty()) {
    result.error = "the groups had not read everything acknowledged a minute after the run";
  }
  shared.stop_consuming = true;
  for (std::thread& t : consumers) t.join();
  if (sampler.joinable()) sampler.join();
  producers.clear();  // the producers' threads end before the topics go

  std::lock_guard lock(shared.mu);
  CheckSequences(shared, result);
  for (size_t g = 0; g < consumer_status.size(); ++g) {
    if (!consumer_status[g].ok() && result.error.empty()) result.error = consumer_status[g].ToString();
  }
  for (const BurstSecond& s : shared.seconds) result.failed += s.failed_records;
  result.seconds = std::move(shared.seconds);
  for (size_t i = 0; i < result.seconds.size(); ++i) {
    const BurstPhase& phase = scenario.PhaseAt((static_cast<double>(i) + 0.5) / result.duration_s);
    bool inside = static_cast<double>(i) < result.duration_s;
    result.phase_of_second.push_back(inside ? phase.name : "drain");
    result.surge_second.push_back(inside && phase.surge);
  }
  if (!options.keep_topics) DeleteBurstTopics(scenario, options);
  return result;
}

void DeleteBurstTopics(const BurstScenario& scenario, const BurstRunOptions& options) {
  for (const BurstStream& spec : scenario.streams) {
    DeleteTopic(options.client, options.topic_prefix + spec.topic).IgnoreError();
  }
}

}  // namespace millstream::tools
