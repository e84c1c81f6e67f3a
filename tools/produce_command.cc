// `millstream produce`: one record per line of stdin to one topic, through
// librdkafka's producer. The line's bytes without its '\n' are the value (a last
// line without '\n' counts too; an empty line is an empty value). With
// --key-separator, the text before the first separator is the key and the rest is
// the value; a line without the separator has a null key. Every --header is added
// to every record. The partition is librdkafka's choice (by key hash, or sticky
// without a key) unless --partition is given.
//
// At the end every record is flushed; stderr gets "produced N records" (N
// acknowledged at the --acks level). If any record failed, the first failure is
// printed ("produce: line L: <error>") and the exit code is 1.
#include <stdio.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "tools/commands.h"
#include "tools/kafka_client_config.h"

namespace millstream::tools {

namespace {

struct ProduceOptions {
  ClientOptions client;
  std::string topic;
  std::string key_separator;         // empty: no keys
  std::vector<std::string> headers;  // KEY=VALUE
  std::string acks = "all";
  int32_t partition = RD_KAFKA_PARTITION_UA;
};

// Filled by librdkafka's delivery callback, which runs inside rd_kafka_poll and
// rd_kafka_flush on the main thread, so it needs no lock.
struct Deliveries {
  int64_t acknowledged = 0;
  int64_t failed = 0;
  int64_t first_failed_line = 0;
  std::string first_error;
};

void OnDelivery(rd_kafka_t* /*client*/, const rd_kafka_message_t* message, void* opaque) {
  auto* deliveries = static_cast<Deliveries*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++deliveries->acknowledged;
    return;
  }
  if (deliveries->failed++ == 0) {
    // The record's line number travels as its opaque pointer.
    deliveries->first_failed_line = reinterpret_cast<intptr_t>(message->_private);
    deliveries->first_error = rd_kafka_err2str(message->err);
  }
}

// Reads lines with POSIX getline, which keeps bytes after a NUL, unlike fgets.
// Borrows `in` (which must outlive it) and owns the line buffer; a line stays
// valid until the next call of Next.
class LineReader {
 public:
  explicit LineReader(FILE* in) : in_(in) {}
  ~LineReader() { free(buffer_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its '\n'; false at end of input.
  bool Next(std::string_view& line) {
    ssize_t n = getline(&buffer_, &capacity_, in_);
    if (n < 0) return false;
    if (n > 0 && buffer_[n - 1] == '\n') --n;
    line = std::string_view(buffer_, static_cast<size_t>(n));
    return true;
  }
  bool failed() const { return ferror(in_) != 0; }

 private:
  FILE* in_;
  char* buffer_ = nullptr;
  size_t capacity_ = 0;
};

// Hands one record to librdkafka, waiting while its queue is full. The headers'
// bytes are copied (RD_KAFKA_VTYPE_HEADER), as are key and value (MSG_F_COPY).
Status Send(rd_kafka_t* client, const ProduceOptions& options,
            const std::vector<std::pair<std::string, std::string>>& headers, std::string_view line,
            int64_t line_number) {
  std::vector<rd_kafka_vu_t> fields;
  auto add = [&fields](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
    fields.emplace_back();
    fields.back().vtype = type;
    return fields.back();
  };
  add(RD_KAFKA_VTYPE_TOPIC).u.cstr = options.topic.c_str();
  add(RD_KAFKA_VTYPE_PARTITION).u.i32 = options.partition;
  add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
  add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = reinterpret_cast<void*>(static_cast<intptr_t>(line_number));
  std::string_view value = line;
  if (!options.key_separator.empty()) {
    if (size_t at = line.find(options.key_separator); at != std::string_view::npos) {
      rd_kafka_vu_t& key = add(RD_KAFKA_VTYPE_KEY);
      key.u.mem.ptr = const_cast<char*>(line.data());
      key.u.mem.size = at;
      value = line.substr(at + options.key_separator.size());
    }
  }
  rd_kafka_vu_t& v = add(RD_KAFKA_VTYPE_VALUE);
  v.u.mem.ptr = const_cast<char*>(value.data());
  v.u.mem.size = value.size();
  for (const auto& [name, text] : headers) {
    rd_kafka_vu_t& h = add(RD_KAFKA_VTYPE_HEADER);
    h.u.header.name = name.c_str();
    h.u.header.val = text.data();
    h.u.header.size = static_cast<ssize_t>(text.size());
  }
  while (true) {
    RdPtr<rd_kafka_error_t> error(rd_kafka_produceva(client, fields.data(), fields.size()));
    if (!error) return Status::Ok();
    if (rd_kafka_error_code(error.get()) != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return KafkaStatus(rd_kafka_error_code(error.get()), "line " + std::to_string(line_number),
                         rd_kafka_error_string(error.get()));
    }
    // Back-pressure: serve delivery reports until librdkafka has room again.
    rd_kafka_poll(client, 100);
  }
}

// A producer whose delivery reports land in `deliveries` (which must outlive it).
Result<RdPtr<rd_kafka_t>> NewProducer(const ProduceOptions& options, Deliveries& deliveries) {
  // message.timeout.ms bounds the final flush: a record not acknowledged by then
  // fails instead of waiting for a broker that is gone.
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_conf_t> conf,
                   NewClientConfig(options.client, {{"acks", options.acks},
                                                    {"message.timeout.ms",
                                                     std::to_string(options.client.timeout_ms)}}));
  rd_kafka_conf_set_opaque(conf.get(), &deliveries);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &OnDelivery);
  return NewClient(RD_KAFKA_PRODUCER, std::move(conf));
}

int RunProduce(const ProduceOptions& options) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const std::string& h : options.headers) {
    Result<std::pair<std::string, std::string>> kv = SplitKeyValue(h);
    if (!kv.ok()) {
      std::fprintf(stderr, "produce: --header: %s\n", kv.status().message().c_str());
      return 2;
    }
    headers.push_back(*kv);
  }
  Deliveries deliveries;
  Result<RdPtr<rd_kafka_t>> client = NewProducer(options, deliveries);
  if (!client.ok()) {
    std::fprintf(stderr, "produce: %s\n", client.status().message().c_str());
    return 2;
  }
  rd_kafka_t* rk = client->get();
  // Fail before reading stdin when the topic is missing (or the partition is).
  Result<int32_t> partitions = TopicPartitionCount(rk, options.topic, options.client.timeout_ms);
  if (!partitions.ok()) {
    std::fprintf(stderr, "produce: %s\n", partitions.status().message().c_str());
    return 1;
  }
  if (options.partition != RD_KAFKA_PARTITION_UA && options.partition >= *partitions) {
    std::fprintf(stderr, "produce: --partition %d: topic %s has %d partitions\n", options.partition,
                 options.topic.c_str(), *partitions);
    return 1;
  }
  LineReader reader(stdin);
  std::string_view line;
  int64_t line_number = 0;
  Status sent;
  while (sent.ok() && reader.Next(line)) {
    sent = Send(rk, options, headers, line, ++line_number);
    rd_kafka_poll(rk, 0);  // serve delivery reports as we go
  }
  rd_kafka_flush(rk, -1);  // ends within message.timeout.ms
  int code = 0;
  if (!sent.ok()) {
    std::fprintf(stderr, "produce: %s\n", sent.message().c_str());
    code = 1;
  } else if (reader.failed()) {
    std::fprintf(stderr, "produce: reading stdin failed after line %lld\n",
                 static_cast<long long>(line_number));
    code = 1;
  }
  if (deliveries.failed > 0) {
    std::fprintf(stderr, "produce: line %lld: %s (%lld records failed)\n",
                 static_cast<long long>(deliveries.first_failed_line),
                 deliveries.first_error.c_str(), static_cast<long long>(deliveries.failed));
    code = 1;
  }
  std::fprintf(stderr, "produced %lld records\n", static_cast<long long>(deliveries.acknowledged));
  return code;
}

}  // namespace

CommandRunner RegisterProduce(CLI::App& app) {
  auto options = std::make_shared<ProduceOptions>();
  CLI::App* cmd = app.add_subcommand("produce", "Produce one record per line of stdin");
  AddClientOptions(*cmd, options->client);
  cmd->add_option("-t,--topic", options->topic, "Topic")->required();
  cmd->add_option("-K,--key-separator", options->key_separator,
                  "Text before the first SEP of a line is the key, the rest the value")
      ->check([](const std::string& sep) { return sep.empty() ? "must not be empty" : ""; });
  cmd->add_option("-H,--header", options->headers, "Header KEY=VALUE on every record (repeatable)")
      ->allow_extra_args(false)
      ->check(KeyValueValidator());
  cmd->add_option("--acks", options->acks, "Acknowledgement level")
      ->capture_default_str()
      ->check(CLI::IsMember({"all", "1", "0"}));
  cmd->add_option("-p,--partition", options->partition,
                  "Partition (default: librdkafka's partitioner)")
      ->check(CLI::NonNegativeNumber);
  return [options] { return RunProduce(*options); };
}

}  // namespace millstream::tools
