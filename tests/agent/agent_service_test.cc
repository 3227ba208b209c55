// agent/service: the real event loop (real processes) against a fake musterd.
#include "agent/service/agent_service.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "agent/runtime/fake_launcher.h"
#include "agent/runtime/process_launcher.h"
#include "common/base/clock.h"
#include "common/proto/codec.h"
#include "tests/agent/fake_scheduler.h"
#include "tests/agent/test_util.h"

namespace muster::agent {
namespace {

using testing::FakeScheduler;
using testing::ProcessGone;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitUntil;

constexpr int kWaitMs = 5000;  // upper bound of any single wait; normally ms

std::vector<GpuInfo> Gpus(int n) {
  std::vector<GpuInfo> gpus;
  for (int i = 0; i < n; ++i) gpus.push_back({i, "GPU-fake-n1-" + std::to_string(i), "Fake GPU", 1});
  return gpus;
}

wire::LaunchRanks Launch(JobId job, int32_t attempt, std::vector<std::string> argv,
                         std::vector<wire::RankLaunch> ranks) {
  wire::LaunchRanks l;
  l.job = job;
  l.attempt = attempt;
  l.argv = std::move(argv);
  l.env = {{"MUSTER_JOB_ID", std::to_string(job)}, {"WORLD_SIZE", std::to_string(ranks.size())}};
  l.ranks = std::move(ranks);
  l.local_world_size = static_cast<int32_t>(l.ranks.size());
  return l;
}

wire::LaunchRanks Sh(JobId job, int32_t attempt, const std::string& script, int nranks = 1) {
  std::vector<wire::RankLaunch> ranks;
  for (int i = 0; i < nranks; ++i) ranks.push_back({i, i, {i}});
  return Launch(job, attempt, {"sh", "-c", script}, std::move(ranks));
}

auto ForRank(JobId job, int32_t rank) {
  return std::function<bool(const wire::RankExited&)>(
      [=](const wire::RankExited& m) { return m.exit.ref.job == job && m.exit.ref.rank == rank; });
}
auto StartedRank(JobId job, int32_t rank) {
  return std::function<bool(const wire::RankStarted&)>(
      [=](const wire::RankStarted& m) { return m.ref.job == job && m.ref.rank == rank; });
}

class AgentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Before any thread starts: Create blocks SIGCHLD, the threads inherit it.
    auto l = ProcessLauncher::Create();
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    launcher_ = std::move(*l);
    sched_ = std::make_unique<FakeScheduler>();
  }

  void TearDown() override {
    StopAgent();
    sched_.reset();
  }

  AgentOptions Options() {
    AgentOptions o;
    o.scheduler_endpoint = sched_->endpoint();
    o.node_name = "n1";
    o.address = "10.1.2.3";
    o.labels = {{"rack", "r1"}};
    o.work_dir = dir_.Sub("work");
    o.heartbeat_ms = 100;
    o.resend_ms = 300;
    o.kill_grace_ms = 300;
    o.shutdown_grace_ms = 500;
    return o;
  }

  void StartAgent(AgentOptions o, Launcher* launcher = nullptr) {
    stop_fd_ = eventfd(0, EFD_CLOEXEC);
    ASSERT_GE(stop_fd_, 0);
    o.stop_fd = stop_fd_;
    o.on_registered = [this] { ++registered_; };
    auto s = AgentService::Create(std::move(o), Gpus(2), launcher ? *launcher : *launcher_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    service_ = std::move(*s);
    thread_ = std::thread([this] { run_status_ = service_->Run(); });
  }

  // Starts the agent and answers its first Register.
  void StartRegistered(Launcher* launcher = nullptr) {
    StartAgent(Options(), launcher);
    ASSERT_TRUE(sched_->WaitFor<wire::Register>(kWaitMs)) << "no Register";
    sched_->Send(wire::RegisterReply{});
  }

  void StopAgent() {
    if (!thread_.joinable()) return;
    uint64_t one = 1;
    ASSERT_EQ(write(stop_fd_, &one, sizeof one), static_cast<ssize_t>(sizeof one));
    thread_.join();
    service_.reset();
    close(stop_fd_);
  }

  // Launches and returns the pid of each rank (RankStarted), in rank order.
  std::vector<int32_t> LaunchAndAwaitStart(const wire::LaunchRanks& l) {
    sched_->Send(l);
    std::vector<int32_t> pids;
    for (const auto& r : l.ranks) {
      auto started = sched_->WaitFor<wire::RankStarted>(kWaitMs, StartedRank(l.job, r.rank));
      EXPECT_TRUE(started) << "no RankStarted for rank " << r.rank;
      if (!started) return pids;
      EXPECT_EQ(started->ref.attempt, l.attempt);
      EXPECT_GT(started->pid, 0);
      pids.push_back(started->pid);
    }
    return pids;
  }

  std::string LogOf(JobId job, int32_t rank) {
    return ReadFile(dir_.Sub("work/logs/" + std::to_string(job) + "/rank-" + std::to_string(rank) + ".log"));
  }

  // Asks the agent for a log chunk as musterd would; the answer carries the request id.
  std::optional<wire::LogChunk> ReadLog(const wire::ReadLog& m, uint64_t request_id) {
    sched_->Send(m, request_id);
    uint64_t id = 0;
    auto chunk = sched_->WaitFor<wire::LogChunk>(kWaitMs, {}, &id);
    if (chunk) {
      EXPECT_EQ(id, request_id);
    }
    return chunk;
  }

  TempDir dir_;
  std::unique_ptr<ProcessLauncher> launcher_;
  std::unique_ptr<FakeScheduler> sched_;
  std::unique_ptr<AgentService> service_;
  std::thread thread_;
  int stop_fd_ = -1;
  Status run_status_;
  std::atomic<int> registered_{0};
};

TEST_F(AgentServiceTest, RegistersItsNodeThenHeartbeats) {
  StartAgent(Options());
  auto reg = sched_->WaitFor<wire::Register>(kWaitMs);
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->node.name, "n1");
  EXPECT_EQ(reg->node.address, "10.1.2.3");
  EXPECT_EQ(reg->node.gpus, Gpus(2));
  EXPECT_EQ(reg->node.labels, (std::map<std::string, std::string>{{"rack", "r1"}}));
  EXPECT_TRUE(reg->running.empty());
  EXPECT_TRUE(reg->exited.empty());
  EXPECT_EQ(registered_, 0);

  sched_->Send(wire::RegisterReply{});
  EXPECT_TRUE(WaitUntil([&] { return registered_ == 1; }, kWaitMs));
  const int before = sched_->heartbeats();
  sched_->PumpFor(450);
  EXPECT_GE(sched_->heartbeats() - before, 2) << "heartbeat every 100 ms";
  EXPECT_LE(sched_->heartbeats() - before, 8);
  // Another RegisterReply does not announce the registration again.
  sched_->Send(wire::RegisterReply{});
  sched_->PumpFor(100);
  EXPECT_EQ(registered_, 1);
}

TEST_F(AgentServiceTest, HeartbeatsCarryTheLatestGpuSample) {
  AgentOptions o = Options();
  std::atomic<int> samples{0};
  o.gpu_sample_ms = 100000;  // one sample for the whole test
  o.sample_gpus = [&samples]() -> Result<std::vector<GpuInfo>> {
    ++samples;
    std::vector<GpuInfo> gpus(2);
    gpus[0].index = 0;
    gpus[0].utilization_percent = 87;
    gpus[0].memory_used_bytes = 12345;
    gpus[1].index = 1;
    gpus[1].healthy = false;
    gpus[1].health_reason = "uncorrectable ECC errors: 2";
    return gpus;
  };
  StartAgent(std::move(o));
  ASSERT_TRUE(sched_->WaitFor<wire::Register>(kWaitMs));
  sched_->Send(wire::RegisterReply{});
  EXPECT_TRUE(WaitUntil([&] { return registered_ == 1; }, kWaitMs));
  sched_->PumpFor(350);
  ASSERT_GE(sched_->heartbeats(), 2);
  const wire::Heartbeat& hb = sched_->last_heartbeat();
  EXPECT_EQ(hb.node, "n1");
  ASSERT_EQ(hb.gpus.size(), 2u);
  EXPECT_EQ(hb.gpus[0], (wire::GpuStat{0, 87, 12345, true, ""}));
  EXPECT_EQ(hb.gpus[1], (wire::GpuStat{1, 0, 0, false, "uncorrectable ECC errors: 2"}));
  EXPECT_EQ(samples.load(), 1) << "sampled at most every gpu_sample_ms, not every heartbeat";
}

TEST_F(AgentServiceTest, LaunchReportsStartThenExitCodeAndLogsOutput) {
  StartRegistered();
  auto l = Sh(7, 1,
              "echo $RANK $CUDA_VISIBLE_DEVICES $LOCAL_RANK $NODE_RANK $LOCAL_WORLD_SIZE "
              "$MUSTER_JOB_ID; pwd; exit 3",
              2);
  auto pids = LaunchAndAwaitStart(l);
  ASSERT_EQ(pids.size(), 2u);
  EXPECT_NE(pids[0], pids[1]);
  for (int r = 0; r < 2; ++r) {
    auto exited = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(7, r));
    ASSERT_TRUE(exited) << "no RankExited for rank " << r;
    EXPECT_EQ(exited->exit.ref, (wire::RankRef{7, 1, r}));
    EXPECT_EQ(exited->exit.exit_code, 3);
    EXPECT_EQ(exited->exit.signal, 0);
    EXPECT_FALSE(exited->exit.failed_to_start);
  }
  const std::string jobdir = dir_.Sub("work/jobs/7");
  EXPECT_EQ(LogOf(7, 0), "0 0 0 0 2 7\n" + jobdir + "\n");
  EXPECT_EQ(LogOf(7, 1), "1 1 1 0 2 7\n" + jobdir + "\n");

  // ReadLog answers with the same request id, in chunks.
  auto chunk = ReadLog(wire::ReadLog{7, 1, 0, 4}, 555);
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->data, "1 1 ");
  EXPECT_EQ(chunk->next_offset, 4u);
  EXPECT_FALSE(chunk->eof);
  EXPECT_TRUE(chunk->job_finished);
  chunk = ReadLog(wire::ReadLog{7, 1, 4, 1 << 30}, 556);
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->data, LogOf(7, 1).substr(4));
  EXPECT_TRUE(chunk->eof);
}

TEST_F(AgentServiceTest, ReadLogOfARunningJobIsNotFinished) {
  StartRegistered();
  auto pids = LaunchAndAwaitStart(Sh(9, 1, "echo hello; exec sleep 30"));
  ASSERT_EQ(pids.size(), 1u);
  ASSERT_TRUE(WaitUntil([&] { return LogOf(9, 0) == "hello\n"; }, kWaitMs));
  sched_->Send(wire::ReadLog{9, 0, 0, 1024}, 77);
  auto chunk = sched_->WaitFor<wire::LogChunk>(kWaitMs);
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->data, "hello\n");
  EXPECT_TRUE(chunk->eof);
  EXPECT_FALSE(chunk->job_finished);

  // No log for that job/rank here: NotFound, with the request id.
  sched_->Send(wire::ReadLog{9, 5, 0, 1024}, 78);
  uint64_t id = 0;
  auto err = sched_->WaitFor<wire::Error>(kWaitMs, {}, &id);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, wire::ErrorCode::kNotFound);
  EXPECT_EQ(id, 78u);
}

TEST_F(AgentServiceTest, ResendsAnExitUntilItIsAcknowledged) {
  StartRegistered();
  auto pids = LaunchAndAwaitStart(Sh(11, 2, "exit 0"));
  ASSERT_EQ(pids.size(), 1u);
  auto first = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(11, 0));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->exit.exit_code, 0);
  // Not acknowledged: it comes again (every 300 ms here).
  auto again = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(11, 0));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->exit, first->exit);
  sched_->Send(wire::AckExit{{11, 2, 0}});
  sched_->PumpFor(100);  // one re-send may already be on its way
  sched_->CollectFor<wire::RankExited>(0);
  EXPECT_TRUE(sched_->CollectFor<wire::RankExited>(700).empty()) << "re-sent after AckExit";
}

TEST_F(AgentServiceTest, RegistersAgainAfterNotRegisteredWithRunningRanksAndUnackedExits) {
  StartRegistered();
  auto pids = LaunchAndAwaitStart(Sh(8, 3, "if [ $RANK = 1 ]; then exit 5; fi; exec sleep 30", 2));
  ASSERT_EQ(pids.size(), 2u);
  auto exited = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(8, 1));
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit.exit_code, 5);

  // musterd restarted: it answers with kNotRegistered; the agent registers
  // again at once, listing what it still runs and what is unacknowledged.
  sched_->Send(wire::Error{wire::ErrorCode::kNotRegistered, "who are you"});
  auto reg = sched_->WaitFor<wire::Register>(kWaitMs);
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->node.name, "n1");
  EXPECT_EQ(reg->running, (std::vector<wire::RankRef>{{8, 3, 0}}));
  ASSERT_EQ(reg->exited.size(), 1u);
  EXPECT_EQ(reg->exited[0].ref, (wire::RankRef{8, 3, 1}));
  EXPECT_EQ(reg->exited[0].exit_code, 5);
  sched_->Send(wire::RegisterReply{});
  sched_->Send(wire::AckExit{{8, 3, 1}});

  // KillJob (attempt 0: any attempt): SIGTERM, which sleep dies of.
  sched_->Send(wire::KillJob{8, 0, 5000});
  auto killed = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(8, 0));
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->exit.signal, SIGTERM);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(pids[0]); }, kWaitMs));
}

TEST_F(AgentServiceTest, KillJobEscalatesToSigkillAfterGrace) {
  StartRegistered();
  auto pids = LaunchAndAwaitStart(Sh(12, 1, "trap '' TERM; echo ready; sleep 30"));
  ASSERT_EQ(pids.size(), 1u);
  ASSERT_TRUE(WaitUntil([&] { return LogOf(12, 0) == "ready\n"; }, kWaitMs));
  sched_->Send(wire::KillJob{12, 2, 100});  // another attempt: not this one
  sched_->Send(wire::KillJob{99, 0, 100});  // unknown job: nothing happens
  sched_->PumpFor(150);
  EXPECT_FALSE(ProcessGone(pids[0]));

  const int64_t t0 = MonotonicMs();
  sched_->Send(wire::KillJob{12, 1, 200});
  auto killed = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(12, 0));
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->exit.signal, SIGKILL) << "TERM was ignored";
  EXPECT_GE(MonotonicMs() - t0, 180) << "SIGKILL before the grace was over";
  EXPECT_TRUE(sched_->CollectFor<wire::Error>(0).empty());
}

TEST_F(AgentServiceTest, RegisterReplyKillStopsUnwantedRanksWithoutReports) {
  StartRegistered();
  auto pids = LaunchAndAwaitStart(Sh(13, 1, "exec sleep 30"));
  ASSERT_EQ(pids.size(), 1u);
  sched_->Send(wire::Error{wire::ErrorCode::kNotRegistered, ""});
  auto reg = sched_->WaitFor<wire::Register>(kWaitMs);
  ASSERT_TRUE(reg);
  ASSERT_EQ(reg->running, (std::vector<wire::RankRef>{{13, 1, 0}}));
  wire::RegisterReply reply;
  reply.kill = {{13, 1, 0}};
  sched_->Send(reply);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(pids[0]); }, kWaitMs));
  EXPECT_TRUE(sched_->CollectFor<wire::RankExited>(500).empty()) << "killed ranks are not reported";
  // And they are no longer listed.
  sched_->Send(wire::Error{wire::ErrorCode::kNotRegistered, ""});
  reg = sched_->WaitFor<wire::Register>(kWaitMs);
  ASSERT_TRUE(reg);
  EXPECT_TRUE(reg->running.empty());
  EXPECT_TRUE(reg->exited.empty());
}

TEST_F(AgentServiceTest, DuplicateLaunchIsIgnored) {
  StartRegistered();
  auto l = Sh(14, 1, "exec sleep 30", 2);
  auto pids = LaunchAndAwaitStart(l);
  ASSERT_EQ(pids.size(), 2u);
  sched_->Send(l);
  EXPECT_TRUE(sched_->CollectFor<wire::RankStarted>(300).empty());
  EXPECT_TRUE(sched_->CollectFor<wire::RankExited>(0).empty());
}

TEST_F(AgentServiceTest, FailedStartsAreReportedAsExitsWith127) {
  StartRegistered();
  sched_->Send(Launch(15, 1, {"muster-no-such-command"}, {{0, 0, {0}}}));
  auto e = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(15, 0));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->exit.failed_to_start);
  EXPECT_EQ(e->exit.exit_code, 127);
  EXPECT_EQ(e->exit.message, "exec 'muster-no-such-command': No such file or directory");
  EXPECT_NE(LogOf(15, 0).find("No such file or directory"), std::string::npos);

  auto bad_dir = Launch(16, 1, {"true"}, {{0, 0, {0}}});
  bad_dir.workdir = dir_.Sub("nope");
  sched_->Send(bad_dir);
  e = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(16, 0));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->exit.failed_to_start);
  EXPECT_EQ(e->exit.message, "chdir '" + dir_.Sub("nope") + "': No such file or directory");

  sched_->Send(Launch(17, 1, {"true"}, {{0, 0, {5}}}));  // the node has GPUs 0 and 1
  e = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(17, 0));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->exit.failed_to_start);
  EXPECT_NE(e->exit.message.find("GPU 5"), std::string::npos) << e->exit.message;
  EXPECT_TRUE(sched_->CollectFor<wire::RankStarted>(0).empty());
}

TEST_F(AgentServiceTest, BadInputGetsAnErrorAndChangesNothing) {
  StartRegistered();
  sched_->SendRaw("definitely not capnp");
  auto err = sched_->WaitFor<wire::Error>(kWaitMs);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, wire::ErrorCode::kBadRequest);

  wire::Envelope future;
  future.version = wire::kProtocolVersion + 1;
  future.body = wire::Heartbeat{"x", {}};
  sched_->SendRaw(wire::Encode(future));
  err = sched_->WaitFor<wire::Error>(kWaitMs);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, wire::ErrorCode::kVersionMismatch);

  sched_->Send(wire::ListNodes{}, 9);
  uint64_t id = 0;
  err = sched_->WaitFor<wire::Error>(kWaitMs, {}, &id);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, wire::ErrorCode::kBadRequest);
  EXPECT_EQ(id, 9u);

  sched_->Send(wire::LaunchRanks{}, 10);  // no job, no ranks
  err = sched_->WaitFor<wire::Error>(kWaitMs, {}, &id);
  ASSERT_TRUE(err);
  EXPECT_EQ(id, 10u);
  // Still alive and heartbeating.
  const int before = sched_->heartbeats();
  sched_->PumpFor(300);
  EXPECT_GT(sched_->heartbeats(), before);
}

TEST_F(AgentServiceTest, StopKillsRanksAndReportsTheirExits) {
  StartRegistered();
  auto pids = LaunchAndAwaitStart(Sh(18, 1, "exec sleep 30", 2));
  ASSERT_EQ(pids.size(), 2u);
  const int64_t t0 = MonotonicMs();
  StopAgent();
  EXPECT_LT(MonotonicMs() - t0, 3000);
  EXPECT_TRUE(run_status_.ok()) << run_status_.ToString();
  for (int r = 0; r < 2; ++r) {
    auto e = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(18, r));
    ASSERT_TRUE(e) << "rank " << r;
    EXPECT_EQ(e->exit.signal, SIGTERM);
    EXPECT_TRUE(ProcessGone(pids[r]));
  }
}

// The same loop over the fake launcher: what it asks a launcher to do.
TEST_F(AgentServiceTest, WithFakeLauncherSigtermThenSigkillAndTheLaunchSpec) {
  FakeLauncher fake;
  StartRegistered(&fake);
  auto l = Launch(20, 4, {"python", "train.py"}, {{6, 0, {1}}});
  l.node_rank = 3;
  auto pids = LaunchAndAwaitStart(l);
  ASSERT_EQ(pids.size(), 1u);
  auto started = fake.started();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].spec.argv, (std::vector<std::string>{"python", "train.py"}));
  EXPECT_EQ(started[0].spec.workdir, dir_.Sub("work/jobs/20"));
  EXPECT_EQ(started[0].spec.log_path, dir_.Sub("work/logs/20/rank-6.log"));
  const auto& env = started[0].spec.env;
  for (const char* want : {"RANK=6", "LOCAL_RANK=0", "NODE_RANK=3", "CUDA_VISIBLE_DEVICES=1",
                           "MUSTER_JOB_ID=20", "LOCAL_WORLD_SIZE=1"})
    EXPECT_NE(std::find(env.begin(), env.end(), want), env.end()) << want;

  sched_->Send(wire::KillJob{20, 4, 200});
  auto e = sched_->WaitFor<wire::RankExited>(kWaitMs, ForRank(20, 6));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->exit.signal, SIGKILL);
  auto sigs = fake.signals();
  ASSERT_EQ(sigs.size(), 2u);
  EXPECT_EQ(sigs[0], std::make_pair(pids[0], SIGTERM));
  EXPECT_EQ(sigs[1], std::make_pair(pids[0], SIGKILL));
  StopAgent();
}

// ---- the two-phase gang start (docs/protocol.md "Gang start") ----

TEST_F(AgentServiceTest, ReserveStartsNothingUntilCommit) {
  StartRegistered();
  auto l = Sh(30, 1, "exec sleep 30", 2);
  sched_->Send(wire::ReserveRanks{l});
  auto reserved =
      sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 30; });
  ASSERT_TRUE(reserved);
  EXPECT_TRUE(reserved->ok) << reserved->reason;
  EXPECT_EQ(reserved->attempt, 1);
  EXPECT_TRUE(sched_->CollectFor<wire::RankStarted>(300).empty()) << "a rank started before the commit";
  // A re-registration reports the reservation.
  sched_->Send(wire::Error{wire::ErrorCode::kNotRegistered, "who?"});
  auto reg = sched_->WaitFor<wire::Register>(kWaitMs);
  ASSERT_TRUE(reg);
  ASSERT_EQ(reg->reserved.size(), 1u);
  EXPECT_EQ(reg->reserved[0], (wire::GangRef{30, 1}));
  sched_->Send(wire::RegisterReply{});

  sched_->Send(wire::CommitRanks{{30, 1}});
  for (int r = 0; r < 2; ++r) EXPECT_TRUE(sched_->WaitFor<wire::RankStarted>(kWaitMs, StartedRank(30, r)));
  sched_->Send(wire::CommitRanks{{30, 1}});  // a duplicate commit starts nothing, refuses nothing
  EXPECT_TRUE(sched_->CollectFor<wire::RankStarted>(300).empty());
  EXPECT_TRUE(sched_->CollectFor<wire::Reserved>(0).empty()) << "a duplicate commit was refused";
  // Its GPUs are in use now: another attempt cannot reserve them.
  sched_->Send(wire::ReserveRanks{Sh(31, 1, "true", 1)});
  auto refused =
      sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 31; });
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok);
  EXPECT_NE(refused->reason.find("in use by job 30"), std::string::npos) << refused->reason;
}

TEST_F(AgentServiceTest, ReadLogBetweenReserveAndCommitIsEmptyNotMissing) {
  // musterd places a gang when it reserves it, so `muster logs -f` can ask
  // before the commit reaches this node; that must not read as "no log".
  StartRegistered();
  sched_->Send(wire::ReserveRanks{Sh(37, 1, "echo late-start", 1)});
  auto reserved =
      sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 37; });
  ASSERT_TRUE(reserved);
  ASSERT_TRUE(reserved->ok) << reserved->reason;
  auto chunk = ReadLog(wire::ReadLog{37, 0, 0, 1024}, 90);
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->data, "");
  EXPECT_EQ(chunk->next_offset, 0u);
  EXPECT_FALSE(chunk->job_finished);

  sched_->Send(wire::CommitRanks{{37, 1}});
  ASSERT_TRUE(WaitUntil([&] { return LogOf(37, 0) == "late-start\n"; }, kWaitMs));
  // A job this node never heard of still has no log here.
  sched_->Send(wire::ReadLog{38, 0, 0, 1024}, 91);
  uint64_t id = 0;
  auto err = sched_->WaitFor<wire::Error>(kWaitMs, {}, &id);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, wire::ErrorCode::kNotFound);
  EXPECT_EQ(id, 91u);
}

TEST_F(AgentServiceTest, DoubleReservationIsRefusedAndAbortFreesTheGpus) {
  StartRegistered();
  sched_->Send(wire::ReserveRanks{Sh(32, 1, "true", 2)});
  auto a = sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 32; });
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok);
  // The same attempt again: the same answer (duplicates are harmless).
  sched_->Send(wire::ReserveRanks{Sh(32, 1, "true", 2)});
  a = sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 32; });
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok);
  // Another job wanting GPU 1, and a GPU the node does not have.
  sched_->Send(wire::ReserveRanks{Launch(33, 1, {"true"}, {{0, 0, {1}}})});
  auto b = sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 33; });
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->ok);
  EXPECT_NE(b->reason.find("reserved by job 32 attempt 1"), std::string::npos) << b->reason;
  sched_->Send(wire::ReserveRanks{Launch(34, 1, {"true"}, {{0, 0, {7}}})});
  auto c = sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 34; });
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->ok);
  EXPECT_NE(c->reason.find("not on node"), std::string::npos) << c->reason;

  sched_->Send(wire::AbortRanks{{32, 1}});
  sched_->Send(wire::CommitRanks{{32, 1}});  // too late: nothing to start, and musterd is told
  auto late = sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 32; });
  ASSERT_TRUE(late) << "a commit after the abort got no answer";
  EXPECT_FALSE(late->ok);
  EXPECT_TRUE(sched_->CollectFor<wire::RankStarted>(300).empty());
  sched_->Send(wire::ReserveRanks{Launch(33, 1, {"true"}, {{0, 0, {1}}})});
  b = sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 33; });
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->ok) << b->reason;
}

TEST_F(AgentServiceTest, UncommittedReservationExpires) {
  AgentOptions o = Options();
  o.reserve_ttl_ms = 300;
  StartAgent(o);
  ASSERT_TRUE(sched_->WaitFor<wire::Register>(kWaitMs));
  sched_->Send(wire::RegisterReply{});
  sched_->Send(wire::ReserveRanks{Sh(35, 1, "true", 2)});
  auto a = sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 35; });
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok);
  sched_->PumpFor(800);
  sched_->Send(wire::CommitRanks{{35, 1}});
  // The late commit starts nothing and is refused at once, so musterd need
  // not wait out its start barrier.
  auto refused =
      sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 35; });
  ASSERT_TRUE(refused) << "a commit after the expiry got no answer";
  EXPECT_FALSE(refused->ok);
  EXPECT_EQ(refused->attempt, 1);
  EXPECT_NE(refused->reason.find("expired before the commit"), std::string::npos) << refused->reason;
  EXPECT_TRUE(sched_->CollectFor<wire::RankStarted>(400).empty()) << "an expired reservation started";
  // Its GPUs are free for someone else.
  sched_->Send(wire::ReserveRanks{Sh(36, 1, "true", 2)});
  auto b = sched_->WaitFor<wire::Reserved>(kWaitMs, [](const wire::Reserved& m) { return m.job == 36; });
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->ok) << b->reason;
}

}  // namespace
}  // namespace muster::agent
