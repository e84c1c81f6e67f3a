// The `millstream` binary's storage verbs on real data directories: serve recovers
// and stops cleanly, verify finds every kind of damage with its file and byte
// position, dump prints JSON lines.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/clock.h"
#include "storage/batch_builder.h"
#include "storage/data_dir.h"
#include "storage/io/testing/test_backends.h"
#include "storage/io/uring_file_system.h"
#include "storage/partition_log.h"
#include "storage/segment_files.h"
#include "tests/support/process.h"

namespace millstream {
namespace {

class ToolsTest : public ::testing::Test {
 protected:
  // Writes `batches` batches of 3 records each to topic t, partition 0, in small
  // segments, and returns the start position of every batch in the first segment.
  std::vector<uint64_t> Fill(int batches, size_t pad = 100) {
    auto loop = EventLoop::Create().value();
    storage::io::UringFileSystem fs(*loop);
    std::string dir = storage::PartitionPath(tmp_.path(), "t", 0);
    auto log = loop->Run(storage::PartitionLog::Open(fs, *loop, SystemClock::Instance(), dir,
                                                     {.segment_bytes = 8192}, nullptr));
    EXPECT_TRUE(log.ok());
    std::vector<uint64_t> positions;
    for (int i = 0; i < batches; ++i) {
      if ((*log)->segment_count() == 1) positions.push_back((*log)->size_bytes());
      storage::BatchBuilder b;
      for (int r = 0; r < 3; ++r) {
        b.Add("order-" + std::to_string(i), "released " + std::to_string(r) + std::string(pad, '.'),
              TimestampMs(1000 + i));
      }
      std::vector<std::byte> batch = b.Build();
      auto info = loop->Run((*log)->Append(batch));
      EXPECT_TRUE(info.ok());
      EXPECT_TRUE(loop->Run((*log)->WaitDurable(*info)).ok());
    }
    EXPECT_TRUE(loop->Run((*log)->Close()).ok());
    return positions;
  }
  std::string SegmentPath(std::string_view extension) const {
    return storage::PartitionPath(tmp_.path(), "t", 0) + "/" + storage::SegmentFileName(Offset(0), extension);
  }
  void FlipByte(const std::string& path, uint64_t pos) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(pos);
    char c = 0;
    f.get(c);
    f.seekp(pos);
    f.put(static_cast<char>(c ^ 0x40));
  }
  testing::CommandResult Run(std::vector<std::string> args) {
    return testing::RunCommand(testing::MillstreamBinary(), args);
  }

  storage::io::testing::TempDir tmp_;
};

TEST_F(ToolsTest, VerifyPassesOnACleanDataDirectory) {
  Fill(40);
  testing::CommandResult r = Run({"verify", tmp_.path()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("0 problems"), std::string::npos) << r.out;
}

TEST_F(ToolsTest, VerifyReportsAFlippedByteWithFileAndPosition) {
  std::vector<uint64_t> positions = Fill(40);
  ASSERT_GE(positions.size(), 3u);
  FlipByte(SegmentPath(".log"), positions[1] + 80);
  testing::CommandResult r = Run({"verify", tmp_.path()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find(SegmentPath(".log") + ":" + std::to_string(positions[1]) + ": crc mismatch"),
            std::string::npos)
      << r.out;
}

TEST_F(ToolsTest, VerifyReportsADamagedIndex) {
  Fill(40);
  FlipByte(SegmentPath(".index"), 20);
  testing::CommandResult r = Run({"verify", tmp_.path()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find(SegmentPath(".index") + ":0: offset index checksum mismatch"), std::string::npos) << r.out;
}

TEST_F(ToolsTest, VerifyReportsADamagedSeal) {
  Fill(40);
  FlipByte(SegmentPath(".seal"), 30);
  testing::CommandResult r = Run({"verify", tmp_.path()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find(SegmentPath(".seal")), std::string::npos) << r.out;
}

TEST_F(ToolsTest, DumpPrintsBatchesAndRecordsAsJsonLines) {
  Fill(2, 0);
  testing::CommandResult r = Run({"dump", SegmentPath(".log")});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> parsed;
  for (std::string line; std::getline(lines, line);) parsed.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(parsed.size(), 8u);  // 2 batches, 3 records each
  EXPECT_EQ(parsed[0]["base_offset"], 0);
  EXPECT_EQ(parsed[0]["crc_ok"], true);
  EXPECT_EQ(parsed[1]["key"], "order-0");
  EXPECT_EQ(parsed[3]["value"], "released 2");
  EXPECT_EQ(parsed[4]["base_offset"], 3);
}

TEST_F(ToolsTest, ServeStopsCleanlyOnSigterm) {
  testing::ChildProcess serve(testing::MillstreamBinary(), {"serve", "--data-dir", tmp_.path(), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"});
  ASSERT_TRUE(serve.WaitForOutput("serving data directory", 20000)) << serve.output();
  EXPECT_EQ(serve.Stop(SIGTERM), 0) << serve.output();
  EXPECT_NE(serve.output().find("stopped cleanly"), std::string::npos) << serve.output();
  EXPECT_EQ(Run({"verify", tmp_.path()}).exit_code, 0);
}

TEST_F(ToolsTest, ServeTakesItsSettingsFromATomlFile) {
  std::string config = tmp_.path() + "/millstream.toml";
  std::ofstream(config) << "data-dir = \"" << tmp_.path() << "/from-file\"\nlisten = \"127.0.0.1:0\"\nhttp = \"127.0.0.1:0\"\nshards = 1\n";
  testing::ChildProcess serve(testing::MillstreamBinary(), {"serve", "--config", config});
  ASSERT_TRUE(serve.WaitForOutput("serving data directory", 20000)) << serve.output();
  EXPECT_NE(serve.output().find(tmp_.path() + "/from-file (0 topics, 1 shards)"), std::string::npos) << serve.output();
  EXPECT_EQ(serve.Stop(SIGTERM), 0);
  std::ofstream(config) << "data_dir = \"x\"\n";  // misspelt: an error, not ignored
  testing::CommandResult r = Run({"serve", "--config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown key data_dir"), std::string::npos) << r.out;
}

TEST_F(ToolsTest, ATomlValueOutsideItsFlagsRangeIsRefused) {
  std::string config = tmp_.path() + "/millstream.toml";
  std::ofstream(config) << "idempotency-window-minutes = 0\n";
  testing::CommandResult r = Run({"serve", "--config", config});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("idempotency-window-minutes: Value 0 not in range"), std::string::npos) << r.out;
}

TEST_F(ToolsTest, ASecondBrokerOnTheSameDataDirectoryIsRefused) {
  testing::ChildProcess first(testing::MillstreamBinary(), {"serve", "--data-dir", tmp_.path(), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"});
  ASSERT_TRUE(first.WaitForOutput("serving data directory", 20000)) << first.output();
  testing::CommandResult second = Run({"serve", "--data-dir", tmp_.path(), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.out.find("is in use by another broker"), std::string::npos) << second.out;
  EXPECT_EQ(first.Stop(SIGTERM), 0);
}

TEST_F(ToolsTest, BadFlagsGetAClearErrorAndExitNonZero) {
  testing::CommandResult r = Run({"serve", "--no-such-flag"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("no-such-flag"), std::string::npos) << r.out;
  EXPECT_NE(Run({"verify", tmp_.path() + "/missing"}).exit_code, 0);
}

}  // namespace
}  // namespace millstream
