#include "base/turns.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace millstream {
namespace {

// Waits for `ticket`'s turn, records it, and finishes the ticket.
Task<void> TakeTurn(Turns& turns, EventLoop& loop, uint64_t ticket, std::vector<uint64_t>& order) {
  co_await turns.WaitTurn(ticket);
  order.push_back(ticket);
  turns.Finish(ticket, loop);
}

class TurnsTest : public ::testing::Test {
 protected:
  void RunUntilIdle() {
    while (loop_->RunOnce(/*may_block=*/false)) {
    }
  }
  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  Turns turns_;
  std::vector<uint64_t> order_;
};

TEST_F(TurnsTest, TicketsTakeTheirTurnsInOrderWhateverOrderTheyWaitIn) {
  std::vector<uint64_t> tickets;
  for (int i = 0; i < 5; ++i) tickets.push_back(turns_.Take());
  for (uint64_t t : {4, 2, 3, 1, 0}) loop_->Spawn(TakeTurn(turns_, *loop_, tickets[t], order_));
  RunUntilIdle();
  EXPECT_EQ(order_, (std::vector<uint64_t>{0, 1, 2, 3, 4}));
}

TEST_F(TurnsTest, AnEarlyFinishLetsLaterTicketsPassWithoutWaiting) {
  uint64_t first = turns_.Take();
  uint64_t second = turns_.Take();
  uint64_t third = turns_.Take();
  loop_->Spawn(TakeTurn(turns_, *loop_, third, order_));
  turns_.Finish(second, *loop_);  // done before its turn: never waits
  RunUntilIdle();
  EXPECT_TRUE(order_.empty());
  turns_.Finish(first, *loop_);
  turns_.Finish(first, *loop_);  // a second finish changes nothing
  RunUntilIdle();
  EXPECT_EQ(order_, (std::vector<uint64_t>{third}));
}

TEST_F(TurnsTest, ManyWaitersAllGetTheirTurn) {
  std::vector<uint64_t> tickets;
  for (int i = 0; i < 20000; ++i) tickets.push_back(turns_.Take());
  for (auto it = tickets.rbegin(); it != tickets.rend(); ++it) {
    loop_->Spawn(TakeTurn(turns_, *loop_, *it, order_));
  }
  RunUntilIdle();
  EXPECT_EQ(order_, tickets);
}

}  // namespace
}  // namespace millstream
