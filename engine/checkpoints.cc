#include "engine/checkpoints.h"

#include <algorithm>
#include <mutex>
#include <tuple>

#include "base/clock.h"

namespace millstream::engine {

namespace {

// Every group's committed offsets, read on shard 0 (the coordinator hops to each
// group's shard). Taken right after the cut, not inside it: commits are not
// appends to the partitions the cut is about.
Task<std::vector<CutGroupOffset>> GroupOffsetsHere(Broker* broker, Shard* shard) {
  std::vector<CutGroupOffset> out;
  std::vector<GroupListing> groups = co_await broker->groups().List(*shard);
  for (const GroupListing& g : groups) {
    GroupOffsets offsets = co_await broker->groups().FetchOffsets(*shard, g.group_id);
    for (const auto& [tp, committed] : offsets) {
      out.push_back({g.group_id, tp.topic, tp.partition, committed.offset});
    }
  }
  std::sort(out.begin(), out.end(), [](const CutGroupOffset& a, const CutGroupOffset& b) {
    return std::tie(a.group, a.topic, a.partition) < std::tie(b.group, b.topic, b.partition);
  });
  co_return out;
}

std::mutex& ChangeMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

Result<Checkpoint> CreateCheckpoint(Broker& broker, const CheckpointRequest& request) {
  RETURN_IF_ERROR(ValidateCheckpointName(request.name));
  // One creation or release at a time: the name check and the save must not
  // interleave with another's (they are rare, and a cut is one at a time anyway).
  std::lock_guard<std::mutex> one_at_a_time(ChangeMutex());
  if (broker.checkpoints().Find(request.name)) return Busy("checkpoint " + request.name + " exists");
  Checkpoint checkpoint;
  checkpoint.name = request.name;
  checkpoint.note = request.note;
  checkpoint.pinned = request.pin;
  checkpoint.created_ms = SystemClock::Instance().Now().value();
  // A pin must hold from the moment of the cut, not from when it is stored: until
  // then retention keeps everything.
  struct Hold {
    CheckpointStore& store;
    bool on;
    Hold(CheckpointStore& s, bool pin) : store(s), on(pin) {
      if (on) store.HoldEverything(true);
    }
    ~Hold() {
      if (on) store.HoldEverything(false);
    }
  } hold(broker.checkpoints(), request.pin);
  ASSIGN_OR_RETURN(checkpoint.partitions, broker.TakeCut(request.topics));
  Broker* b = &broker;
  std::function<Task<std::vector<CutGroupOffset>>(Shard&)> read = [b](Shard& shard) {
    return GroupOffsetsHere(b, &shard);
  };
  std::optional<std::vector<CutGroupOffset>> groups = CallOnShard(broker.shard(0), std::move(read));
  if (!groups) return ShuttingDown("the broker is stopping");
  checkpoint.groups = std::move(*groups);
  RETURN_IF_ERROR(broker.checkpoints().Save(checkpoint));
  return checkpoint;
}

Status DeleteCheckpoint(Broker& broker, const std::string& name) {
  std::lock_guard<std::mutex> one_at_a_time(ChangeMutex());
  return broker.checkpoints().Remove(name);
}

Result<Checkpoint> ReleaseCheckpoint(Broker& broker, const std::string& name) {
  std::lock_guard<std::mutex> one_at_a_time(ChangeMutex());
  std::optional<Checkpoint> checkpoint = broker.checkpoints().Find(name);
  if (!checkpoint) return NotFound("no checkpoint " + name);
  checkpoint->pinned = false;
  RETURN_IF_ERROR(broker.checkpoints().Save(*checkpoint));
  return *checkpoint;
}

}  // namespace millstream::engine
