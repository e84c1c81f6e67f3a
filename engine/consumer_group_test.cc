#include "engine/consumer_group.h"

#include <gtest/gtest.h>

#include <memory>

namespace millstream::engine {
namespace {

std::vector<std::byte> Bytes(std::string_view text) {
  std::vector<std::byte> out(text.size());
  for (size_t i = 0; i < text.size(); ++i) out[i] = static_cast<std::byte>(text[i]);
  return out;
}

// A started call whose result is read once the loop ran it to its end.
template <typename T>
struct Call {
  Task<T> task;
  bool done() const { return task.done(); }
  T result() { return task.TakeResult(); }
};

class ConsumerGroupTest : public ::testing::Test {
 protected:
  ConsumerGroupTest() { group_ = std::make_unique<ConsumerGroup>("plant", *loop_, clock_, limits_); }

  JoinRequest Request(std::string member_id, std::vector<std::string> protocols = {"range"}) {
    JoinRequest r;
    r.member_id = std::move(member_id);
    r.client_id = "wms";
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.protocol_type = "consumer";
    for (const std::string& p : protocols) r.protocols.emplace_back(p, Bytes("sub:" + p));
    return r;
  }
  Call<JoinResult> StartJoin(JoinRequest r) {
    Call<JoinResult> call{group_->Join(std::move(r))};
    call.task.Start();
    Settle();
    return call;
  }
  Call<SyncResult> StartSync(const std::string& member, int32_t generation,
                             std::vector<std::pair<std::string, std::vector<std::byte>>> assignments = {}) {
    Call<SyncResult> call{group_->Sync(member, generation, std::nullopt, std::move(assignments))};
    call.task.Start();
    Settle();
    return call;
  }
  void Settle() {
    while (loop_->RunOnce(/*may_block=*/false)) {
    }
  }
  void Advance(int64_t ms) {
    clock_.Advance(ms);
    group_->Tick();
    Settle();
  }
  // A new member through MEMBER_ID_REQUIRED; returns its id (its join parked).
  std::string NewMemberId() {
    JoinRequest r = Request("");
    r.require_known_member_id = true;
    Call<JoinResult> first = StartJoin(r);
    EXPECT_TRUE(first.done());
    JoinResult refused = first.result();
    EXPECT_EQ(refused.error, GroupError::kMemberIdRequired);
    return refused.member_id;
  }
  // Two members through a join phase, not yet synced: {leader, follower}.
  std::pair<std::string, std::string> JoinTwo() {
    std::string a = NewMemberId();
    std::string b = NewMemberId();
    Call<JoinResult> ja = StartJoin(Request(a));
    Call<JoinResult> jb = StartJoin(Request(b));
    Advance(limits_.initial_rebalance_delay_ms);
    std::string leader = ja.result().leader;
    jb.result();
    return {leader, leader == a ? b : a};
  }
  // Forms generation 1 with `count` members; returns their ids, leader first.
  std::vector<std::string> FormGroup(int count) {
    std::vector<std::string> ids;
    std::vector<Call<JoinResult>> joins;
    for (int i = 0; i < count; ++i) {
      ids.push_back(NewMemberId());
      joins.push_back(StartJoin(Request(ids.back())));
    }
    Advance(limits_.initial_rebalance_delay_ms);
    std::string leader;
    for (auto& join : joins) {
      EXPECT_TRUE(join.done());
      JoinResult r = join.result();
      EXPECT_EQ(r.error, GroupError::kNone);
      leader = r.leader;
    }
    std::vector<Call<SyncResult>> syncs;
    std::vector<std::pair<std::string, std::vector<std::byte>>> plan;
    for (const std::string& id : ids) plan.emplace_back(id, Bytes("for:" + id));
    for (const std::string& id : ids) {
      if (id != leader) syncs.push_back(StartSync(id, group_->generation()));
    }
    syncs.push_back(StartSync(leader, group_->generation(), plan));
    for (auto& sync : syncs) EXPECT_TRUE(sync.done());
    EXPECT_EQ(group_->state(), GroupState::kStable);
    std::erase(ids, leader);
    ids.insert(ids.begin(), leader);
    return ids;
  }

  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  ManualClock clock_;
  GroupLimits limits_{.min_session_timeout_ms = 1000, .max_session_timeout_ms = 60000,
                      .initial_rebalance_delay_ms = 300};
  std::unique_ptr<ConsumerGroup> group_;
};

TEST_F(ConsumerGroupTest, ANewMemberGetsItsIdFirstThenLeadsGenerationOne) {
  std::string id = NewMemberId();
  EXPECT_NE(id.find("wms-"), std::string::npos);
  Call<JoinResult> join = StartJoin(Request(id));
  EXPECT_FALSE(join.done());  // the initial delay of an empty group
  Advance(300);
  ASSERT_TRUE(join.done());
  JoinResult r = join.result();
  EXPECT_EQ(r.error, GroupError::kNone);
  EXPECT_EQ(r.generation, 1);
  EXPECT_EQ(r.leader, id);
  EXPECT_EQ(r.protocol_name, "range");
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].metadata, Bytes("sub:range"));
  EXPECT_EQ(group_->state(), GroupState::kCompletingRebalance);
}

TEST_F(ConsumerGroupTest, MembersStartingTogetherShareOneGenerationAndOnlyTheLeaderSeesTheMembers) {
  std::vector<std::string> ids = {NewMemberId(), NewMemberId(), NewMemberId()};
  std::vector<Call<JoinResult>> joins;
  for (const std::string& id : ids) joins.push_back(StartJoin(Request(id)));
  Advance(300);
  int leaders = 0;
  for (auto& join : joins) {
    ASSERT_TRUE(join.done());
    JoinResult r = join.result();
    EXPECT_EQ(r.generation, 1);
    if (r.member_id == r.leader) {
      ++leaders;
      EXPECT_EQ(r.members.size(), 3u);
    } else {
      EXPECT_TRUE(r.members.empty());
    }
  }
  EXPECT_EQ(leaders, 1);
}

TEST_F(ConsumerGroupTest, TheLeadersSyncHandsEveryMemberItsOwnAssignment) {
  std::vector<std::string> ids = FormGroup(3);
  for (const std::string& id : ids) {
    Call<SyncResult> again = StartSync(id, 1);  // Stable: the stored assignment at once
    ASSERT_TRUE(again.done());
    EXPECT_EQ(again.result().assignment, Bytes("for:" + id));
  }
}

TEST_F(ConsumerGroupTest, HeartbeatsAnswerUnknownIllegalAndRejoinAsTheyShould) {
  std::vector<std::string> ids = FormGroup(2);
  EXPECT_EQ(group_->Heartbeat(ids[0], 1, std::nullopt), GroupError::kNone);
  EXPECT_EQ(group_->Heartbeat("nobody", 1, std::nullopt), GroupError::kUnknownMemberId);
  EXPECT_EQ(group_->Heartbeat(ids[0], 0, std::nullopt), GroupError::kIllegalGeneration);
  Call<JoinResult> rejoin = StartJoin(Request(ids[0]));  // starts a new join phase
  EXPECT_EQ(group_->Heartbeat(ids[1], 1, std::nullopt), GroupError::kRebalanceInProgress);
  Call<JoinResult> second = StartJoin(Request(ids[1]));
  ASSERT_TRUE(rejoin.done());
  ASSERT_TRUE(second.done());
  EXPECT_EQ(rejoin.result().generation, 2);
  EXPECT_EQ(group_->Heartbeat(ids[1], 1, std::nullopt), GroupError::kIllegalGeneration);
}

TEST_F(ConsumerGroupTest, ASilentMemberIsRemovedAfterItsSessionTimeoutAndTheOthersRebalance) {
  std::vector<std::string> ids = FormGroup(2);
  Advance(6000);
  EXPECT_EQ(group_->Heartbeat(ids[0], 1, std::nullopt), GroupError::kNone);  // ids[1] stays silent
  Advance(6000);
  EXPECT_EQ(group_->state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(group_->Heartbeat(ids[1], 1, std::nullopt), GroupError::kUnknownMemberId);
  EXPECT_EQ(group_->Heartbeat(ids[0], 1, std::nullopt), GroupError::kRebalanceInProgress);
  Call<JoinResult> rejoin = StartJoin(Request(ids[0]));
  ASSERT_TRUE(rejoin.done());
  JoinResult r = rejoin.result();
  EXPECT_EQ(r.generation, 2);
  EXPECT_EQ(r.members.size(), 1u);
}

TEST_F(ConsumerGroupTest, AMemberThatDoesNotRejoinWithinTheRebalanceTimeoutIsRemoved) {
  std::vector<std::string> ids = FormGroup(2);
  Call<JoinResult> rejoin = StartJoin(Request(ids[0]));
  EXPECT_FALSE(rejoin.done());
  for (int i = 0; i < 30; ++i) {
    Advance(1000);
    group_->Heartbeat(ids[0], 1, std::nullopt);
  }
  ASSERT_TRUE(rejoin.done());
  EXPECT_EQ(rejoin.result().members.size(), 1u);
  EXPECT_EQ(group_->Heartbeat(ids[1], 1, std::nullopt), GroupError::kUnknownMemberId);
}

TEST_F(ConsumerGroupTest, LeavingRebalancesTheRestAndTheLastLeaveEmptiesTheGroup) {
  std::vector<std::string> ids = FormGroup(2);
  EXPECT_EQ(group_->Leave(ids[1], std::nullopt), GroupError::kNone);
  EXPECT_EQ(group_->state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(group_->Leave(ids[1], std::nullopt), GroupError::kUnknownMemberId);
  EXPECT_EQ(group_->Leave(ids[0], std::nullopt), GroupError::kNone);
  EXPECT_EQ(group_->state(), GroupState::kEmpty);
  EXPECT_TRUE(group_->empty());
}

TEST_F(ConsumerGroupTest, AFollowersSyncWaitsForTheLeaderAndARebalanceEndsIt) {
  auto [leader, follower] = JoinTwo();
  Call<SyncResult> waiting = StartSync(follower, 1);
  EXPECT_FALSE(waiting.done());
  Call<JoinResult> newcomer = StartJoin(Request(NewMemberId()));  // a third member arrives
  ASSERT_TRUE(waiting.done());
  EXPECT_EQ(waiting.result().error, GroupError::kRebalanceInProgress);
}

TEST_F(ConsumerGroupTest, AStaticMemberRestartingTakesItsPlaceAndFencesItsOldId) {
  JoinRequest r = Request("");
  r.group_instance_id = "wms-line-1";
  Call<JoinResult> first = StartJoin(r);
  Advance(300);
  std::string old_id = first.result().member_id;
  Call<JoinResult> restarted = StartJoin(r);  // the same instance, no member id
  ASSERT_TRUE(restarted.done());
  JoinResult again = restarted.result();
  EXPECT_EQ(again.error, GroupError::kNone);
  EXPECT_NE(again.member_id, old_id);
  EXPECT_EQ(group_->Heartbeat(old_id, again.generation, std::string("wms-line-1")),
            GroupError::kFencedInstanceId);
}

TEST_F(ConsumerGroupTest, AStaticMemberBackInAStableGroupKeepsItsAssignmentWithoutARebalance) {
  std::string other = NewMemberId();
  JoinRequest r = Request("");
  r.group_instance_id = "mes-line-2";
  Call<JoinResult> first = StartJoin(r);
  Call<JoinResult> second = StartJoin(Request(other));
  Advance(300);
  JoinResult joined = first.result();
  std::string leader = joined.leader;
  second.result();
  std::vector<std::pair<std::string, std::vector<std::byte>>> plan = {
      {joined.member_id, Bytes("a")}, {other, Bytes("b")}};
  std::string follower = leader == other ? joined.member_id : other;
  Call<SyncResult> follower_sync = StartSync(follower, 1);
  Call<SyncResult> leader_sync = StartSync(leader, 1, plan);
  ASSERT_EQ(group_->state(), GroupState::kStable);
  Call<JoinResult> back = StartJoin(r);  // restarted: same instance, same subscription
  ASSERT_TRUE(back.done());
  JoinResult again = back.result();
  EXPECT_EQ(again.error, GroupError::kNone);
  EXPECT_EQ(again.generation, 1);
  EXPECT_EQ(group_->state(), GroupState::kStable);
  EXPECT_EQ(group_->Heartbeat(other, 1, std::nullopt), GroupError::kNone);  // no rebalance for it
  Call<SyncResult> sync = StartSync(again.member_id, 1);
  ASSERT_TRUE(sync.done());
  EXPECT_EQ(sync.result().assignment, Bytes("a"));
}

TEST_F(ConsumerGroupTest, AMemberThatDroppedItsInstanceIdLeavesNoStaleMapping) {
  JoinRequest r = Request("");
  r.group_instance_id = "wms-line-9";
  Call<JoinResult> first = StartJoin(r);
  Advance(300);
  std::string id = first.result().member_id;
  Call<JoinResult> plain = StartJoin(Request(id));  // the same member, now without an instance id
  ASSERT_TRUE(plain.done());
  EXPECT_EQ(group_->Leave(id, std::nullopt), GroupError::kNone);
  Call<JoinResult> again = StartJoin(r);  // the old instance id maps to nobody now
  Advance(300);
  ASSERT_TRUE(again.done());
  EXPECT_EQ(again.result().error, GroupError::kNone);
}

TEST_F(ConsumerGroupTest, AnIssuedMemberIdKeepsTheGroupFromBeingIdle) {
  EXPECT_TRUE(group_->idle());
  NewMemberId();
  EXPECT_FALSE(group_->idle());  // the coordinator must not drop it before the second join
}

TEST_F(ConsumerGroupTest, MembersWaitingInSyncGroupAreNotExpired) {
  auto [leader, follower] = JoinTwo();
  Call<SyncResult> waiting = StartSync(follower, 1);
  for (int i = 0; i < 15; ++i) {
    Advance(1000);  // past the 10 s session timeout, the leader heartbeating
    group_->Heartbeat(leader, 1, std::nullopt);
  }
  EXPECT_FALSE(waiting.done());
  Call<SyncResult> leader_sync = StartSync(leader, 1, {{follower, Bytes("f")}, {leader, Bytes("l")}});
  ASSERT_TRUE(waiting.done());
  EXPECT_EQ(waiting.result().assignment, Bytes("f"));
}

TEST_F(ConsumerGroupTest, AJoinWithoutACommonProtocolIsRefused) {
  FormGroup(1);
  Call<JoinResult> other = StartJoin(Request(NewMemberId(), {"roundrobin"}));
  ASSERT_TRUE(other.done());
  EXPECT_EQ(other.result().error, GroupError::kInconsistentGroupProtocol);
  JoinRequest r = Request("");
  r.session_timeout_ms = 10;  // below the minimum
  Call<JoinResult> short_session = StartJoin(r);
  EXPECT_EQ(short_session.result().error, GroupError::kInvalidSessionTimeout);
}

TEST_F(ConsumerGroupTest, CommitsAreCheckedAgainstMembershipAndGeneration) {
  EXPECT_EQ(group_->CheckCommit("", -1), GroupError::kNone);  // no members: manual assignment
  std::vector<std::string> ids = FormGroup(1);
  EXPECT_EQ(group_->CheckCommit("", -1), GroupError::kUnknownMemberId);
  EXPECT_EQ(group_->CheckCommit(ids[0], 1), GroupError::kNone);
  EXPECT_EQ(group_->CheckCommit(ids[0], 0), GroupError::kIllegalGeneration);
}

TEST_F(ConsumerGroupTest, DescribeShowsMembersWithTheirAssignments) {
  std::vector<std::string> ids = FormGroup(2);
  GroupDescription d = group_->Describe();
  EXPECT_EQ(d.state, GroupState::kStable);
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.protocol_name, "range");
  ASSERT_EQ(d.members.size(), 2u);
  for (const MemberDescription& m : d.members) {
    EXPECT_EQ(m.assignment, Bytes("for:" + m.member_id));
    EXPECT_EQ(m.client_id, "wms");
  }
}

}  // namespace
}  // namespace millstream::engine
