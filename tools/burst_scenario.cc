#include "tools/burst_scenario.h"

#include <filesystem>
#include <set>

// toml++ without exceptions: parse errors come back as values.
#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1  // the packaged library is built with exceptions
#include <toml++/toml.h>

#include "engine/topic_config.h"

namespace millstream::tools {

namespace {

// Reads the keys of one table into `out`, refusing keys it does not know: a
// misspelt key in a user's copy must not be ignored in silence.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string where) : table_(table), where_(std::move(where)) {}

  template <typename T>
  void Get(const char* key, T& out) {
    known_.insert(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr || !status_.ok()) return;
    if constexpr (std::is_same_v<T, double>) {
      std::optional<double> v = node->value<double>();
      if (!v) return Fail(key, "a number");
      out = *v;
    } else if constexpr (std::is_same_v<T, int>) {
      std::optional<int64_t> v = node->value<int64_t>();
      if (!v) return Fail(key, "an integer");
      out = static_cast<int>(*v);
    } else {
      std::optional<std::string> v = node->value<std::string>();
      if (!v) return Fail(key, "a string");
      out = *v;
    }
  }
  void GetStrings(const char* key, std::vector<std::string>& out) {
    known_.insert(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr || !status_.ok()) return;
    const toml::array* list = node->as_array();
    if (list == nullptr) return Fail(key, "an array of strings");
    for (const toml::node& item : *list) {
      std::optional<std::string> v = item.value<std::string>();
      if (!v) return Fail(key, "an array of strings");
      out.push_back(*v);
    }
  }
  void GetRange(const char* key, int& low, int& high) {
    known_.insert(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr || !status_.ok()) return;
    const toml::array* list = node->as_array();
    if (list == nullptr || list->size() != 2 || !(*list)[0].value<int64_t>() || !(*list)[1].value<int64_t>()) {
      return Fail(key, "[min, max]");
    }
    low = static_cast<int>(*(*list)[0].value<int64_t>());
    high = static_cast<int>(*(*list)[1].value<int64_t>());
  }
  void Check(bool ok, const std::string& what) {
    if (!ok && status_.ok()) status_ = InvalidArgument(where_ + ": " + what);
  }
  Status Finish(std::initializer_list<const char*> also_known = {}) {
    for (const char* k : also_known) known_.insert(k);
    for (const auto& [key, value] : table_) {
      if (!known_.contains(std::string(key.str()))) Check(false, "unknown key " + std::string(key.str()));
    }
    return status_;
  }

 private:
  void Fail(const char* key, const char* type) { Check(false, std::string(key) + " must be " + type); }
  const toml::table& table_;
  std::string where_;
  std::set<std::string> known_;
  Status status_;
};

// The tables of the array `key` of `root` (empty when missing).
Result<std::vector<const toml::table*>> Tables(const toml::table& root, const char* key) {
  std::vector<const toml::table*> out;
  const toml::node* node = root.get(key);
  if (node == nullptr) return out;
  const toml::array* list = node->as_array();
  if (list == nullptr) return InvalidArgument(std::string(key) + " must be an array of tables ([[" + key + "]])");
  for (const toml::node& item : *list) {
    if (!item.is_table()) return InvalidArgument(std::string(key) + " must be an array of tables");
    out.push_back(item.as_table());
  }
  return out;
}

Status Read(const toml::table& root, BurstScenario& s) {
  TableReader top(root, "scenario");
  top.Get("name", s.name);
  top.Get("duration_s", s.duration_s);
  top.Get("probe_s", s.probe_s);
  top.Check(s.duration_s > 0 && s.probe_s > 0, "duration_s and probe_s must be positive");
  RETURN_IF_ERROR(top.Finish({"phases", "streams", "consumers"}));

  ASSIGN_OR_RETURN(std::vector<const toml::table*> phases, Tables(root, "phases"));
  for (const toml::table* t : phases) {
    BurstPhase p;
    std::string level = "steady";
    TableReader r(*t, "phase " + std::to_string(s.phases.size() + 1));
    r.Get("name", p.name);
    r.Get("until", p.until);
    r.Get("level", level);
    r.Get("storm_connections", p.storm_connections);
    r.Check(level == "steady" || level == "surge", "level must be steady or surge");
    r.Check(p.until > (s.phases.empty() ? 0 : s.phases.back().until) && p.until <= 1,
            "until must grow and end at 1 at most");
    r.Check(p.storm_connections >= 0 && p.storm_connections <= 100000, "storm_connections must be 0 to 100000");
    RETURN_IF_ERROR(r.Finish());
    p.surge = level == "surge";
    s.phases.push_back(p);
  }
  if (s.phases.empty() || s.phases.back().until != 1) return InvalidArgument("the last phase must end at until = 1");

  std::set<std::string> written;
  ASSIGN_OR_RETURN(std::vector<const toml::table*> streams, Tables(root, "streams"));
  for (const toml::table* t : streams) {
    BurstStream st;
    TableReader r(*t, "stream " + std::to_string(s.streams.size() + 1));
    r.Get("source", st.source);
    r.Get("topic", st.topic);
    r.Get("class", st.priority_class);
    r.Get("partitions", st.partitions);
    r.GetRange("record_bytes", st.min_bytes, st.max_bytes);
    r.Get("key", st.key);
    r.Get("keys", st.keys);
    r.Get("steady", st.steady);
    r.Get("surge", st.surge);
    r.Get("producers", st.producers);
    r.Check(!st.source.empty() && !st.topic.empty(), "source and topic are required");
    r.Check(engine::ParsePriorityClass(st.priority_class).ok(), "class must be critical, standard or bulk");
    r.Check(st.partitions >= 1 && st.partitions <= 1000, "partitions must be 1 to 1000");
    r.Check(st.min_bytes >= 100 && st.max_bytes >= st.min_bytes && st.max_bytes <= (1 << 20),
            "record_bytes must be [min, max] with 100 <= min <= max <= 1048576");
    r.Check(st.keys >= 1, "keys must be at least 1");
    r.Check(st.producers >= 1 && st.producers <= 64, "producers must be 1 to 64");
    r.Check(st.steady >= 0 && st.surge >= 0, "steady and surge must not be negative");
    r.Check(!written.contains(st.topic), "topic " + st.topic + " is written by two streams");
    RETURN_IF_ERROR(r.Finish());
    written.insert(st.topic);
    s.streams.push_back(st);
  }
  if (s.streams.empty()) return InvalidArgument("a scenario needs at least one [[streams]]");

  ASSIGN_OR_RETURN(std::vector<const toml::table*> consumers, Tables(root, "consumers"));
  for (const toml::table* t : consumers) {
    BurstConsumer c;
    TableReader r(*t, "consumer " + std::to_string(s.consumers.size() + 1));
    r.Get("group", c.group);
    r.GetStrings("topics", c.topics);
    r.Check(!c.group.empty() && !c.topics.empty(), "group and topics are required");
    for (const std::string& topic : c.topics) r.Check(written.contains(topic), "no stream writes topic " + topic);
    RETURN_IF_ERROR(r.Finish());
    s.consumers.push_back(c);
  }
  return Status::Ok();
}

}  // namespace

const BurstPhase& BurstScenario::PhaseAt(double fraction) const {
  for (const BurstPhase& p : phases) {
    if (fraction < p.until) return p;
  }
  return phases.back();
}

Result<BurstScenario> LoadBurstScenario(const std::string& name_or_path, const std::string& scenario_dir) {
  std::string path = name_or_path;
  if (!std::filesystem::exists(path)) path = scenario_dir + "/" + name_or_path + ".toml";
  if (!std::filesystem::exists(path)) {
    return NotFound("no scenario " + name_or_path + " (neither a file nor " + path + ")");
  }
  toml::parse_result parsed = toml::parse_file(path);
  if (!parsed) {
    return InvalidArgument(path + ": " + std::string(parsed.error().description()) + " at line " +
                           std::to_string(parsed.error().source().begin.line));
  }
  BurstScenario scenario;
  Status read = Read(parsed.table(), scenario);
  if (!read.ok()) return InvalidArgument(path + ": " + read.message());
  if (scenario.name.empty()) scenario.name = std::filesystem::path(path).stem().string();
  return scenario;
}

}  // namespace millstream::tools
