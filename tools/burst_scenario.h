// BurstScenario: what `millstream bench burst` replays, read from a TOML file in
// bench/scenarios/ (month-end, asn-surge, plant-startup, or a user's copy):
// the phases of the timeline, the streams (one source system's records to one
// topic, with a priority class, sizes, keys and rates relative to the measured
// capacity) and the consumer groups. bench/README.md documents the format.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace millstream::tools {

struct BurstPhase {
  std::string name;
  double until = 1;          // end, as a fraction of the run's duration
  bool surge = false;        // streams run at their `surge` rate (else `steady`)
  int storm_connections = 0;  // raw Kafka connections opened when the phase starts
};

struct BurstStream {
  std::string source;  // the producing system: one producer per source and class
  std::string topic;
  std::string priority_class = "standard";  // critical, standard or bulk
  int partitions = 6;
  int min_bytes = 500;
  int max_bytes = 1000;
  std::string key = "order";  // what records are keyed by: "order-123"
  int keys = 1000;
  double steady = 0;  // fraction of the capacity (bytes per second)
  double surge = 0;
  int producers = 1;  // instances of the source system, each with its own connection, sharing the rate
};

struct BurstConsumer {
  std::string group;
  std::vector<std::string> topics;
};

struct BurstScenario {
  std::string name;
  double duration_s = 60;
  double probe_s = 8;
  std::vector<BurstPhase> phases;
  std::vector<BurstStream> streams;
  std::vector<BurstConsumer> consumers;

  // The phase at `fraction` of the run (0 to 1).
  const BurstPhase& PhaseAt(double fraction) const;
};

// `name_or_path`: a TOML file, or the name of one in `scenario_dir`
// ("month-end" → scenario_dir/month-end.toml). InvalidArgument names the
// problem (unknown key, wrong type, a consumer of a topic no stream writes).
Result<BurstScenario> LoadBurstScenario(const std::string& name_or_path, const std::string& scenario_dir);

}  // namespace millstream::tools
