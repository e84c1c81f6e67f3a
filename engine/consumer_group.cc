#include "engine/consumer_group.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

namespace millstream::engine {

const char* GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty: return "Empty";
    case GroupState::kPreparingRebalance: return "PreparingRebalance";
    case GroupState::kCompletingRebalance: return "CompletingRebalance";
    case GroupState::kStable: return "Stable";
    case GroupState::kDead: return "Dead";
  }
  return "Unknown";
}

// A call parked until the phase it waits for ends: the result is set once, and
// the waiting coroutine (if it already waits) resumes on the next loop turn.
// Awaited through Wait(), a pointer-sized awaiter: GCC 12 awaits a copy of an
// awaitable reached through a smart pointer, which would never be answered.
template <typename T>
struct ConsumerGroup::Parked {
  EventLoop* loop = nullptr;
  std::optional<T> result;
  std::coroutine_handle<> waiter;

  Parked() = default;
  Parked(const Parked&) = delete;
  Parked& operator=(const Parked&) = delete;

  auto Wait() {
    struct Awaiter {
      Parked* parked;
      bool await_ready() const noexcept { return parked->result.has_value(); }
      void await_suspend(std::coroutine_handle<> h) const { parked->waiter = h; }
      T await_resume() const { return std::move(*parked->result); }
    };
    return Awaiter{this};
  }
  void Answer(T value) {
    if (result) return;  // answered already (a second answer would be a bug's echo)
    result = std::move(value);
    if (waiter) loop->Post(waiter);
  }
};

struct ConsumerGroup::Member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<std::pair<std::string, std::vector<std::byte>>> protocols;
  std::vector<std::byte> assignment;
  int64_t last_seen_ms = 0;
  std::shared_ptr<Parked<JoinResult>> join;  // while its JoinGroup waits
  std::shared_ptr<Parked<SyncResult>> sync;  // while its SyncGroup waits

  // What a JoinGroup tells about the member (not its ids).
  void TakeJoin(JoinRequest request, int64_t now_ms) {
    client_id = std::move(request.client_id);
    client_host = std::move(request.client_host);
    session_timeout_ms = request.session_timeout_ms;
    rebalance_timeout_ms = request.rebalance_timeout_ms;
    protocol_type = std::move(request.protocol_type);
    protocols = std::move(request.protocols);
    last_seen_ms = now_ms;
  }

  const std::vector<std::byte>* MetadataFor(const std::string& protocol) const {
    for (const auto& [name, metadata] : protocols) {
      if (name == protocol) return &metadata;
    }
    return nullptr;
  }
};

ConsumerGroup::ConsumerGroup(std::string id, EventLoop& loop, const Clock& clock, GroupLimits limits)
    : id_(std::move(id)), loop_(loop), clock_(clock), limits_(limits) {}

ConsumerGroup::~ConsumerGroup() { Shutdown(); }

ConsumerGroup::Member* ConsumerGroup::FindMember(const std::string& member_id) const {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : it->second.get();
}

std::string ConsumerGroup::NewMemberId(const std::string& client_id) {
  // Random, so that ids from before a restart never come back.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof(suffix), "%016llx", static_cast<unsigned long long>(rng()));
  return (client_id.empty() ? std::string("member") : client_id) + "-" +
         std::to_string(++next_member_) + "-" + suffix;
}

Task<JoinResult> ConsumerGroup::Join(JoinRequest request) {
  JoinResult refused;
  refused.member_id = request.member_id;
  if (state_ == GroupState::kDead) {
    refused.error = GroupError::kUnknownMemberId;
    co_return refused;
  }
  if (request.session_timeout_ms < limits_.min_session_timeout_ms ||
      request.session_timeout_ms > limits_.max_session_timeout_ms) {
    refused.error = GroupError::kInvalidSessionTimeout;
    co_return refused;
  }
  // A protocol every member (this one included) supports must exist.
  bool compatible = !request.protocols.empty() && !request.protocol_type.empty() &&
                    (members_.empty() || request.protocol_type == protocol_type_);
  if (compatible && !members_.empty()) {
    compatible = std::any_of(request.protocols.begin(), request.protocols.end(), [this](const auto& p) {
      return std::all_of(members_.begin(), members_.end(), [&p](const auto& m) {
        return m.second->MetadataFor(p.first) != nullptr;
      });
    });
  }
  if (!compatible) {
    refused.error = GroupError::kInconsistentGroupProtocol;
    co_return refused;
  }

  Member* member = nullptr;
  if (request.group_instance_id) {
    auto known = static_members_.find(*request.group_instance_id);
    if (known != static_members_.end() && members_.count(known->second) == 0) {
      static_members_.erase(known);  // a mapping that outlived its member: forget it
      known = static_members_.end();
    }
    if (known != static_members_.end() && !request.member_id.empty() &&
        request.member_id != known->second) {
      refused.error = GroupError::kFencedInstanceId;
      co_return refused;
    }
    if (known != static_members_.end() && request.member_id.empty()) {
      // A static member that restarted takes its old place under a new id; the
      // old id is fenced from here on.
      std::unique_ptr<Member> moved = std::move(members_[known->second]);
      members_.erase(known->second);
      if (moved->join) moved->join->Answer({.error = GroupError::kFencedInstanceId});
      if (moved->sync) moved->sync->Answer({.error = GroupError::kFencedInstanceId});
      moved->join.reset();
      moved->sync.reset();
      moved->id = NewMemberId(request.client_id);
      if (leader_ == known->second) leader_ = moved->id;
      known->second = moved->id;
      member = moved.get();
      members_[moved->id] = std::move(moved);
      // KIP-345: back in a stable group and still speaking its protocol, it keeps
      // its assignment and the generation goes on; nobody else rebalances. (Its
      // subscription bytes may differ: a restarted client owns nothing yet.)
      bool speaks = std::any_of(request.protocols.begin(), request.protocols.end(),
                                [this](const auto& p) { return p.first == protocol_name_; });
      if (state_ == GroupState::kStable && member->protocol_type == request.protocol_type && speaks) {
        member->TakeJoin(std::move(request), NowMs());
        JoinResult result{.generation = generation_,
                          .protocol_name = protocol_name_,
                          .leader = leader_,
                          .member_id = member->id};
        if (member->id == leader_) result.members = JoinedMembers();
        co_return result;
      }
    }
  }
  if (member == nullptr && !request.member_id.empty()) {
    member = FindMember(request.member_id);
    if (member == nullptr) member = AdmitPending(request.member_id);
    if (member == nullptr) {
      refused.error = GroupError::kUnknownMemberId;
      co_return refused;
    }
  }
  if (member == nullptr) {
    std::string id = NewMemberId(request.client_id);
    if (request.require_known_member_id && !request.group_instance_id) {
      // KIP-394: the client asks again with this id; until then it is not a member.
      pending_member_ids_[id] = NowMs() + request.session_timeout_ms;
      refused.error = GroupError::kMemberIdRequired;
      refused.member_id = id;
      co_return refused;
    }
    auto fresh = std::make_unique<Member>();
    fresh->id = id;
    member = fresh.get();
    members_[id] = std::move(fresh);
  }
  if (member->instance_id && member->instance_id != request.group_instance_id) {
    static_members_.erase(*member->instance_id);  // it rejoined under another instance id
  }
  member->instance_id = request.group_instance_id;
  if (member->instance_id) static_members_[*member->instance_id] = member->id;
  member->TakeJoin(std::move(request), NowMs());
  if (members_.size() == 1) protocol_type_ = member->protocol_type;
  // A second join of the same member replaces the first, which learns nothing new.
  if (member->join) member->join->Answer({.error = GroupError::kRebalanceInProgress, .member_id = member->id});
  auto parked = std::make_shared<Parked<JoinResult>>();
  parked->loop = &loop_;
  member->join = parked;
  if (state_ != GroupState::kPreparingRebalance) PrepareRebalance();
  MaybeCompleteJoin(/*force=*/false);
  auto wait = parked->Wait();
  JoinResult result = co_await wait;
  co_return result;
}

// A join with a member id the broker handed out with MEMBER_ID_REQUIRED is not
// yet in members_: Join looks it up here first.
ConsumerGroup::Member* ConsumerGroup::AdmitPending(const std::string& member_id) {
  auto it = pending_member_ids_.find(member_id);
  if (it == pending_member_ids_.end()) return nullptr;
  pending_member_ids_.erase(it);
  auto fresh = std::make_unique<Member>();
  fresh->id = member_id;
  Member* raw = fresh.get();
  members_[member_id] = std::move(fresh);
  return raw;
}

void ConsumerGroup::PrepareRebalance() {
  bool was_empty = state_ == GroupState::kEmpty;
  for (auto& [id, member] : members_) {
    if (member->sync) {
      member->sync->Answer({.error = GroupError::kRebalanceInProgress});
      member->sync.reset();
    }
  }
  state_ = GroupState::kPreparingRebalance;
  int32_t timeout = 0;
  for (const auto& [id, member] : members_) timeout = std::max(timeout, member->rebalance_timeout_ms);
  int64_t now = NowMs();
  join_deadline_ms_ = now + timeout;
  // A group that was empty waits a moment for the members that start with this one.
  earliest_completion_ms_ = was_empty ? now + limits_.initial_rebalance_delay_ms : now;
}

void ConsumerGroup::MaybeCompleteJoin(bool force) {
  if (state_ != GroupState::kPreparingRebalance) return;
  bool all_joined = std::all_of(members_.begin(), members_.end(),
                                [](const auto& m) { return m.second->join != nullptr; });
  if (!force && (!all_joined || NowMs() < earliest_completion_ms_)) return;
  std::vector<std::string> missing;
  for (const auto& [id, member] : members_) {
    if (!member->join) missing.push_back(id);
  }
  for (const std::string& id : missing) {
    spdlog::info("group {}: member {} did not rejoin in time and is removed", id_, id);
    RemoveMember(id, GroupError::kUnknownMemberId);
  }
  ++generation_;
  if (members_.empty()) {
    state_ = GroupState::kEmpty;
    empty_since_ms_ = NowMs();
    protocol_name_.clear();
    leader_.clear();
    return;
  }
  std::optional<std::string> protocol = ChooseProtocol();
  if (!protocol) {
    // Join checks each member against the others, so this cannot happen; if it
    // does, nobody gets a generation that cannot work.
    for (const auto& [id, member] : members_) {
      member->join->Answer({.error = GroupError::kInconsistentGroupProtocol, .member_id = id});
      member->join.reset();
    }
    members_.clear();
    static_members_.clear();
    state_ = GroupState::kEmpty;
    return;
  }
  protocol_name_ = *protocol;
  if (FindMember(leader_) == nullptr) leader_ = members_.begin()->first;
  state_ = GroupState::kCompletingRebalance;
  std::vector<JoinedMember> everyone = JoinedMembers();
  int64_t now = NowMs();
  for (auto& [id, member] : members_) {
    JoinResult result{.generation = generation_,
                      .protocol_name = protocol_name_,
                      .leader = leader_,
                      .member_id = id};
    if (id == leader_) result.members = everyone;
    member->assignment.clear();
    member->last_seen_ms = now;
    member->join->Answer(std::move(result));
    member->join.reset();
  }
  spdlog::info("group {}: generation {} with {} members, protocol {}, leader {}", id_, generation_,
               members_.size(), protocol_name_, leader_);
}

std::vector<JoinedMember> ConsumerGroup::JoinedMembers() const {
  std::vector<JoinedMember> everyone;
  for (const auto& [id, member] : members_) {
    everyone.push_back({id, member->instance_id, *member->MetadataFor(protocol_name_)});
  }
  return everyone;
}

std::optional<std::string> ConsumerGroup::ChooseProtocol() const {
  // Each member votes for its most preferred protocol that every member
  // supports; the most votes win, ties going to the first candidate.
  std::vector<std::string> candidates;
  const Member& first = *members_.begin()->second;
  for (const auto& [name, metadata] : first.protocols) {
    bool everyone = std::all_of(members_.begin(), members_.end(),
                                [&name](const auto& m) { return m.second->MetadataFor(name) != nullptr; });
    if (everyone) candidates.push_back(name);
  }
  if (candidates.empty()) return std::nullopt;
  std::map<std::string, int> votes;
  for (const auto& [id, member] : members_) {
    for (const auto& [name, metadata] : member->protocols) {
      if (std::find(candidates.begin(), candidates.end(), name) != candidates.end()) {
        ++votes[name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const std::string& name : candidates) {
    if (votes[name] > votes[best]) best = name;
  }
  return best;
}

void ConsumerGroup::RemoveMember(const std::string& member_id, GroupError answer) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  Member& member = *it->second;
  if (member.join) member.join->Answer({.error = answer, .member_id = member_id});
  if (member.sync) member.sync->Answer({.error = answer});
  if (member.instance_id) static_members_.erase(*member.instance_id);
  if (leader_ == member_id) leader_.clear();
  members_.erase(it);
}

void ConsumerGroup::MembersLeft() {
  if (members_.empty() && state_ != GroupState::kPreparingRebalance) {
    state_ = GroupState::kEmpty;
    empty_since_ms_ = NowMs();
    ++generation_;
    protocol_name_.clear();
    return;
  }
  if (state_ == GroupState::kStable || state_ == GroupState::kCompletingRebalance) {
    PrepareRebalance();
  }
  MaybeCompleteJoin(/*force=*/false);
}

Task<SyncResult> ConsumerGroup::Sync(std::string member_id, int32_t generation,
                                     std::optional<std::string> group_instance_id,
                                     std::vector<std::pair<std::string, std::vector<std::byte>>> assignments) {
  Member* member = FindMember(member_id);
  GroupError error = CheckMember(member_id, group_instance_id);
  if (error == GroupError::kNone && generation != generation_) error = GroupError::kIllegalGeneration;
  if (error == GroupError::kNone && state_ == GroupState::kPreparingRebalance) {
    error = GroupError::kRebalanceInProgress;
  }
  if (error != GroupError::kNone) co_return SyncResult{.error = error};
  member->last_seen_ms = NowMs();
  if (state_ == GroupState::kStable) co_return SyncResult{.assignment = member->assignment};
  // CompletingRebalance: the leader's assignments end the phase.
  auto parked = std::make_shared<Parked<SyncResult>>();
  parked->loop = &loop_;
  if (member->sync) member->sync->Answer({.error = GroupError::kRebalanceInProgress});
  member->sync = parked;
  if (member_id == leader_) {
    for (auto& [id, bytes] : assignments) {
      if (Member* target = FindMember(id)) target->assignment = std::move(bytes);
    }
    state_ = GroupState::kStable;
    for (auto& [id, m] : members_) {
      if (m->sync) {
        m->sync->Answer({.assignment = m->assignment});
        m->sync.reset();
      }
    }
  }
  auto wait = parked->Wait();
  SyncResult result = co_await wait;
  co_return result;
}

GroupError ConsumerGroup::CheckMember(const std::string& member_id,
                                      const std::optional<std::string>& group_instance_id) const {
  if (group_instance_id) {
    auto known = static_members_.find(*group_instance_id);
    if (known != static_members_.end() && known->second != member_id) return GroupError::kFencedInstanceId;
  }
  if (state_ == GroupState::kDead || FindMember(member_id) == nullptr) return GroupError::kUnknownMemberId;
  return GroupError::kNone;
}

GroupError ConsumerGroup::Heartbeat(const std::string& member_id, int32_t generation,
                                    const std::optional<std::string>& group_instance_id) {
  if (GroupError error = CheckMember(member_id, group_instance_id); error != GroupError::kNone) {
    return error;
  }
  Member* member = FindMember(member_id);
  member->last_seen_ms = NowMs();
  // During a join phase the answer tells the member to rejoin.
  if (state_ == GroupState::kPreparingRebalance) return GroupError::kRebalanceInProgress;
  if (generation != generation_) return GroupError::kIllegalGeneration;
  return GroupError::kNone;
}

GroupError ConsumerGroup::Leave(const std::string& member_id,
                                const std::optional<std::string>& group_instance_id) {
  std::string id = member_id;
  if (id.empty() && group_instance_id) {
    auto known = static_members_.find(*group_instance_id);
    if (known == static_members_.end()) return GroupError::kUnknownMemberId;
    id = known->second;
  }
  if (GroupError error = CheckMember(id, group_instance_id); error != GroupError::kNone) return error;
  spdlog::info("group {}: member {} left", id_, id);
  RemoveMember(id, GroupError::kUnknownMemberId);
  MembersLeft();
  return GroupError::kNone;
}

GroupError ConsumerGroup::CheckCommit(const std::string& member_id, int32_t generation) const {
  if (state_ == GroupState::kDead) return GroupError::kUnknownMemberId;
  // A commit from outside the group (manual assignment) while nobody is in it.
  if (generation < 0 && member_id.empty() && members_.empty()) return GroupError::kNone;
  if (state_ == GroupState::kCompletingRebalance) return GroupError::kRebalanceInProgress;
  if (FindMember(member_id) == nullptr) return GroupError::kUnknownMemberId;
  if (generation != generation_) return GroupError::kIllegalGeneration;
  return GroupError::kNone;
}

void ConsumerGroup::Tick() {
  if (state_ == GroupState::kDead) return;
  int64_t now = NowMs();
  std::erase_if(pending_member_ids_, [now](const auto& p) { return p.second <= now; });
  std::vector<std::string> expired;
  for (const auto& [id, member] : members_) {
    // A member parked in JoinGroup or SyncGroup is waiting for the others, not
    // silent (Kafka keeps such members alive too).
    if (!member->join && !member->sync && now - member->last_seen_ms > member->session_timeout_ms) {
      expired.push_back(id);
    }
  }
  for (const std::string& id : expired) {
    spdlog::info("group {}: member {} sent no heartbeat within its session timeout and is removed", id_, id);
    RemoveMember(id, GroupError::kUnknownMemberId);
  }
  if (!expired.empty()) MembersLeft();
  if (state_ == GroupState::kPreparingRebalance) MaybeCompleteJoin(/*force=*/now >= join_deadline_ms_);
}

void ConsumerGroup::Shutdown() {
  std::vector<std::string> ids;
  for (const auto& [id, member] : members_) ids.push_back(id);
  // The members keep their ids and find the coordinator again after a restart.
  for (const std::string& id : ids) RemoveMember(id, GroupError::kNotCoordinator);
  state_ = GroupState::kDead;
}

GroupDescription ConsumerGroup::Describe() const {
  GroupDescription d{state_, protocol_type_, protocol_name_, generation_, {}};
  for (const auto& [id, member] : members_) {
    const std::vector<std::byte>* metadata =
        protocol_name_.empty() ? nullptr : member->MetadataFor(protocol_name_);
    d.members.push_back({id, member->instance_id, member->client_id, member->client_host,
                         metadata != nullptr ? *metadata : std::vector<std::byte>{}, member->assignment});
  }
  return d;
}

}  // namespace millstream::engine
