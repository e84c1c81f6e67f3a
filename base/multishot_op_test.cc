#include "base/multishot_op.h"

#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/buffer_ring.h"
#include "base/timed_wait.h"

namespace millstream {
namespace {

// A multishot receive on `fd` into the provided buffers of `group`.
auto ReceiveInto(int fd, uint16_t group) {
  return [fd, group](io_uring_sqe* sqe) {
    io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
  };
}

// Receives into `ring` until the operation ends; returns the bytes in order and
// counts the completions and the ENOBUFS ends seen.
Task<std::string> ReceiveAll(EventLoop& loop, int fd, BufferRing& ring, int& completions,
                             int& out_of_buffers, int hold_first) {
  MultishotOp recv(loop);
  auto arm = ReceiveInto(fd, ring.group());
  std::string out;
  std::vector<uint16_t> held;
  while (true) {
    if (!recv.armed() && !recv.has_completion()) recv.Arm(arm);
    MultishotOp::Cqe c = co_await recv.Next();
    if (c.result == -ENOBUFS) {
      ++out_of_buffers;
      for (uint16_t id : held) ring.Return(id);  // give back what was kept, then go on
      held.clear();
      continue;
    }
    if (c.result <= 0) break;
    ++completions;
    uint16_t id = BufferRing::IdOf(c.flags);
    ConstBytes data = ring.Data(id, static_cast<size_t>(c.result));
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
    if (static_cast<int>(held.size()) < hold_first) {
      held.push_back(id);  // kept, as a slow reader would
    } else {
      ring.Return(id);
    }
  }
  co_return out;
}

class MultishotOpTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }
  void Send(const std::string& text) {
    ASSERT_EQ(write(fds_[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  std::unique_ptr<EventLoop> loop_ = EventLoop::Create().value();
  int fds_[2];
};

TEST_F(MultishotOpTest, OneReceiveDeliversEveryWriteUntilThePeerCloses) {
  auto ring = BufferRing::Create(*loop_, 3, 8, 16);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  int completions = 0;
  int out_of_buffers = 0;
  Task<std::string> task = ReceiveAll(*loop_, fds_[0], **ring, completions, out_of_buffers, 0);
  task.Start();
  std::string sent;
  for (int i = 0; i < 20; ++i) {
    std::string piece = "piece-" + std::to_string(i) + ";";
    Send(piece);
    sent += piece;
    loop_->RunOnce(/*may_block=*/true);
  }
  shutdown(fds_[1], SHUT_WR);
  while (!task.done()) loop_->RunOnce(/*may_block=*/true);
  EXPECT_EQ(task.TakeResult(), sent);
  EXPECT_GE(completions, 2);  // 16-byte buffers: the bytes came in several pieces
  EXPECT_EQ(out_of_buffers, 0);
}

TEST_F(MultishotOpTest, RunningOutOfBuffersEndsTheReceiveAndReArmingResumesIt) {
  auto ring = BufferRing::Create(*loop_, 4, 2, 8);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  int completions = 0;
  int out_of_buffers = 0;
  // The reader keeps the first two buffers: the third read finds none left.
  Task<std::string> task = ReceiveAll(*loop_, fds_[0], **ring, completions, out_of_buffers, 2);
  task.Start();
  std::string sent;
  for (int i = 0; i < 6; ++i) {
    Send("abcdefgh");
    sent += "abcdefgh";
    loop_->RunOnce(/*may_block=*/true);
  }
  shutdown(fds_[1], SHUT_WR);
  while (!task.done()) loop_->RunOnce(/*may_block=*/true);
  EXPECT_EQ(task.TakeResult(), sent);  // nothing lost across the re-arm
  EXPECT_GE(out_of_buffers, 1);
}

// Receives one completion, cancels, takes what is left until the operation ended,
// then (once `resume` is set) arms again and receives until the peer closes.
Task<std::string> ReceiveWithPause(EventLoop& loop, int fd, BufferRing& ring, bool& paused,
                                   const bool& resume, TimedWaitList& poll) {
  MultishotOp recv(loop);
  auto arm = ReceiveInto(fd, ring.group());
  std::string out;
  bool cancelled = false;
  while (true) {
    if (!recv.armed() && !recv.has_completion()) {
      if (cancelled && !resume) {
        paused = true;
        co_await poll.WaitFor(loop, 5);
        continue;
      }
      recv.Arm(arm);
    }
    MultishotOp::Cqe c = co_await recv.Next();
    if (c.result == -ECANCELED) continue;
    if (c.result <= 0) break;
    ConstBytes data = ring.Data(BufferRing::IdOf(c.flags), static_cast<size_t>(c.result));
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
    ring.Return(BufferRing::IdOf(c.flags));
    if (!cancelled && recv.armed()) {
      recv.Cancel();
      cancelled = true;
    }
  }
  co_return out;
}

TEST_F(MultishotOpTest, CancelEndsTheReceiveAndBytesSentMeanwhileWaitForTheReArm) {
  auto ring = BufferRing::Create(*loop_, 5, 8, 64);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  bool paused = false;
  bool resume = false;
  TimedWaitList poll;
  Task<std::string> task = ReceiveWithPause(*loop_, fds_[0], **ring, paused, resume, poll);
  task.Start();
  Send("first;");
  while (!paused) loop_->RunOnce(/*may_block=*/true);
  Send("while-paused;");
  for (int i = 0; i < 5; ++i) loop_->RunOnce(/*may_block=*/true);
  int available = 0;
  ASSERT_EQ(ioctl(fds_[0], FIONREAD, &available), 0);
  EXPECT_EQ(available, 13);  // nobody read it: the receive really ended
  resume = true;
  Send("after;");
  shutdown(fds_[1], SHUT_WR);
  while (!task.done()) loop_->RunOnce(/*may_block=*/true);
  EXPECT_EQ(task.TakeResult(), "first;while-paused;after;");
}

TEST(BufferRingTest, ASizeThatIsNotAPowerOfTwoIsRefused) {
  auto loop = EventLoop::Create().value();
  EXPECT_EQ(BufferRing::Create(*loop, 1, 3, 64).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace millstream
