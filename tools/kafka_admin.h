// Topic administration through librdkafka's admin API, shared by the `topic` and
// `bench` verbs: an admin client that never auto-creates what it asks about, the
// wait for an admin result, and CreateTopics/DeleteTopics for one topic. Runs on
// the caller's thread; each call blocks until the broker answers or the timeout.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tools/kafka_client_config.h"

namespace millstream::tools {

// Admin requests and metadata look-ups go through a producer handle, as in
// librdkafka's examples. It never creates a topic it only asks about.
Result<RdPtr<rd_kafka_t>> NewAdminClient(const ClientOptions& options);

// Options for one admin request of kind `op` that times out after `timeout_ms`.
Result<RdPtr<rd_kafka_AdminOptions_t>> NewAdminOptions(rd_kafka_t* client, rd_kafka_admin_op_t op,
                                                       int timeout_ms);

// Waits for the one result event of an admin request sent with `queue`; the
// event's own error becomes the Status (named `what`).
Result<RdPtr<rd_kafka_event_t>> AwaitResult(rd_kafka_queue_t* queue, int timeout_ms,
                                            std::string_view what);

// Runs one admin request of kind `op`: `send(options, queue)` issues it (for
// example rd_kafka_CreateTopics(..., options, queue)); returns its result event.
template <typename Send>
Result<RdPtr<rd_kafka_event_t>> AdminCall(rd_kafka_t* client, rd_kafka_admin_op_t op, int timeout_ms,
                                          std::string_view what, Send send) {
  ASSIGN_OR_RETURN(RdPtr<rd_kafka_AdminOptions_t> options, NewAdminOptions(client, op, timeout_ms));
  RdPtr<rd_kafka_queue_t> queue(rd_kafka_queue_new(client));
  send(options.get(), queue.get());
  return AwaitResult(queue.get(), timeout_ms, what);
}

// Creates `name` with `partitions` partitions, replication factor 1 and the
// KEY=VALUE `configs`. InvalidArgument for an existing topic or a refused setting
// (with the broker's message), IoError when the broker cannot be reached.
Status CreateTopic(const ClientOptions& options, const std::string& name, int partitions,
                   const std::vector<std::string>& configs);

// Deletes `name` and its data. NotFound for an unknown topic.
Status DeleteTopic(const ClientOptions& options, const std::string& name);

}  // namespace millstream::tools
