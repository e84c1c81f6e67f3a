// `millstream replay --from NAME [--to NAME|now]`: every record appended after
// checkpoint FROM up to and including checkpoint TO, partition by partition in
// offset order, decompressed, verified as it is read, ending with a summary per
// partition and a SHA-256 digest over the records' canonical form
// (docs/checkpoints.md). Online against a running broker (--bootstrap, --admin:
// librdkafka reads with CRC checks on), or offline on a data directory no broker
// runs on (--data-dir: every batch's CRC-32C and every sealed segment's XXH3-128
// digest checked). A missing or damaged record fails the replay naming its topic,
// partition and offset: never a silent gap.
//
// Output: the records (--format jsonl, or raw: the canonical bytes themselves, so
// `sha256sum` of it equals the digest) to --out or stdout; the summary to stderr,
// or to stdout with --verify-only (no records). Exit 0 when complete, 1 otherwise.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "engine/checkpoint_store.h"
#include "storage/compression.h"
#include "storage/data_dir.h"
#include "storage/io/uring_file_system.h"
#include "storage/record_batch_format.h"
#include "storage/verifier.h"
#include "tools/admin_client.h"
#include "tools/batch_pipeline.h"
#include "tools/commands.h"
#include "tools/kafka_client_config.h"
#include "tools/replay_output.h"

namespace millstream::tools {

namespace {

constexpr int64_t kToTheEnd = std::numeric_limits<int64_t>::max();

struct ReplayOptions {
  std::string from;
  std::string to = "now";
  std::string topics;  // comma-separated filter
  std::string format = "jsonl";
  std::string out;
  bool verify_only = false;
  std::string data_dir;  // offline
  ClientOptions client;  // online
  AdminOptions admin;
};

// One partition's range: [start, end) in offsets; end kToTheEnd for "now" offline.
struct Range {
  std::string topic;
  int32_t partition = 0;
  int64_t start = 0;
  int64_t end = 0;
};

std::string Where(const Range& r) { return "topic " + r.topic + " partition " + std::to_string(r.partition); }

// Offsets [from, found) are not there: `found` is the next offset that is, or
// kToTheEnd when the log ends at `from`.
Status Missing(const Range& r, int64_t from, int64_t found) {
  if (found == kToTheEnd) {
    std::string until = r.end == kToTheEnd ? "" : " to " + std::to_string(r.end - 1);
    return Corruption(Where(r) + ": offsets " + std::to_string(from) + until + " are missing (the log ends at " +
                      std::to_string(from) + ")");
  }
  return Corruption(Where(r) + ": offsets " + std::to_string(from) + " to " + std::to_string(found - 1) +
                    " are missing");
}

// ---- The ranges, from checkpoints ----

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  std::istringstream in(list);
  for (std::string t; std::getline(in, t, ',');) {
    if (!t.empty()) out.push_back(t);
  }
  return out;
}

// From the FROM and TO cuts (TO absent: "now", with `now` giving each partition's
// current end). Partitions of topics created after FROM start at 0.
Result<std::vector<Range>> Ranges(const engine::Checkpoint& from, const std::optional<engine::Checkpoint>& to,
                                  const std::map<std::pair<std::string, int32_t>, int64_t>& now,
                                  const std::vector<std::string>& topics) {
  auto wanted = [&](const std::string& t) {
    return topics.empty() || std::find(topics.begin(), topics.end(), t) != topics.end();
  };
  std::map<std::pair<std::string, int32_t>, Range> out;
  for (const engine::CutPartition& p : from.partitions) {
    if (wanted(p.topic)) out[{p.topic, p.partition}] = {p.topic, p.partition, p.end, 0};
  }
  if (to) {
    for (const engine::CutPartition& p : to->partitions) {
      if (!wanted(p.topic)) continue;
      auto [it, added] = out.try_emplace({p.topic, p.partition}, Range{p.topic, p.partition, 0, 0});
      it->second.end = p.end;
    }
  } else {
    for (auto& [key, range] : out) {
      auto it = now.find(key);
      range.end = it == now.end() ? kToTheEnd : it->second;
    }
  }
  std::vector<Range> ranges;
  for (auto& [key, range] : out) {
    if (to && !to->Find(range.topic, range.partition)) {
      return InvalidArgument("checkpoint " + to->name + " does not cover " + Where(range));
    }
    if (range.end < range.start) {
      return InvalidArgument(Where(range) + ": the TO cut (" + std::to_string(range.end) +
                             ") is before the FROM cut (" + std::to_string(range.start) + ")");
    }
    ranges.push_back(range);
  }
  if (ranges.empty()) return InvalidArgument("no partition to replay (check --topics)");
  return ranges;
}

// ---- Offline: the data directory ----

Result<engine::Checkpoint> ReadCheckpoint(EventLoop& loop, storage::io::FileSystem& fs, const std::string& data_dir,
                                          const std::string& name) {
  std::string path = engine::CheckpointPath(data_dir, name);
  Result<std::vector<std::byte>> bytes = loop.Run(storage::io::ReadWholeFile(fs, path));
  if (!bytes.ok()) return bytes.status().WithContext("checkpoint " + name + " (" + path + ")");
  Result<engine::Checkpoint> c = engine::DecodeCheckpointFile(*bytes);
  if (!c.ok()) return c.status().WithContext("checkpoint " + name + " (" + path + ")");
  return c;
}

// Hands the records of one batch in [range.start, range.end) to `output`,
// checking that offsets follow each other from `next` on.
Status EmitBatch(const Range& range, ConstBytes batch, int64_t& next, ReplayOutput& output) {
  storage::BatchHeader h = *storage::PeekBatchHeader(batch);  // the verifier checked the framing
  ConstBytes area = batch.subspan(storage::batch_format::kRecords);
  Result<std::vector<std::byte>> records = storage::Decompress(h.compression(), area);
  if (!records.ok()) {
    return records.status().WithContext(Where(range) + ": batch at offset " + std::to_string(h.base_offset.value()));
  }
  storage::RecordReader reader(h, *records);
  while (std::optional<storage::RecordView> r = reader.Next()) {
    int64_t offset = r->offset.value();
    if (offset < range.start || offset >= range.end) continue;
    if (offset != next) return Missing(range, next, offset);
    auto view = [](std::optional<ConstBytes> b) -> std::optional<std::string_view> {
      if (!b) return std::nullopt;
      return std::string_view(reinterpret_cast<const char*>(b->data()), b->size());
    };
    ReplayRecord out{range.topic, range.partition, offset, r->timestamp.value(), view(r->key), view(r->value), {}};
    for (const auto& header : r->headers) out.headers.emplace_back(*view(header.key), view(header.value));
    output.Add(out);
    ++next;
  }
  if (!reader.status().ok()) {
    return reader.status().WithContext(Where(range) + ": batch at offset " + std::to_string(h.base_offset.value()));
  }
  return Status::Ok();
}

Status ReplayOffline(const ReplayOptions& o, ReplayOutput& output) {
  ASSIGN_OR_RETURN(std::unique_ptr<EventLoop> loop, EventLoop::Create());
  storage::io::UringFileSystem fs(*loop);
  ASSIGN_OR_RETURN(engine::Checkpoint from, ReadCheckpoint(*loop, fs, o.data_dir, o.from));
  std::optional<engine::Checkpoint> to;
  if (o.to != "now") {
    ASSIGN_OR_RETURN(engine::Checkpoint c, ReadCheckpoint(*loop, fs, o.data_dir, o.to));
    to = std::move(c);
  }
  ASSIGN_OR_RETURN(std::vector<Range> ranges, Ranges(from, to, {}, Split(o.topics)));
  // This thread reads and verifies; the pipeline's decodes and hashes (the
  // partition being worked on and its next offset are set only while it is idle).
  const Range* current = nullptr;
  int64_t next = 0;
  BatchPipeline pipeline([&](std::vector<std::byte> batch) { return EmitBatch(*current, batch, next, output); });
  for (const Range& range : ranges) {
    output.NotePartition(range.topic, range.partition);
    std::string dir = storage::PartitionPath(o.data_dir, range.topic, range.partition);
    ASSIGN_OR_RETURN(bool exists, fs.Exists(dir));
    if (!exists) return NotFound(Where(range) + ": no directory " + dir);
    // Records DeleteRecords removed may still sit in a segment: they are not
    // served, so they are missing here as they would be online.
    ASSIGN_OR_RETURN(Offset deleted_before, loop->Run(storage::ReadDeletedBefore(fs, dir)));
    if (range.start < deleted_before.value() && range.start < range.end) {
      return Missing(range, range.start, std::min(deleted_before.value(), range.end));
    }
    current = &range;
    next = range.start;
    storage::VerifySummary summary;
    // The first damage found ends the replay there, before any later batch is
    // handed on (the verifier itself goes on to the next segment). Records are
    // handed on only from batches whose CRC checked out, so once the pipeline
    // is drained `next` is the first offset not replayed.
    auto damaged = [&] {
      return Corruption(Where(range) + " at offset " + std::to_string(next) + ": " +
                        summary.problems.front().ToString());
    };
    storage::VerifyRange verify{Offset(range.start), Offset(range.end),
                                [&](const storage::BatchHeader&, ConstBytes batch) -> Status {
                                  if (summary.problems.empty()) return pipeline.Push(batch);
                                  RETURN_IF_ERROR(pipeline.Drain());
                                  return damaged();
                                }};
    Status walked = loop->Run(storage::VerifyPartition(fs, dir, summary, &verify));
    RETURN_IF_ERROR(pipeline.Drain());
    if (!summary.problems.empty()) return damaged();
    RETURN_IF_ERROR(walked.WithContext(Where(range)));
    if (range.end != kToTheEnd && next != range.end) return Missing(range, next, kToTheEnd);
  }
  return Status::Ok();
}

// ---- Online: a running broker ----

Result<engine::Checkpoint> FetchCheckpoint(AdminClient& admin, const std::string& name) {
  ASSIGN_OR_RETURN(nlohmann::json c, admin.Get("/api/v1/checkpoints/" + name));
  c["version"] = 1;
  return engine::Checkpoint::FromJson(c.dump());
}

Result<std::map<std::pair<std::string, int32_t>, int64_t>> CurrentEnds(AdminClient& admin,
                                                                      const engine::Checkpoint& from) {
  std::map<std::pair<std::string, int32_t>, int64_t> now;
  std::set<std::string> topics;
  for (const engine::CutPartition& p : from.partitions) topics.insert(p.topic);
  for (const std::string& t : topics) {
    ASSIGN_OR_RETURN(nlohmann::json described, admin.Get("/api/v1/topics/" + t));
    for (const nlohmann::json& p : described["partitions"]) {
      now[{t, p["partition"].get<int32_t>()}] = p["high_watermark"].get<int64_t>();
    }
  }
  return now;
}

Status ReplayOnePartition(rd_kafka_t* consumer, const Range& range, ReplayOutput& output, int timeout_ms) {
  output.NotePartition(range.topic, range.partition);
  if (range.start == range.end) return Status::Ok();
  RdPtr<rd_kafka_topic_partition_list_t> list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), range.topic.c_str(), range.partition)->offset = range.start;
  if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer, list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(err, "assign " + Where(range));
  }
  int64_t next = range.start;
  int idle_ms = 0;
  while (next < range.end) {
    RdPtr<rd_kafka_message_t> m(rd_kafka_consumer_poll(consumer, 100));
    if (!m) {
      idle_ms += 100;
      if (idle_ms > timeout_ms) return IoError(Where(range) + ": nothing read for " + std::to_string(timeout_ms) + " ms");
      continue;
    }
    idle_ms = 0;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return Missing(range, next, kToTheEnd);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // A CRC mismatch (check.crcs) or an offset out of range (deleted records).
      return Corruption(Where(range) + " at offset " + std::to_string(next) + ": " +
                        rd_kafka_message_errstr(m.get()));
    }
    if (m->offset < next) continue;  // the first batch may start before `start`
    if (m->offset >= range.end) break;
    if (m->offset != next) return Missing(range, next, m->offset);
    rd_kafka_timestamp_type_t type;
    int64_t ts = rd_kafka_message_timestamp(m.get(), &type);
    ReplayRecord out{range.topic, range.partition, m->offset, ts,
                     m->key ? std::optional<std::string_view>(std::string_view(static_cast<const char*>(m->key), m->key_len))
                            : std::nullopt,
                     m->payload ? std::optional<std::string_view>(
                                      std::string_view(static_cast<const char*>(m->payload), m->len))
                                : std::nullopt,
                     {}};
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        out.headers.emplace_back(name, value ? std::optional<std::string_view>(
                                                   std::string_view(static_cast<const char*>(value), size))
                                             : std::nullopt);
      }
    }
    output.Add(out);
    ++next;
  }
  return Status::Ok();
}

Status ReplayOnline(const ReplayOptions& o, ReplayOutput& output) {
  ASSIGN_OR_RETURN(std::unique_ptr<AdminClient> admin, AdminClient::Connect(o.admin));
  ASSIGN_OR_RETURN(engine::Checkpoint from, FetchCheckpoint(*admin, o.from));
  std::optional<engine::Checkpoint> to;
  std::map<std::pair<std::string, int32_t>, int64_t> now;
  if (o.to == "now") {
    ASSIGN_OR_RETURN(now, CurrentEnds(*admin, from));
  } else {
    ASSIGN_OR_RETURN(engine::Checkpoint c, FetchCheckpoint(*admin, o.to));
    to = std::move(c);
  }
  ASSIGN_OR_RETURN(std::vector<Range> ranges, Ranges(from, to, now, Split(o.topics)));
  // group.id only because rd_kafka_assign() wants one; nothing is committed.
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> conf, NewClientConfig(o.client, {{"group.id", "millstream-replay"},
                                                                         {"enable.auto.commit", "false"},
                                                                         {"enable.auto.offset.store", "false"},
                                                                         {"auto.offset.reset", "error"},
                                                                         {"enable.partition.eof", "true"},
                                                                         {"check.crcs", "true"}}));
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_t> consumer, NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
  for (const Range& range : ranges) RETURN_IF_ERROR(ReplayOnePartition(consumer.get(), range, output, o.client.timeout_ms));
  rd_kafka_assign(consumer.get(), nullptr);
  return Status::Ok();
}

}  // namespace

CommandRunner RegisterReplay(CLI::App& app) {
  auto o = std::make_shared<ReplayOptions>();
  CLI::App* cmd = app.add_subcommand("replay", "Every record between two checkpoints, verified, with a digest");
  cmd->add_option("--from", o->from, "Checkpoint to start after")->required();
  cmd->add_option("--to", o->to, "Checkpoint to end with, or now")->capture_default_str();
  cmd->add_option("--topics", o->topics, "Comma-separated topics (default: all the checkpoint covers)");
  cmd->add_option("--format", o->format, "jsonl, or raw (the canonical bytes the digest covers)")
      ->capture_default_str()->check(CLI::IsMember({"jsonl", "raw"}));
  cmd->add_option("--out", o->out, "Write the records to FILE (default: stdout)");
  cmd->add_flag("--verify-only", o->verify_only, "Read and verify everything, print only the summary");
  CLI::Option* offline = cmd->add_option("--data-dir", o->data_dir, "Replay from this data directory (no broker may run on it)");
  cmd->add_option("--bootstrap", o->client.bootstrap, "Replay from this broker (with --admin)")->excludes(offline);
  cmd->add_option("--timeout-ms", o->client.timeout_ms, "Online: how long a read may wait")->capture_default_str();
  cmd->add_option("--admin", o->admin.url, "Online: the broker's HTTP admin API")->capture_default_str();
  cmd->add_option("--token", o->admin.token, "Bearer token")->envname("MILLSTREAM_HTTP_TOKEN");
  return [o] {
    if (o->data_dir.empty() && o->client.bootstrap.empty()) {
      std::fprintf(stderr, "replay: give --data-dir DIR (offline) or --bootstrap HOST:PORT (online)\n");
      return 2;
    }
    std::FILE* out = stdout;
    if (!o->out.empty() && !o->verify_only) {
      out = std::fopen(o->out.c_str(), "wb");
      if (out == nullptr) {
        std::fprintf(stderr, "replay: cannot write %s\n", o->out.c_str());
        return 1;
      }
    }
    ReplayFormat format = o->verify_only ? ReplayFormat::kNone
                          : o->format == "raw" ? ReplayFormat::kRaw
                                               : ReplayFormat::kJsonLines;
    ReplayOutput output(out, format);
    Status status;
    try {  // nlohmann throws on an admin answer of an unexpected shape
      status = o->data_dir.empty() ? ReplayOnline(*o, output) : ReplayOffline(*o, output);
    } catch (const nlohmann::json::exception& e) {
      status = InvalidArgument(std::string("unexpected answer from the admin API: ") + e.what());
    }
    // A record that did not reach the output makes the replay incomplete.
    bool written = std::fflush(out) == 0 && std::ferror(out) == 0;
    if (out != stdout) written = std::fclose(out) == 0 && written;
    if (status.ok() && !written) {
      status = IoError("writing the records to " + (o->out.empty() ? std::string("stdout") : o->out) + " failed");
    }
    if (!status.ok()) {
      std::fprintf(stderr, "replay: FAILED: %s\n", status.message().c_str());
      return 1;
    }
    std::string summary = output.Summary();
    std::fputs(summary.c_str(), o->verify_only ? stdout : stderr);
    return 0;
  };
}

}  // namespace millstream::tools
