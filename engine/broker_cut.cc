// Broker::TakeCut: the consistent cut behind checkpoints (docs/checkpoints.md,
// "The consistency guarantee").
//
// Every shard is handed one task that records the appended end of each of its
// partitions and then holds the shard's thread until every shard has recorded.
// A shard that has recorded appends nothing more until all have, so for any two
// partitions the cut of one never holds a record appended after a record outside
// the cut of the other: the cut is a prefix of the global append order, and an
// append that finished before the call began is inside. The hold lasts as long as
// the slowest shard takes to reach its task (it waits behind the work already in
// its inbox). Then the call waits, on each shard, until everything below the cut
// is durable: the cut never names a record a crash could take back.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <tuple>

#include "engine/broker.h"

namespace millstream::engine {

namespace {

// Holds every shard at once: each arrives, then waits until all have arrived.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  size_t arrived = 0;
  bool open = false;
};

struct Marked {
  CutPartition cut;
  std::optional<storage::AppendInfo> end;  // what must be durable
  storage::PartitionLog* log = nullptr;
};

Task<Status> AwaitDurable(std::vector<Marked*> marks) {
  for (Marked* m : marks) {
    if (m->end) CO_RETURN_IF_ERROR(co_await m->log->WaitDurable(*m->end));
  }
  co_return Status::Ok();
}

}  // namespace

Result<std::vector<CutPartition>> Broker::TakeCut(const std::vector<std::string>& topics) {
  for (const auto& shard : shards_) MS_CHECK(!shard->IsCurrent()) << "TakeCut blocks the shards: call it from outside";
  std::vector<std::shared_ptr<Topic>> chosen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (topics.empty()) {
      for (const auto& [name, topic] : topics_) chosen.push_back(topic);
    } else {
      for (const std::string& name : topics) {
        auto it = topics_.find(name);
        if (it == topics_.end()) return NotFound("no topic " + name);
        chosen.push_back(it->second);
      }
    }
  }
  // One slot per partition, each filled by the shard that owns it.
  std::vector<std::vector<Marked>> per_shard(shards_.size());
  for (const std::shared_ptr<Topic>& topic : chosen) {
    for (size_t i = 0; i < topic->partitions.size(); ++i) {
      Partition& p = *topic->partitions[i];
      if (!p.log) continue;  // still being created: nothing appended yet
      Marked m;
      m.cut.topic = topic->name;
      m.cut.partition = static_cast<int32_t>(i);
      m.log = p.log.get();
      per_shard[p.shard].push_back(std::move(m));
    }
  }
  // One cut at a time: two cuts whose tasks reached the shards in different
  // orders would each hold a shard the other waits for.
  std::lock_guard<std::mutex> one_at_a_time(cut_mu_);
  auto gate = std::make_shared<Gate>();
  size_t posted = 0;
  for (size_t s = 0; s < shards_.size(); ++s) {
    std::vector<Marked>* marks = &per_shard[s];
    bool ok = shards_[s]->Post([gate, marks] {
      for (Marked& m : *marks) {
        m.cut.log_start = m.log->log_start_offset().value();
        m.cut.end = m.log->next_offset().value();
        m.cut.newest_timestamp_ms = m.log->newest_timestamp().value();
        m.end = m.log->AppendedEnd();
      }
      std::unique_lock<std::mutex> lock(gate->mu);
      ++gate->arrived;
      gate->cv.notify_all();
      gate->cv.wait(lock, [&] { return gate->open; });
    });
    if (!ok) break;
    ++posted;
  }
  {
    // Wait for every task posted, also when a shard refused one (it is stopping):
    // the tasks write into `per_shard`, which must outlive them.
    std::unique_lock<std::mutex> lock(gate->mu);
    gate->cv.wait(lock, [&] { return gate->arrived == posted; });
    gate->open = true;
  }
  gate->cv.notify_all();
  if (posted < shards_.size()) return ShuttingDown("the broker is stopping");

  for (size_t s = 0; s < shards_.size(); ++s) {
    std::vector<Marked*> marks;
    for (Marked& m : per_shard[s]) marks.push_back(&m);
    if (marks.empty()) continue;
    std::function<Task<Status>(Shard&)> wait = [marks](Shard&) { return AwaitDurable(marks); };
    std::optional<Status> durable = CallOnShard(*shards_[s], std::move(wait));
    if (!durable) return ShuttingDown("the broker is stopping");
    RETURN_IF_ERROR(*durable);
  }
  std::vector<CutPartition> out;
  for (auto& marks : per_shard) {
    for (Marked& m : marks) out.push_back(std::move(m.cut));
  }
  std::sort(out.begin(), out.end(),
            [](const CutPartition& a, const CutPartition& b) { return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition); });
  return out;
}

}  // namespace millstream::engine
