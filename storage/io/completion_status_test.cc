#include "storage/io/completion_status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>

namespace millstream::storage::io {
namespace {

const std::string kPath = "/data/p0/00000000000000000000.log";

Status ErrorOf(int32_t res, std::string_view what = "write 4096 bytes at 0 to") {
  Result<size_t> r = CompletionToResult(res, what, kPath);
  EXPECT_FALSE(r.ok()) << "result " << res << " should be an error";
  return r.status();
}

TEST(CompletionToResultTest, FullCountIsReturnedUnchanged) {
  Result<size_t> r = CompletionToResult(4096, "write 4096 bytes at 0 to", kPath);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 4096u);
}

TEST(CompletionToResultTest, ShortCountIsAValueNotAnError) {
  Result<size_t> r = CompletionToResult(100, "write 4096 bytes at 0 to", kPath);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 100u);
}

TEST(CompletionToResultTest, ZeroIsSuccess) {
  // fsync succeeds with 0; a read at the end of a file returns 0 bytes.
  Result<size_t> r = CompletionToResult(0, "fdatasync of", kPath);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
}

TEST(CompletionToResultTest, LargestCountSurvives) {
  Result<size_t> r = CompletionToResult(INT32_MAX, "read at 0 from", kPath);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, static_cast<size_t>(INT32_MAX));
}

TEST(CompletionToResultTest, EioIsIoErrorWithErrno) {
  Status s = ErrorOf(-EIO);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.sys_errno(), EIO);
}

TEST(CompletionToResultTest, EnospcIsNoSpace) {
  Status s = ErrorOf(-ENOSPC);
  EXPECT_EQ(s.code(), StatusCode::kNoSpace);
  EXPECT_EQ(s.sys_errno(), ENOSPC);
}

TEST(CompletionToResultTest, EdquotIsNoSpace) {
  Status s = ErrorOf(-EDQUOT);
  EXPECT_EQ(s.code(), StatusCode::kNoSpace);
  EXPECT_EQ(s.sys_errno(), EDQUOT);
}

TEST(CompletionToResultTest, EinvalIsInvalidArgument) {
  // What O_DIRECT reports for an unaligned buffer, position or length.
  Status s = ErrorOf(-EINVAL);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.sys_errno(), EINVAL);
}

TEST(CompletionToResultTest, EbadfIsIoError) {
  Status s = ErrorOf(-EBADF);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.sys_errno(), EBADF);
}

TEST(CompletionToResultTest, CancelledLinkIsDistinguishableFromFailure) {
  Status cancelled = ErrorOf(-ECANCELED, "fdatasync of");
  Status failed = ErrorOf(-EIO, "fdatasync of");
  EXPECT_EQ(cancelled.sys_errno(), ECANCELED);
  EXPECT_NE(cancelled.sys_errno(), failed.sys_errno());
  EXPECT_NE(cancelled.message().find("not run"), std::string::npos) << cancelled.message();
  EXPECT_EQ(failed.message().find("not run"), std::string::npos) << failed.message();
}

TEST(CompletionToResultTest, MessageNamesTheOperationAndThePath) {
  Status s = ErrorOf(-EIO, "write 4096 bytes at 8192 to");
  EXPECT_EQ(s.message(), "write 4096 bytes at 8192 to " + kPath);
}

TEST(CompletionToResultTest, ResultBelowTheErrnoRangeIsIoErrorWithoutErrno) {
  Status s = ErrorOf(INT32_MIN);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.sys_errno(), 0);
  EXPECT_NE(s.message().find(kPath), std::string::npos);
}

}  // namespace
}  // namespace millstream::storage::io
