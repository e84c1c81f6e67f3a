#include "base/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace millstream {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgument("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int half, Half(v));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status CheckEven(int v) {
  RETURN_IF_ERROR(Half(v));
  return Status::Ok();
}

TEST(StatusTest, DefaultIsOk) { EXPECT_TRUE(Status().ok()); }

TEST(StatusTest, ToStringNamesCodeMessageAndErrno) {
  Status s = IoError("write a.log", EIO);
  EXPECT_EQ(s.ToString(), "IoError: write a.log (errno 5, Input/output error)");
}

TEST(StatusTest, ErrnoMapsNoSpaceSeparately) {
  EXPECT_EQ(StatusFromErrno(ENOSPC, "w").code(), StatusCode::kNoSpace);
  EXPECT_EQ(StatusFromErrno(EDQUOT, "w").code(), StatusCode::kNoSpace);
  EXPECT_EQ(StatusFromErrno(EIO, "w").code(), StatusCode::kIoError);
  EXPECT_EQ(StatusFromErrno(ENOSPC, "w").sys_errno(), ENOSPC);
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3).code(), StatusCode::kInvalidArgument);
}

TEST(StatusTest, WithContextKeepsCodeAndErrno) {
  Status s = NoSpace("disk", ENOSPC).WithContext("append");
  EXPECT_EQ(s.code(), StatusCode::kNoSpace);
  EXPECT_EQ(s.sys_errno(), ENOSPC);
  EXPECT_EQ(s.message(), "append: disk");
}

TEST(StatusDeathTest, ValueOfFailedResultAborts) {
  EXPECT_DEATH((void)Half(1).value(), "value\\(\\) of a failed Result");
}

}  // namespace
}  // namespace millstream
