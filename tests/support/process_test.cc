// The process helpers the integration tests stand on: if these lie, every
// end-to-end result does.
#include "tests/support/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace muster::testing {
namespace {

int PidFrom(const std::string& path) {
  try {
    return std::stoi(ReadFile(path));
  } catch (const std::exception&) {
    return -1;
  }
}

bool WaitForFile(const std::string& path, Millis timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (PidFrom(path) <= 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(10));
  }
  return true;
}

TEST(SupportRunCommand, CapturesOutputAndExitCode) {
  CommandResult r = RunCommand("/bin/sh", {"-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(SupportRunCommand, PassesEnvironment) {
  CommandResult r = RunCommand("/bin/sh", {"-c", "echo $MUSTER_X"}, Millis(5000), {{"MUSTER_X", "yes"}});
  EXPECT_EQ(r.out, "yes\n");
}

TEST(SupportRunCommand, KillsTheGroupOnTimeout) {
  TempDir dir;
  auto t0 = std::chrono::steady_clock::now();
  CommandResult r =
      RunCommand("/bin/sh", {"-c", "sleep 30 & echo $! > " + dir.Sub("pid") + "; wait"}, Millis(500));
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  int child = PidFrom(dir.Sub("pid"));
  ASSERT_GT(child, 0);
  EXPECT_TRUE(WaitForProcessGone(child, Millis(2000)));
}

TEST(SupportProcess, WaitsForALineAndStopsItsGroup) {
  TempDir dir;
  int grandchild = -1;
  {
    auto p = Process::Spawn("/bin/sh", {"-c", "trap '' TERM; sleep 30 & echo $! > " + dir.Sub("pid") +
                                                  "; echo noise; echo ready at 42; wait"});
    auto line = p->WaitForLine("ready at", Millis(5000));
    ASSERT_TRUE(line.has_value());
    EXPECT_EQ(*line, "ready at 42");
    EXPECT_FALSE(p->WaitForLine("never", Millis(100)).has_value());
    ASSERT_TRUE(WaitForFile(dir.Sub("pid"), Millis(5000)));
    grandchild = PidFrom(dir.Sub("pid"));
    EXPECT_TRUE(IsProcessAlive(grandchild));
  }  // SIGTERM is ignored: the destructor must escalate to SIGKILL of the group
  EXPECT_TRUE(WaitForProcessGone(grandchild, Millis(5000)));
}

TEST(SupportProcess, WaitForLineReturnsWhenStdoutCloses) {
  auto p = Process::Spawn("/bin/sh", {"-c", "echo bye"});
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(p->WaitForLine("hello", Millis(10000)).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  auto status = p->Wait(Millis(5000));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

TEST(SupportProcess, Kill9) {
  auto p = Process::Spawn("/bin/sleep", {"30"});
  pid_t pid = p->pid();
  p->Kill9();
  EXPECT_TRUE(p->Exited());
  EXPECT_FALSE(IsProcessAlive(pid));
}

TEST(SupportKillProcessesWithEnv, KillsOnlyTheMarkedProcesses) {
  SpawnOptions marked;
  marked.env["MUSTER_TEST_MARK"] = "mark-" + std::to_string(getpid());
  auto a = Process::Spawn("/bin/sleep", {"30"}, marked);
  auto b = Process::Spawn("/bin/sleep", {"30"});
  // Until the exec: before it, the child still has our environment.
  const std::string mark = "MUSTER_TEST_MARK=mark-" + std::to_string(getpid());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ReadFile("/proc/" + std::to_string(a->pid()) + "/environ").find(mark) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(Millis(10));
  }
  EXPECT_EQ(KillProcessesWithEnv("MUSTER_TEST_MARK", "mark-" + std::to_string(getpid())), 1);
  EXPECT_TRUE(WaitForProcessGone(a->pid(), Millis(2000)));
  EXPECT_TRUE(IsProcessAlive(b->pid()));
}

TEST(SupportTempDir, IsRemovedWithItsContents) {
  std::string path;
  {
    TempDir d;
    path = d.path();
    std::filesystem::create_directories(d.MakeSub("a/b"));
    EXPECT_TRUE(std::filesystem::is_directory(path + "/a/b"));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SupportUnusedLoopbackPort, IsAPort) {
  int port = UnusedLoopbackPort();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

}  // namespace
}  // namespace muster::testing
