// ConnectionAdmission: the limits on Kafka connections that keep a connection
// storm (a plant start-up opening thousands) from starving the clients already
// connected: at most `max_total` open at once, and at most `max_per_address`
// from one IP address (Kafka's max.connections and max.connections.per.ip). A
// connection over a limit is closed as soon as it is accepted, with a log line
// at most once a second per shard and a count in /metrics; established
// connections are not touched.
//
// Thread-safe: the accept loops of every shard admit and release through one
// mutex (accepting is not the data path).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace millstream::net {

struct AdmissionLimits {
  int max_total = 10000;
  int max_per_address = 1000;
};

class ConnectionAdmission {
 public:
  explicit ConnectionAdmission(AdmissionLimits limits) : limits_(limits) {}

  // Counts a connection from `address` (IPv4, network order) in, or says why not.
  std::optional<std::string> Admit(uint32_t address) {
    std::lock_guard<std::mutex> lock(mu_);
    if (total_ >= limits_.max_total) {
      return "the broker has " + std::to_string(total_) + " connections (--max-connections " +
             std::to_string(limits_.max_total) + ")";
    }
    int& mine = per_address_[address];
    if (mine >= limits_.max_per_address) {
      return "this address has " + std::to_string(mine) + " connections (--max-connections-per-ip " +
             std::to_string(limits_.max_per_address) + ")";
    }
    ++mine;
    ++total_;
    return std::nullopt;
  }

  // A connection Admit counted in has ended.
  void Release(uint32_t address) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = per_address_.find(address);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
    --total_;
  }

 private:
  const AdmissionLimits limits_;
  std::mutex mu_;
  std::unordered_map<uint32_t, int> per_address_;  // guarded by mu_
  int total_ = 0;                                  // guarded by mu_
};

}  // namespace millstream::net
