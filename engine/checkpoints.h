// Making and changing named checkpoints (docs/checkpoints.md): a cut of the
// partitions (Broker::TakeCut), every group's committed offsets, stored durably
// by the broker's CheckpointStore. Blocking calls, from a thread that is not a
// shard (the HTTP workers).
#pragma once

#include <string>
#include <vector>

#include "engine/broker.h"

namespace millstream::engine {

struct CheckpointRequest {
  std::string name;
  std::vector<std::string> topics;  // empty: every topic
  bool pin = false;
  std::string note;
};

// InvalidArgument (bad name), Busy (the name exists), NotFound (an unknown
// topic), ShuttingDown, or the log's or file system's error.
Result<Checkpoint> CreateCheckpoint(Broker& broker, const CheckpointRequest& request);
// Removes it (and its pin) durably. NotFound when there is no such checkpoint.
Status DeleteCheckpoint(Broker& broker, const std::string& name);
// Lifts the pin (durably). NotFound when there is no such checkpoint.
Result<Checkpoint> ReleaseCheckpoint(Broker& broker, const std::string& name);

}  // namespace millstream::engine
