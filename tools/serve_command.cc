// `millstream serve`: opens the data directory (every partition recovers on its
// shard), serves the Kafka protocol until SIGINT or SIGTERM, then stops accepting,
// lets the requests already read finish, and closes every log durably with its
// indexes persisted, so that the next start needs no recovery scan.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

// toml++ without exceptions: parse errors come back as values.
#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1  // the packaged library is built with exceptions
#include <toml++/toml.h>

#include "base/event_loop.h"
#include "engine/broker.h"
#include "engine/checkpoint_schedule.h"
#include "engine/quotas.h"
#include "net/http/http_server.h"
#include "net/server/kafka_server.h"
#include "tools/commands.h"

namespace millstream::tools {

namespace {

struct ServeOptions {
  std::string data_dir = "./data";
  std::string listen = "127.0.0.1:9092";
  std::string advertise;  // default: the listen address with the bound port
  int shards = 0;
  bool auto_create_topics = true;
  int32_t default_partitions = 1;
  size_t max_request_bytes = 100u << 20;
  int64_t retention_check_ms = 300000;
  int32_t group_initial_rebalance_delay_ms = 3000;
  int32_t group_min_session_timeout_ms = 6000;
  int32_t group_max_session_timeout_ms = 1800000;
  int64_t offsets_retention_minutes = 10080;
  std::string http = "127.0.0.1:9644";  // empty: no HTTP listener
  std::string http_token;
  size_t http_max_body_bytes = 1u << 20;
  int64_t idempotency_window_minutes = 1440;
  std::vector<std::string> checkpoint_schedule;  // PERIOD:PATTERN[:pin], repeatable
  uint64_t min_free_bytes = 256ull << 20;
  int max_connections = 10000;
  int max_connections_per_ip = 1000;
  uint64_t request_memory_budget = 256ull << 20;
  uint64_t fetch_memory_budget = 128ull << 20;
  std::vector<std::string> quota;  // client|topic:NAME:produce|fetch=BYTES_PER_SECOND, repeatable
};

std::string JoinWithCommas(const std::vector<std::string>& items) {
  std::string all;
  for (const std::string& s : items) all += (all.empty() ? "" : ",") + s;
  return all;
}

// What GET /api/v1/config shows: every option by its flag name (the token hidden).
std::map<std::string, std::string> Settings(const ServeOptions& o) {
  return {{"data-dir", o.data_dir},
          {"listen", o.listen},
          {"advertise", o.advertise},
          {"shards", std::to_string(o.shards)},
          {"auto-create-topics", o.auto_create_topics ? "true" : "false"},
          {"default-partitions", std::to_string(o.default_partitions)},
          {"max-request-bytes", std::to_string(o.max_request_bytes)},
          {"retention-check-ms", std::to_string(o.retention_check_ms)},
          {"group-initial-rebalance-delay-ms", std::to_string(o.group_initial_rebalance_delay_ms)},
          {"group-min-session-timeout-ms", std::to_string(o.group_min_session_timeout_ms)},
          {"group-max-session-timeout-ms", std::to_string(o.group_max_session_timeout_ms)},
          {"offsets-retention-minutes", std::to_string(o.offsets_retention_minutes)},
          {"http", o.http},
          {"http-token", o.http_token.empty() ? "" : "(set)"},
          {"http-max-body-bytes", std::to_string(o.http_max_body_bytes)},
          {"idempotency-window-minutes", std::to_string(o.idempotency_window_minutes)},
          {"min-free-bytes", std::to_string(o.min_free_bytes)},
          {"max-connections", std::to_string(o.max_connections)},
          {"max-connections-per-ip", std::to_string(o.max_connections_per_ip)},
          {"request-memory-budget", std::to_string(o.request_memory_budget)},
          {"fetch-memory-budget", std::to_string(o.fetch_memory_budget)},
          {"quota", JoinWithCommas(o.quota)},
          {"checkpoint-schedule", JoinWithCommas(o.checkpoint_schedule)}};
}

Result<std::pair<std::string, int>> SplitHostPort(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("expected HOST:PORT, got " + text);
  int port = 0;
  std::string_view digits(text.data() + colon + 1, text.size() - colon - 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || port < 0 || port > 65535) {
    return InvalidArgument("bad port in " + text);
  }
  return std::make_pair(text.substr(0, colon), port);
}

Task<int> WaitForSignal(EventLoop& loop, int fd) {
  signalfd_siginfo info{};
  auto prep = [fd, &info](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, &info, sizeof(info), 0); };
  int32_t n = co_await UringOp<decltype(prep)>(loop, prep);
  co_return n == sizeof(info) ? static_cast<int>(info.ssi_signo) : 0;
}

// Applies the keys of a TOML file to the options whose flags were not given. Every
// key is the long name of a serve flag; an unknown key or a value of the wrong type
// is an error (a misspelt key must not be ignored in silence).
// The flag's own checks (CLI::Range and the like) applied to a value from the
// file, so that a key is held to the same limits as its flag.
Status CheckLikeTheFlag(CLI::Option& flag, const std::string& name, std::string text) {
  for (int i = 0;; ++i) {
    CLI::Validator* check = nullptr;
    try {  // CLI11 reports the end of its validator list by throwing
      check = flag.get_validator(i);
    } catch (const CLI::OptionNotFound&) {
      return Status::Ok();
    }
    std::string error = (*check)(text);
    if (!error.empty()) return InvalidArgument(name + ": " + error);
  }
}

Status ApplyConfigFile(const std::string& path, CLI::App& cmd, ServeOptions& options) {
  toml::parse_result parsed = toml::parse_file(path);
  if (!parsed) {
    return InvalidArgument(std::string(parsed.error().description()) + " at line " +
                           std::to_string(parsed.error().source().begin.line));
  }
  const toml::table& table = parsed.table();
  for (const auto& [key, value] : table) {
    std::string name(key.str());
    CLI::Option* flag = cmd.get_option_no_throw("--" + name);
    if (flag == nullptr || name == "config") return InvalidArgument("unknown key " + name);
    bool given = flag->count() > 0;
    auto set_string = [&](std::string& out) -> Status {
      std::optional<std::string> v = value.value<std::string>();
      if (!v) return InvalidArgument(name + " must be a string");
      if (!given) out = *v;
      return Status::Ok();
    };
    auto set_int = [&](auto& out) -> Status {
      std::optional<int64_t> v = value.value<int64_t>();
      if (!v || *v < 0) return InvalidArgument(name + " must be a non-negative integer");
      RETURN_IF_ERROR(CheckLikeTheFlag(*flag, name, std::to_string(*v)));
      if (!given) out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
      return Status::Ok();
    };
    auto set_strings = [&](std::vector<std::string>& out) -> Status {
      const toml::array* list = value.as_array();
      if (list == nullptr) return InvalidArgument(name + " must be an array of strings");
      for (size_t i = 0; i < list->size(); ++i) {
        std::optional<std::string> item = (*list)[i].value<std::string>();
        if (!item) return InvalidArgument(name + " must be an array of strings");
        if (!given) out.push_back(*item);
      }
      return Status::Ok();
    };
    Status s;
    if (name == "data-dir") {
      s = set_string(options.data_dir);
    } else if (name == "listen") {
      s = set_string(options.listen);
    } else if (name == "checkpoint-schedule") {
      s = set_strings(options.checkpoint_schedule);
    } else if (name == "quota") {
      s = set_strings(options.quota);
    } else if (name == "request-memory-budget") {
      s = set_int(options.request_memory_budget);
    } else if (name == "fetch-memory-budget") {
      s = set_int(options.fetch_memory_budget);
    } else if (name == "min-free-bytes") {
      s = set_int(options.min_free_bytes);
    } else if (name == "max-connections") {
      s = set_int(options.max_connections);
    } else if (name == "max-connections-per-ip") {
      s = set_int(options.max_connections_per_ip);
    } else if (name == "http") {
      s = set_string(options.http);
    } else if (name == "http-token") {
      s = set_string(options.http_token);
    } else if (name == "http-max-body-bytes") {
      s = set_int(options.http_max_body_bytes);
    } else if (name == "idempotency-window-minutes") {
      s = set_int(options.idempotency_window_minutes);
    } else if (name == "advertise") {
      s = set_string(options.advertise);
    } else if (name == "shards") {
      s = set_int(options.shards);
    } else if (name == "default-partitions") {
      s = set_int(options.default_partitions);
    } else if (name == "max-request-bytes") {
      s = set_int(options.max_request_bytes);
    } else if (name == "retention-check-ms") {
      s = set_int(options.retention_check_ms);
    } else if (name == "group-initial-rebalance-delay-ms") {
      s = set_int(options.group_initial_rebalance_delay_ms);
    } else if (name == "group-min-session-timeout-ms") {
      s = set_int(options.group_min_session_timeout_ms);
    } else if (name == "group-max-session-timeout-ms") {
      s = set_int(options.group_max_session_timeout_ms);
    } else if (name == "offsets-retention-minutes") {
      s = set_int(options.offsets_retention_minutes);
    } else if (name == "auto-create-topics") {
      std::optional<bool> v = value.value<bool>();
      if (!v) s = InvalidArgument(name + " must be true or false");
      if (v && !given) options.auto_create_topics = *v;
    } else {
      s = InvalidArgument("unknown key " + name);
    }
    RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

int RunServe(const ServeOptions& options) {
  Result<std::pair<std::string, int>> listen = SplitHostPort(options.listen);
  if (!listen.ok()) {
    spdlog::critical("--listen: {}", listen.status().message());
    return 2;
  }
  std::optional<std::pair<std::string, int>> http_address;
  if (!options.http.empty()) {
    Result<std::pair<std::string, int>> parsed = SplitHostPort(options.http);
    if (!parsed.ok()) {
      spdlog::critical("--http: {}", parsed.status().message());
      return 2;
    }
    http_address = *parsed;
  }
  std::pair<std::string, int> advertise = {listen->first, 0};
  if (!options.advertise.empty()) {
    Result<std::pair<std::string, int>> parsed = SplitHostPort(options.advertise);
    if (!parsed.ok()) {
      spdlog::critical("--advertise: {}", parsed.status().message());
      return 2;
    }
    advertise = *parsed;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // Blocked before any thread exists, so only the signalfd ever sees them.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    spdlog::critical("signalfd: {}", std::strerror(errno));
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);

  engine::BrokerConfig config;
  config.data_dir = options.data_dir;
  config.shards = options.shards;
  config.auto_create_topics = options.auto_create_topics;
  config.default_partitions = options.default_partitions;
  config.retention_check_ms = options.retention_check_ms;
  config.groups.limits.initial_rebalance_delay_ms = options.group_initial_rebalance_delay_ms;
  config.groups.limits.min_session_timeout_ms = options.group_min_session_timeout_ms;
  config.groups.limits.max_session_timeout_ms = options.group_max_session_timeout_ms;
  config.groups.offsets_retention_ms = options.offsets_retention_minutes * 60 * 1000;
  config.min_free_bytes = options.min_free_bytes;
  Result<std::unique_ptr<engine::Broker>> broker = engine::Broker::Open(config);
  if (!broker.ok()) {
    spdlog::critical("cannot open data directory {}: {}", options.data_dir, broker.status().ToString());
    return 1;
  }
  net::ServerConfig server_config;
  server_config.host = listen->first;
  server_config.port = listen->second;
  server_config.info.advertised_host = advertise.first;
  server_config.info.advertised_port = advertise.second;
  server_config.limits.max_frame_bytes = options.max_request_bytes;
  server_config.admission.max_total = options.max_connections;
  server_config.admission.max_per_address = options.max_connections_per_ip;
  server_config.request_memory_budget = options.request_memory_budget;
  server_config.fetch_memory_budget = options.fetch_memory_budget;
  for (const std::string& spec : options.quota) {
    Result<engine::QuotaRule> rule = engine::ParseQuotaRule(spec);
    if (!rule.ok()) {
      spdlog::critical("--quota: {}", rule.status().message());
      (*broker)->Shutdown().IgnoreError();
      return 2;
    }
    server_config.quotas.push_back(std::move(*rule));
  }
  Result<std::unique_ptr<net::KafkaServer>> server = net::KafkaServer::Start(**broker, server_config);
  if (!server.ok()) {
    spdlog::critical("cannot listen: {}", server.status().ToString());
    (*broker)->Shutdown().IgnoreError();
    return 1;
  }
  std::vector<engine::ScheduleRule> rules;
  for (const std::string& spec : options.checkpoint_schedule) {
    Result<engine::ScheduleRule> rule = engine::ScheduleRule::Parse(spec);
    if (!rule.ok()) {
      spdlog::critical("--checkpoint-schedule: {}", rule.status().message());
      (*server)->Stop();
      (*broker)->Shutdown().IgnoreError();
      return 2;
    }
    rules.push_back(std::move(*rule));
  }
  std::unique_ptr<net::http::HttpServer> http;
  if (http_address) {
    net::http::HttpConfig http_config;
    http_config.host = http_address->first;
    http_config.port = http_address->second;
    http_config.admin_token = options.http_token;
    http_config.max_body_bytes = options.http_max_body_bytes;
    http_config.idempotency_window_ms = options.idempotency_window_minutes * 60 * 1000;
    http_config.settings = Settings(options);
    Result<std::unique_ptr<net::http::HttpServer>> started =
        net::http::HttpServer::Start(**broker, server->get(), std::move(http_config));
    if (!started.ok()) {
      spdlog::critical("cannot start the HTTP listener: {}", started.status().ToString());
      (*server)->Stop();
      (*broker)->Shutdown().IgnoreError();
      return 1;
    }
    http = std::move(*started);
  }
  std::unique_ptr<engine::CheckpointSchedule> schedule = engine::CheckpointSchedule::Start(**broker, rules);
  spdlog::info("millstream serving data directory {} ({} topics, {} shards) on {}:{}",
               options.data_dir, (*broker)->Topics().size(), (*broker)->shard_count(),
               listen->first, (*server)->port());
  std::unique_ptr<EventLoop> loop = EventLoop::Create(8).value();
  int signo = loop->Run(WaitForSignal(*loop, signal_fd));
  spdlog::info("signal {} received: stopping", signo);
  // The schedule and HTTP first: their work in progress waits on the shards,
  // which must still run.
  schedule->Stop();
  if (http) http->Stop();
  // Groups first: a JoinGroup parked until a rebalance ends would otherwise keep
  // its connection, and the listener's stop, waiting.
  Status groups_closed = (*broker)->groups().Close();
  if (!groups_closed.ok()) spdlog::error("closing consumer groups: {}", groups_closed.ToString());
  (*server)->Stop();
  Status closed = (*broker)->Shutdown();
  close(signal_fd);
  if (!closed.ok()) {
    spdlog::error("closing logs: {}", closed.ToString());
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace

CommandRunner RegisterServe(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the broker on a data directory");
  cmd->add_option("--data-dir", options->data_dir, "Data directory")->capture_default_str();
  cmd->add_option("--listen", options->listen, "Kafka listener HOST:PORT (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--advertise", options->advertise,
                  "HOST:PORT clients are told to connect to (default: the listener)");
  cmd->add_option("--shards", options->shards, "Shard threads (0: one per core)")->capture_default_str();
  cmd->add_option("--auto-create-topics", options->auto_create_topics,
                  "Create unknown topics on metadata and produce")
      ->capture_default_str();
  cmd->add_option("--default-partitions", options->default_partitions,
                  "Partitions of auto-created topics")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--max-request-bytes", options->max_request_bytes,
                  "Largest request frame accepted; larger ones close the connection")
      ->capture_default_str();
  cmd->add_option("--retention-check-ms", options->retention_check_ms,
                  "How often retention runs (log.retention.check.interval.ms)")
      ->capture_default_str()->check(CLI::Range(int64_t{10}, int64_t{86400000}));
  cmd->add_option("--group-initial-rebalance-delay-ms", options->group_initial_rebalance_delay_ms,
                  "How long a new group waits for more members before its first generation "
                  "(group.initial.rebalance.delay.ms)")
      ->capture_default_str()->check(CLI::Range(0, 300000));
  cmd->add_option("--group-min-session-timeout-ms", options->group_min_session_timeout_ms,
                  "Shortest session timeout a consumer may ask for (group.min.session.timeout.ms)")
      ->capture_default_str()->check(CLI::Range(1, 86400000));
  cmd->add_option("--group-max-session-timeout-ms", options->group_max_session_timeout_ms,
                  "Longest session timeout a consumer may ask for (group.max.session.timeout.ms)")
      ->capture_default_str()->check(CLI::Range(1, 86400000));
  cmd->add_option("--offsets-retention-minutes", options->offsets_retention_minutes,
                  "Committed offsets of a group that stays empty this long are forgotten "
                  "(offsets.retention.minutes)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{52560000}));
  cmd->add_option("--http", options->http,
                  "HTTP listener HOST:PORT for /metrics, the admin API and webhooks (port 0: any "
                  "free port; empty: none)")
      ->capture_default_str();
  cmd->add_option("--http-token", options->http_token,
                  "Bearer token that HTTP requests which change anything must carry (also "
                  "MILLSTREAM_HTTP_TOKEN; empty: none needed)")
      ->envname("MILLSTREAM_HTTP_TOKEN");
  cmd->add_option("--http-max-body-bytes", options->http_max_body_bytes,
                  "Largest HTTP request body accepted (larger: 413)")
      ->capture_default_str()->check(CLI::Range(size_t{1024}, size_t{64} << 20));
  cmd->add_option("--min-free-bytes", options->min_free_bytes,
                  "Below this much free disk space produce is refused (retriable) until space returns; "
                  "commits and checkpoints use what is left (0: no threshold)")
      ->capture_default_str();
  cmd->add_option("--max-connections", options->max_connections,
                  "Kafka connections open at once; more are closed as soon as accepted (max.connections)")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-connections-per-ip", options->max_connections_per_ip,
                  "Kafka connections open at once from one address (max.connections.per.ip)")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--request-memory-budget", options->request_memory_budget,
                  "Bytes of Kafka requests read and not yet answered (produce data until acknowledged), "
                  "all shards together; past it the heaviest senders are not read from "
                  "(queued.max.request.bytes)")
      ->capture_default_str()->check(CLI::Range(uint64_t{1} << 20, uint64_t{1} << 40));
  cmd->add_option("--fetch-memory-budget", options->fetch_memory_budget,
                  "Bytes of fetched records held for answers being built or sent, all shards together; "
                  "one fetch takes at most an eighth of a shard's share")
      ->capture_default_str()->check(CLI::Range(uint64_t{1} << 20, uint64_t{1} << 40));
  cmd->add_option("--quota", options->quota,
                  "Byte-rate quota: client|topic:NAME:produce|fetch=BYTES_PER_SECOND, NAME * for each "
                  "one not named (repeatable); over it answers carry throttle_time_ms and the "
                  "connection is muted for that long");
  cmd->add_option("--checkpoint-schedule", options->checkpoint_schedule,
                  "Take checkpoints by the clock: PERIOD:PATTERN[:pin] with PERIOD hourly, daily, monthly, "
                  "Ns or Nm and a strftime PATTERN (repeatable), e.g. monthly:month-end-%Y-%m:pin");
  cmd->add_option("--idempotency-window-minutes", options->idempotency_window_minutes,
                  "How long a webhook's Idempotency-Key is remembered")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{525600}));
  // Every option above is also a key of one TOML file (flags given win):
  //   data-dir = "/var/lib/millstream"
  //   listen = "127.0.0.1:9092"
  auto config_file = std::make_shared<std::string>();
  cmd->add_option("--config", *config_file,
                  "TOML file with any of the options above as keys (data-dir = \"...\"); flags win")
      ->check(CLI::ExistingFile);
  return [options, config_file, cmd] {
    if (!config_file->empty()) {
      Status loaded = ApplyConfigFile(*config_file, *cmd, *options);
      if (!loaded.ok()) {
        spdlog::critical("--config {}: {}", *config_file, loaded.message());
        return 2;
      }
    }
    return RunServe(*options);
  };
}

}  // namespace millstream::tools
