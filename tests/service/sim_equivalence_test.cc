// musterd and muster-sim share the policy core and the one builder of its
// inputs (scheduler/input), so the simulator's results are musterd's. This
// test holds them to it: one workload (gangs, three teams, time limits, so
// fair share and EASY backfill both matter) runs through musterd in one
// process (manual clock, fake agents that start ranks on commit and end
// them when the job's run time is over) and through muster-sim's `muster`
// policy on the same cluster; every job must start at the same time on the
// same GPUs.
#include <map>
#include <tuple>

#include "common/base/strings.h"
#include "scheduler/sim/engine.h"
#include "scheduler/sim/muster_policy.h"
#include "scheduler/sim/sim_core.h"
#include "tests/service/service_test_util.h"

namespace muster::testing {
namespace {

struct StartRecord {
  Time at = kNoTime;
  std::vector<NodeAllocation> placement;
  bool operator==(const StartRecord&) const = default;
};

std::string Describe(const StartRecord& s) {
  std::string out = FormatRfc3339(s.at) + " on";
  for (const auto& a : s.placement) {
    out += " " + a.node + "[";
    for (size_t i = 0; i < a.gpus.size(); ++i) out += (i ? "," : "") + std::to_string(a.gpus[i]);
    out += "]";
  }
  return out;
}

// Records what the policy started, and when.
class Recording final : public sim::SimPolicy {
 public:
  explicit Recording(sim::SimPolicy& inner) : inner_(inner) {}
  std::string name() const override { return inner_.name(); }
  void BeforeBatch(const sim::SimView& v) override { inner_.BeforeBatch(v); }
  void OnPending(const sim::SimView& v, int32_t j) override { inner_.OnPending(v, j); }
  void OnStarted(const sim::SimView& v, int32_t j) override { inner_.OnStarted(v, j); }
  void OnStopped(const sim::SimView& v, int32_t j) override { inner_.OnStopped(v, j); }
  void OnReleased(const sim::SimView& v, int32_t j) override { inner_.OnReleased(v, j); }
  void Decide(const sim::SimView& v, const sim::Changes& c, sim::Actions* out) override {
    inner_.Decide(v, c, out);
    for (const auto& s : out->starts) starts[v.workload.jobs[s.job].id] = {v.now, s.placement};
  }
  std::map<JobId, StartRecord> starts;

 private:
  sim::SimPolicy& inner_;
};

// A small deterministic generator (the same numbers on every platform).
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ = s_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return s_ >> 33;
  }
  int64_t Uniform(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % uint64_t(hi - lo + 1));
  }

 private:
  uint64_t s_;
};

constexpr int kNodes = 6;
constexpr int kGpusPerNode = 4;

sim::Workload MakeWorkload(int jobs, uint64_t seed) {
  sim::Workload w;
  w.teams = {"audio", "nlp", "vision"};
  w.queues = {"default"};
  w.trace_start = kHarnessStart;
  Lcg rng(seed);
  const int32_t sizes[] = {1, 1, 1, 2, 2, 4, 4, 8};
  Time t = kHarnessStart + kMinute;
  for (int i = 0; i < jobs; ++i) {
    sim::SimJob j;
    j.id = i + 1;
    j.name = "j" + std::to_string(j.id);
    t += rng.Uniform(0, 6) * kMinute + rng.Uniform(0, 59) * kSecond;
    j.submit = t;
    j.gpus = sizes[rng.Uniform(0, 7)];
    j.duration = rng.Uniform(3, 90) * kMinute + rng.Uniform(0, 59) * kSecond;
    j.time_limit = j.duration + rng.Uniform(1, 60) * kMinute;  // EASY plans with the limit
    j.team = static_cast<int32_t>(rng.Uniform(0, 2));
    w.jobs.push_back(j);
  }
  return w;
}

std::map<JobId, StartRecord> RunInSimulator(const sim::Workload& w) {
  std::vector<sim::NodeSpec> nodes;
  for (int n = 0; n < kNodes; ++n) nodes.push_back({"node-" + std::to_string(n), kGpusPerNode, {}});
  sim::MusterOptions options;
  sim::MusterPolicy policy(w, options);
  Recording recording(policy);
  sim::Engine engine(w, nodes, sim::EngineOptions{});
  sim::RunOutcome out = engine.Run(recording, nullptr);
  EXPECT_EQ(out.unfinished, 0);
  return recording.starts;
}

std::map<JobId, StartRecord> RunInMusterd(const sim::Workload& w) {
  Harness::Options o;
  o.server.heartbeat_timeout = 365 * kDay;  // the test jumps the clock from event to event
  Harness h(o);
  for (int n = 0; n < kNodes; ++n) h.AddAgent("node-" + std::to_string(n), kGpusPerNode);
  auto& submitter = h.Connect("submitter");
  std::map<JobId, StartRecord> starts;
  std::map<JobId, Time> ends;    // of the jobs started, by musterd's id
  std::map<JobId, JobId> id_of;  // musterd id -> workload id
  size_t next = 0;
  auto collect_starts = [&] {
    for (const Job& j : h.Jobs()) {
      if (j.start_time == kNoTime || starts.count(id_of[j.id])) continue;
      starts[id_of[j.id]] = {j.start_time, j.placement};
      ends[j.id] = j.start_time + w.jobs[id_of[j.id] - 1].duration;
    }
  };
  for (int guard = 0; guard < 10000 && (next < w.jobs.size() || !ends.empty()); ++guard) {
    // The next event: an arrival, a job's end, or musterd's own wake-up.
    Time t = next < w.jobs.size() ? w.jobs[next].submit : kNoTime;
    for (const auto& [id, end] : ends) t = t == kNoTime ? end : std::min(t, end);
    if (auto due = h.server().timers().DueOf(service::Timer::kWakeup, 0)) {
      Time wake = h.clock().Now() + (*due - h.clock().MonotonicNow());
      if (t == kNoTime || wake < t) t = wake;
    }
    if (t > h.clock().Now()) h.clock().Advance(t - h.clock().Now());
    // Everything due now reaches musterd in one turn, as one batch of
    // same-time events reaches the simulator's policy.
    for (auto it = ends.begin(); it != ends.end();) {
      if (it->second > t) {
        ++it;
        continue;
      }
      for (const auto& a : h.Show(it->first).placement) h.agent(a.node).Exit(it->first);
      it = ends.erase(it);
    }
    for (; next < w.jobs.size() && w.jobs[next].submit <= t; ++next) {
      JobSpec spec = sim::SpecOf(w.jobs[next], w);
      spec.user = "sim";
      spec.argv = {"true"};
      // Submitted in trace order, so musterd's ids are the workload's.
      id_of[static_cast<JobId>(next + 1)] = w.jobs[next].id;
      submitter.Send(wire::SubmitJob{spec});
    }
    h.Settle();
    collect_starts();
  }
  return starts;
}

TEST(SimEquivalence, MusterdAndTheSimulatorStartEveryJobAtTheSameTimeOnTheSameGpus) {
  sim::Workload w = MakeWorkload(60, 7);
  auto simulated = RunInSimulator(w);
  auto served = RunInMusterd(w);
  ASSERT_EQ(simulated.size(), w.jobs.size());
  ASSERT_EQ(served.size(), w.jobs.size());
  int differences = 0;
  for (const auto& j : w.jobs) {
    const StartRecord& s = simulated[j.id];
    const StartRecord& m = served[j.id];
    if (s == m) continue;
    ++differences;
    ADD_FAILURE() << "job " << j.id << " (" << j.gpus << " GPUs, team " << w.teams[j.team] << ", submitted "
                  << FormatRfc3339(j.submit) << "): simulator " << Describe(s) << ", musterd " << Describe(m);
    if (differences >= 5) break;
  }
  // The workload must exercise what it claims: queueing, gangs, backfill.
  int waited = 0, gangs = 0;
  for (const auto& j : w.jobs) {
    if (simulated[j.id].at > j.submit) ++waited;
    if (simulated[j.id].placement.size() > 1) ++gangs;
  }
  EXPECT_GE(waited, 20) << "too few jobs queued for fair share and backfill to matter";
  EXPECT_GE(gangs, 3);
}

}  // namespace
}  // namespace muster::testing
