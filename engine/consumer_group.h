// ConsumerGroup: the membership of one consumer group and Kafka's classic
// rebalance protocol over it (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), as a
// state machine without any wire format (MINIMUM.md section 6, docs/protocol.md):
//
//   Empty --join--> PreparingRebalance --all joined, or the rebalance timeout-->
//   CompletingRebalance --the leader's sync--> Stable --join, leave, expiry-->
//   PreparingRebalance ...;  the last member gone --> Empty.  (Dead: deleted.)
//
// The broker assigns member ids (`<client id>-<n>`); a join from a new member at
// v4+ first gets MEMBER_ID_REQUIRED with its id. A join phase ends when every
// member has rejoined or the largest rebalance timeout has passed (members that
// did not rejoin are removed); a group that was empty waits
// `initial_rebalance_delay_ms` first, so that members starting together land in
// one generation. Every generation bump fences the previous one
// (ILLEGAL_GENERATION). A member whose heartbeats stop for its session timeout is
// removed. Static members (group.instance.id): a join with a known instance id
// takes that member's place under a new member id and fences the old id
// (FENCED_INSTANCE_ID); in a stable group, with the same subscription, it keeps
// its assignment without a rebalance (KIP-345), otherwise the group rebalances.
//
// Join and Sync park the caller until the phase ends; Tick() (called by the
// coordinator's timer) expires sessions and ends join phases that timed out.
// Lifecycle: created by the coordinator on the group's shard; used only there.
// Borrows `loop` and `clock`, which must outlive it.
#pragma once

#include <coroutine>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/event_loop.h"
#include "base/task.h"

namespace millstream::engine {

// What a group operation can refuse; the Kafka layer turns each into its code.
enum class GroupError {
  kNone,
  kUnknownMemberId,          // 25
  kIllegalGeneration,        // 22
  kRebalanceInProgress,      // 27
  kInconsistentGroupProtocol,  // 23
  kMemberIdRequired,         // 79
  kFencedInstanceId,         // 82
  kInvalidSessionTimeout,    // 26
  kNonEmptyGroup,            // 68
  kGroupIdNotFound,          // 69
  kNotCoordinator,           // 16: the coordinator is shutting down; look it up again
};

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };
const char* GroupStateName(GroupState state);  // as Kafka's DescribeGroups spells them

struct GroupLimits {
  int32_t min_session_timeout_ms = 6000;      // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1800000;   // group.max.session.timeout.ms
  int32_t initial_rebalance_delay_ms = 3000;  // group.initial.rebalance.delay.ms
};

struct JoinRequest {
  std::string member_id;  // empty for a new member
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<std::pair<std::string, std::vector<std::byte>>> protocols;  // by preference
  bool require_known_member_id = false;  // JoinGroup v4+
};

struct JoinedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<std::byte> metadata;  // the subscription for the chosen protocol
};

struct JoinResult {
  GroupError error = GroupError::kNone;
  int32_t generation = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<JoinedMember> members;  // for the leader only
};

struct SyncResult {
  GroupError error = GroupError::kNone;
  std::vector<std::byte> assignment;
};

struct MemberDescription {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::vector<std::byte> metadata;
  std::vector<std::byte> assignment;
};

struct GroupDescription {
  GroupState state = GroupState::kEmpty;
  std::string protocol_type;
  std::string protocol_name;
  int32_t generation = 0;
  std::vector<MemberDescription> members;
};

class ConsumerGroup {
 public:
  ConsumerGroup(std::string id, EventLoop& loop, const Clock& clock, GroupLimits limits);
  ~ConsumerGroup();
  ConsumerGroup(const ConsumerGroup&) = delete;
  ConsumerGroup& operator=(const ConsumerGroup&) = delete;

  const std::string& id() const { return id_; }
  GroupState state() const { return state_; }
  int32_t generation() const { return generation_; }
  bool empty() const { return members_.empty(); }
  // Nothing to keep: no members, no member ids handed out and awaited, Empty.
  bool idle() const {
    return members_.empty() && pending_member_ids_.empty() && state_ == GroupState::kEmpty;
  }
  // When the last member left (0 for a group that never had one).
  int64_t empty_since_ms() const { return empty_since_ms_; }

  // JoinGroup: returns when the join phase ends (or at once with an error or
  // MEMBER_ID_REQUIRED).
  Task<JoinResult> Join(JoinRequest request);
  // SyncGroup: the leader's `assignments` (member id -> bytes) end the phase; a
  // follower waits for them.
  Task<SyncResult> Sync(std::string member_id, int32_t generation,
                        std::optional<std::string> group_instance_id,
                        std::vector<std::pair<std::string, std::vector<std::byte>>> assignments);
  GroupError Heartbeat(const std::string& member_id, int32_t generation,
                       const std::optional<std::string>& group_instance_id);
  // LeaveGroup for one member (by member id, or by instance id when member_id is
  // empty).
  GroupError Leave(const std::string& member_id, const std::optional<std::string>& group_instance_id);
  // Whether `member_id` of `generation` may commit offsets now. Generation -1
  // with an empty member id is a commit from outside the group (manual
  // assignment), allowed while the group has no members.
  GroupError CheckCommit(const std::string& member_id, int32_t generation) const;

  // Expires members whose session timed out and ends a join phase whose time is
  // up. The coordinator calls it every few hundred milliseconds.
  void Tick();
  // Ends every parked call (with NOT_COORDINATOR) and marks the group dead.
  void Shutdown();

  GroupDescription Describe() const;

 private:
  struct Member;
  template <typename T>
  struct Parked;

  Member* FindMember(const std::string& member_id) const;
  Member* AdmitPending(const std::string& member_id);
  // UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID when the caller is not this member.
  GroupError CheckMember(const std::string& member_id,
                         const std::optional<std::string>& group_instance_id) const;
  // After members were removed: a new join phase, or Empty when none is left.
  void MembersLeft();
  std::string NewMemberId(const std::string& client_id);
  // Moves to PreparingRebalance (ending parked syncs with REBALANCE_IN_PROGRESS).
  void PrepareRebalance();
  // Ends the join phase when every member has rejoined (or `force`): removes
  // the ones that did not, bumps the generation, picks the protocol and leader
  // and answers every parked join.
  void MaybeCompleteJoin(bool force);
  void RemoveMember(const std::string& member_id, GroupError answer);
  std::optional<std::string> ChooseProtocol() const;
  // Every member with its subscription for the chosen protocol (the leader's list).
  std::vector<JoinedMember> JoinedMembers() const;
  int64_t NowMs() const { return clock_.Now().value(); }

  const std::string id_;
  EventLoop& loop_;
  const Clock& clock_;
  const GroupLimits limits_;
  GroupState state_ = GroupState::kEmpty;
  int32_t generation_ = 0;
  std::string protocol_type_;
  std::string protocol_name_;
  std::string leader_;
  std::map<std::string, std::unique_ptr<Member>> members_;  // by member id
  std::map<std::string, std::string> static_members_;        // instance id -> member id
  std::map<std::string, int64_t> pending_member_ids_;        // MEMBER_ID_REQUIRED ids -> expiry
  int64_t join_deadline_ms_ = 0;        // when the current join phase ends regardless
  int64_t earliest_completion_ms_ = 0;  // not before this (initial rebalance delay)
  int64_t empty_since_ms_ = 0;
  uint64_t next_member_ = 0;
};

}  // namespace millstream::engine
