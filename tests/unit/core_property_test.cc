// Property tests of the policy core (docs/architecture.md principle 13): seeded random clusters,
// running jobs, queues and pending jobs; every plan must keep the invariants
// below. A failure prints the seed; RunCase(seed, ...) replays it.
//
//   - every pending job is accounted for exactly once (placements / pending /
//     never runnable), never runnable iff its dependencies can never be met,
//     every verdict has a reason and a detail;
//   - no GPU is double-booked: a placed GPU was free in the snapshot, on a
//     schedulable node, and is placed once;
//   - no partial gang: the exact shape on distinct nodes (flexible: an even
//     split of total_gpus), hard topology respected;
//   - eligibility: nothing placed that is held, in a paused queue, waiting on
//     dependencies, outside its off-peak window, over its array cap;
//   - quota: a queue that gets GPUs never ends above its max (running +
//     placed);
//   - preemption: victims are running, preemptible, not ending, and of a
//     lower tier or a borrowing queue reclaimed by one below its guarantee;
//   - backfill never delays the reserved job: after every placement of the
//     plan, it can still start by its reservation's time (recomputed with
//     PlanReservation from running and newly placed jobs' ends);
//   - work conserving: with nothing held back, a job left pending for
//     resources fits nowhere in what the plan leaves free (judged by an
//     oracle independent of gang.cc);
//   - the plan is deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/core/free_index.h"
#include "scheduler/core/gang.h"
#include "scheduler/core/planner.h"
#include "scheduler/core/policy.h"
#include "scheduler/core/snapshot.h"
#include "tests/unit/core_test_util.h"
#include "tests/unit/known_bug.h"

namespace muster::core {
namespace {

constexpr Time kBase = 1'795'708'800LL * kSecond;  // 2026-11-26T16:00:00Z

struct Scenario {
  ClusterSnapshot cluster;
  QueueSnapshot queue;
  Time now = kBase;
};

int32_t Uniform(std::mt19937& rng, int32_t lo, int32_t hi) {  // inclusive
  return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
}
bool Chance(std::mt19937& rng, double p) { return std::bernoulli_distribution(p)(rng); }

Scenario RandomScenario(uint32_t seed) {
  std::mt19937 rng(seed);
  Scenario s;
  s.now = kBase + static_cast<Time>(Uniform(rng, 0, 7 * 24 * 60)) * kMinute;
  const Time now = s.now;

  // Queues and teams.
  QueueBuilder qb;
  int32_t queues = Uniform(rng, 1, 4);
  for (int32_t q = 0; q < queues; ++q) {
    QueueConfigBuilder cfg("q" + std::to_string(q));
    cfg.Weight(0.5 * Uniform(rng, 1, 8)).Usage(Chance(rng, 0.3) ? 0.0 : Uniform(rng, 0, 5000) / 7.0);
    cfg.Tier(Chance(rng, 0.6) ? 0 : Uniform(rng, 0, 2));
    int32_t guaranteed = Chance(rng, 0.4) ? 0 : Uniform(rng, 0, 32);
    cfg.Guaranteed(guaranteed);
    cfg.Max(Chance(rng, 0.4) ? -1 : guaranteed + Uniform(rng, 0, 48));
    cfg.Paused(Chance(rng, 0.08));
    if (Chance(rng, 0.3)) cfg.DefaultTimeLimit(Uniform(rng, 10, 600) * kMinute);
    qb.Queue(q, cfg);
  }
  int32_t teams = Uniform(rng, 1, 5);
  for (int32_t t = 0; t < teams; ++t)
    qb.Team(t, "t" + std::to_string(t), Uniform(rng, 0, queues - 1), Uniform(rng, 0, 100000) / 13.0);
  int32_t arrays = Uniform(rng, 0, 2);
  for (int32_t a = 0; a < arrays; ++a) qb.Array(a, Uniform(rng, 0, 3), Uniform(rng, 0, 2));

  // Off-peak windows: nightly 11 h windows, or none.
  if (Chance(rng, 0.6)) {
    Time day = (now / kDay) * kDay;
    for (int d = -1; d <= 8; ++d) qb.Offpeak(day + d * kDay + 20 * kHour, day + (d + 1) * kDay + 7 * kHour);
  }
  qb.Backfill(Chance(rng, 0.9));
  if (Chance(rng, 0.2)) qb.MaxPreemptionAttempts(Uniform(rng, 0, 3));

  // Cluster: nodes with rack/switch labels, some unschedulable, some GPUs held
  // by running jobs (some preemptible, some ending, some without an end).
  ClusterBuilder cb;
  int32_t nodes = Uniform(rng, 1, 64);
  bool homogeneous = Chance(rng, 0.5);
  int32_t common_gpus = Uniform(rng, 1, 8);
  int32_t racks = Uniform(rng, 1, 4), switches = Uniform(rng, 1, 3);
  double p_unschedulable = Chance(rng, 0.5) ? 0.0 : 0.1 * Uniform(rng, 1, 3);
  double p_busy = 0.2 * Uniform(rng, 0, 4);
  JobId running_id = 100000;
  for (int32_t i = 0; i < nodes; ++i) {
    std::string name = "n" + std::to_string(i);
    int32_t gpus = homogeneous ? common_gpus : Uniform(rng, 1, 8);
    std::map<std::string, std::string> labels;
    if (!Chance(rng, 0.1)) labels["rack"] = "r" + std::to_string(Uniform(rng, 0, racks - 1));
    if (!Chance(rng, 0.1)) labels["switch"] = "s" + std::to_string(Uniform(rng, 0, switches - 1));
    cb.AddNode(name, gpus, labels);
    if (Chance(rng, p_unschedulable)) cb.Unschedulable(name);
    // Busy GPUs come in running jobs of 1..gpus GPUs each.
    std::vector<int32_t> busy;
    for (int32_t g = 0; g < gpus; ++g)
      if (Chance(rng, p_busy)) busy.push_back(g);
    while (!busy.empty()) {
      int32_t take = Uniform(rng, 1, static_cast<int32_t>(busy.size()));
      RunningJobBuilder r(running_id++);
      r.On(name, std::vector<int32_t>(busy.begin(), busy.begin() + take));
      busy.erase(busy.begin(), busy.begin() + take);
      int32_t q = Uniform(rng, 0, queues - 1);
      r.Queue(q).Team(Uniform(rng, 0, teams - 1)).Priority(Uniform(rng, 0, 3));
      r.Preemptible(Chance(rng, 0.4)).Ending(Chance(rng, 0.1));
      r.Started(now - Uniform(rng, 1, 1000) * kMinute);
      int32_t end = Uniform(rng, 0, 9);
      r.Ends(end == 0   ? kNoTime
             : end == 1 ? now - Uniform(rng, 1, 60) * kMinute
                        : now + Uniform(rng, 1, 900) * kMinute);
      cb.Run(r);
    }
  }
  s.cluster = cb.Build();

  // Pending jobs.
  int32_t jobs = Uniform(rng, 0, 60);
  int32_t priorities = Uniform(rng, 1, 4);
  for (int32_t k = 0; k < jobs; ++k) {
    // Ids unique but not in submit order.
    PendingJobBuilder j(static_cast<JobId>(1000 + (k * 7919) % 4001));
    j.Priority(Uniform(rng, 0, priorities - 1)).Submitted(now - Uniform(rng, 0, 5000) * kSecond);
    if (Chance(rng, 0.5))
      j.Gang(Uniform(rng, 1, Chance(rng, 0.85) ? 4 : 12), Uniform(rng, 1, 8));
    else
      j.Gpus(Chance(rng, 0.7) ? Uniform(rng, 1, 16) : Uniform(rng, 1, 64));
    int32_t q = Uniform(rng, 0, queues - 1);
    j.Queue(q).Team(Uniform(rng, 0, teams - 1));
    int32_t topo = Uniform(rng, 0, 9);
    if (topo == 0) j.SameNode();
    if (topo == 1) j.SameSwitch();
    if (topo == 2) j.SameRack();
    if (Chance(rng, 0.6)) j.TimeLimit(Uniform(rng, 5, 900) * kMinute);
    int32_t d = Uniform(rng, 0, 14);
    if (d == 0) j.Waiting();
    if (d == 1) j.NeverSatisfied();
    int32_t w = Uniform(rng, 0, 9);
    if (w == 0) j.Offpeak().MayOverrun(Chance(rng, 0.3));
    if (w == 1) j.OffpeakPreferred().Deadline(Chance(rng, 0.3) ? kNoTime : now + Uniform(rng, 1, 48) * kHour);
    j.Held(Chance(rng, 0.04)).Preemptible(Chance(rng, 0.3));
    if (arrays > 0 && Chance(rng, 0.2)) j.Array(Uniform(rng, 0, arrays - 1));
    qb.Add(j);
  }
  s.queue = qb.Build();
  return s;
}

std::string Describe(const PendingJob& j) {
  std::ostringstream o;
  o << "job " << j.id << " (q" << j.queue << " prio " << j.priority << ", ";
  if (j.nodes > 0)
    o << j.nodes << "x" << j.gpus_per_node;
  else
    o << j.total_gpus << " flexible";
  o << ", topo " << int(j.topology) << ", window " << int(j.window) << ", limit " << j.time_limit / kMinute
    << "m)";
  return o.str();
}

Duration LimitOf(const Scenario& s, const PendingJob& j) {
  if (j.time_limit > 0) return j.time_limit;
  if (j.queue >= 0 && j.queue < static_cast<int32_t>(s.queue.queues.size()))
    return s.queue.queues[j.queue].default_time_limit;
  return 0;
}

// The window rules, written independently of window.cc. `strict`: must `j`
// be allowed to start now? Otherwise: may it? The two differ only where
// docs/architecture.md leaves room: an offpeak-preferred job without a deadline inside
// a window too short for it, or longer than every window.
bool WindowAllowsNow(const Scenario& s, const PendingJob& j, bool strict) {
  const auto& windows = s.queue.policy.offpeak;
  Duration limit = LimitOf(s, j);
  auto fits_from = [&](const TimeInterval& w, Time start) {
    return j.window_may_overrun || limit <= 0 || start + limit <= w.end;
  };
  if (j.window == Window::kAnytime) return true;
  bool inside = false;
  for (const auto& w : windows) {
    if (!w.Contains(s.now)) continue;
    inside = true;
    if (fits_from(w, s.now)) return true;
  }
  if (j.window == Window::kOffpeak) return false;
  // offpeak-preferred: without windows, or when the first window it could
  // use would finish it after its deadline, it runs now.
  if (windows.empty()) return true;
  std::optional<Time> first;
  for (const auto& w : windows) {
    if (w.end <= s.now) continue;
    Time start = std::max(w.begin, s.now);
    if (fits_from(w, start)) {
      first = start;
      break;
    }
  }
  // Longer than every window: preferred still waits for the next window.
  if (!first)
    for (const auto& w : windows)
      if (w.end > s.now) {
        first = std::max(w.begin, s.now);
        break;
      }
  if (first && *first <= s.now) return true;  // inside a window (even one too short for it)
  if (j.deadline != kNoTime) return !first || *first + std::max<Duration>(limit, 0) > j.deadline;
  return !strict && (inside || !first);
}

// What the plan leaves free. (Only GPUs that were free are taken, so a plan
// that books a busy GPU is reported by the checker, not by an assert here.)
FreeIndex FreeAfter(const Scenario& s, const Plan& plan) {
  FreeIndex after(s.cluster);
  for (const auto& p : plan.placements)
    for (const auto& a : p.nodes) {
      int32_t node = after.NodeIndex(a.node);
      if (node < 0) continue;
      std::vector<int32_t> take;
      for (int32_t g : a.gpus)
        if (std::binary_search(after.free(node).begin(), after.free(node).end(), g)) take.push_back(g);
      after.Take(node, take);
    }
  return after;
}

// Where a reserved job could start after the plan: now if it fits on what
// the plan leaves free, else when the running and newly placed jobs release
// enough (no limit: never).
std::optional<Time> EarliestStart(const Scenario& s, const Plan& plan, const PendingJob& j) {
  FreeIndex after = FreeAfter(s, plan);
  if (PlaceGang(after, j)) return s.now;
  std::map<JobId, const PendingJob*> jobs;
  for (const auto& pj : s.queue.pending) jobs[pj.id] = &pj;
  std::vector<Release> releases;
  for (const auto& r : s.cluster.running)
    releases.push_back({r.ending ? s.now : r.expected_end, &r.placement});
  for (const auto& p : plan.placements) {
    Duration limit = LimitOf(s, *jobs[p.job]);
    releases.push_back({limit > 0 ? s.now + limit : kNoTime, &p.nodes});
  }
  auto res = PlanReservation(after, releases, j, s.now);
  if (!res) return std::nullopt;
  return res->start;
}

// Does `j` fit in `after`, judged without gang.cc: per-node free counts and
// label groups, every even split (fewest nodes first, at most `splits`).
bool FitsSomewhere(const Scenario& s, const FreeIndex& after, const PendingJob& j, size_t splits) {
  int32_t largest = 0;
  for (const auto& n : s.cluster.nodes)
    if (n.schedulable) largest = std::max(largest, n.gpus_total);
  std::vector<std::pair<int32_t, int32_t>> shapes;  // (nodes, gpus per node)
  if (j.nodes > 0) {
    shapes.push_back({j.nodes, j.gpus_per_node});
  } else {
    for (int32_t n = 1; n <= j.total_gpus && shapes.size() < splits; ++n)
      if (j.total_gpus % n == 0 && j.total_gpus / n <= largest) shapes.push_back({n, j.total_gpus / n});
  }
  for (auto [n, g] : shapes) {
    if (n <= 0 || g <= 0) continue;
    if (j.topology == Topology::kSameNode && n > 1) continue;
    // Hosts per group: the cluster, each switch (named within its rack) and
    // each rack.
    std::map<std::string, int32_t> hosts;
    for (size_t i = 0; i < s.cluster.nodes.size(); ++i) {
      if (after.free_count(static_cast<int32_t>(i)) < g) continue;
      const auto& labels = s.cluster.nodes[i].labels;
      auto rack = labels.find("rack"), sw = labels.find("switch");
      ++hosts["cluster"];
      if (sw != labels.end() && !sw->second.empty())
        ++hosts["switch:" + (rack != labels.end() ? rack->second + "/" : std::string()) + sw->second];
      if (rack != labels.end() && !rack->second.empty()) ++hosts["rack:" + rack->second];
    }
    for (const auto& [group, count] : hosts) {
      if (count < n) continue;
      bool ok = n == 1 || j.topology == Topology::kAny ||
                (j.topology == Topology::kSameSwitch && group.rfind("switch:", 0) == 0) ||
                (j.topology == Topology::kSameRack && group != "cluster");
      if (ok) return true;
    }
  }
  return false;
}

struct CheckOptions {
  // The GPU-level checks: a placed GPU was free in the snapshot and is placed
  // once, and backfill never delays the reserved job. Turned off only where
  // the known futile-preemption bug
  // (CorePreemption.AFutileSearchForVictimsGivesNoBusyGpuAway) breaks them
  // all: it leaves running jobs' GPUs in the free index for the rest of the
  // cycle, so later jobs are placed on them (each further futile search
  // hands them out again) and reservations are planned on them.
  bool gpu_checks = true;
  // How many even splits of a flexible job the work-conserving check tries,
  // fewest nodes first. Known bug (CoreGang.FlexibleJobFindsTheEvenSplitThatFits):
  // ShapesFor stops after three, so a job that only fits as a wider split
  // never runs; until that is fixed the check tries three as well.
  size_t flexible_splits = SIZE_MAX;
};

// Every invariant; returns "" or the first violation.
std::string CheckPlan(const Scenario& s, const Plan& plan, CheckOptions opt = {}) {
  std::ostringstream err;
  const QueueSnapshot& q = s.queue;
  std::map<JobId, const PendingJob*> jobs;
  for (const auto& j : q.pending) jobs[j.id] = &j;
  std::map<std::string, const NodeView*> nodes;
  for (const auto& n : s.cluster.nodes) nodes[n.name] = &n;
  std::map<JobId, const RunningJob*> running;
  for (const auto& r : s.cluster.running) running[r.id] = &r;
  auto valid_queue = [&](int32_t qi) { return qi >= 0 && qi < static_cast<int32_t>(q.queues.size()); };

  // Exactly once.
  std::map<JobId, int> seen;
  for (const auto& p : plan.placements) ++seen[p.job];
  for (const auto& v : plan.pending) ++seen[v.job];
  for (JobId id : plan.never_runnable) ++seen[id];
  for (const auto& [id, count] : seen) {
    if (!jobs.count(id)) return (err << "plan mentions unknown job " << id, err.str());
    if (count != 1) return (err << Describe(*jobs[id]) << " appears " << count << " times", err.str());
  }
  for (const auto& [id, j] : jobs)
    if (!seen.count(id)) return (err << Describe(*j) << " is missing from the plan", err.str());
  for (const auto& [id, j] : jobs) {
    bool never =
        std::find(plan.never_runnable.begin(), plan.never_runnable.end(), id) != plan.never_runnable.end();
    if (valid_queue(j->queue) && never != (j->deps == DependencyState::kNeverSatisfied))
      return (err << Describe(*j) << (never ? " wrongly" : " not") << " marked never runnable", err.str());
  }
  for (const auto& v : plan.pending) {
    const PendingJob& j = *jobs[v.job];
    if (v.reason == PendingReason::kNone)
      return (err << Describe(j) << " pending without a reason", err.str());
    if (v.detail.empty()) return (err << Describe(j) << " pending without a detail", err.str());
    if (j.deps == DependencyState::kWaiting && v.reason != PendingReason::kDependency)
      return (err << Describe(j) << " waits on dependencies but pending for " << PendingReasonName(v.reason),
              err.str());
    if (j.deps == DependencyState::kMet && j.held && v.reason != PendingReason::kHeld)
      return (err << Describe(j) << " held but pending for " << PendingReasonName(v.reason), err.str());
    if (v.reason == PendingReason::kOffPeakWindow) {
      if (WindowAllowsNow(s, j, /*strict=*/true))
        return (err << Describe(j) << " must start now but waits for a window", err.str());
      if (v.eta != kNoTime && v.eta <= s.now)
        return (err << Describe(j) << " window eta not in the future", err.str());
    }
    if (v.eta != kNoTime && v.eta < s.now) return (err << Describe(j) << " eta in the past", err.str());
  }

  // Whole gangs on free GPUs of schedulable nodes, none booked twice.
  std::set<std::pair<std::string, int32_t>> used;
  std::map<int32_t, int32_t> placed_by_queue;
  std::map<int64_t, int32_t> placed_by_array;
  for (const auto& p : plan.placements) {
    const PendingJob& j = *jobs[p.job];
    if (!valid_queue(j.queue)) return (err << Describe(j) << " placed in an unknown queue", err.str());
    if (j.deps != DependencyState::kMet) return (err << Describe(j) << " placed with unmet deps", err.str());
    if (j.held) return (err << Describe(j) << " placed while held", err.str());
    if (q.queues[j.queue].paused) return (err << Describe(j) << " placed from a paused queue", err.str());
    if (!WindowAllowsNow(s, j, /*strict=*/false))
      return (err << Describe(j) << " placed outside its window", err.str());
    if (p.nodes.empty()) return (err << Describe(j) << " placed on no nodes", err.str());
    size_t gpn = p.nodes[0].gpus.size();
    int32_t total = 0;
    std::set<std::string> distinct, racks, switches;
    for (const auto& a : p.nodes) {
      auto it = nodes.find(a.node);
      if (it == nodes.end()) return (err << Describe(j) << " placed on unknown node " << a.node, err.str());
      const NodeView& n = *it->second;
      if (!n.schedulable) return (err << Describe(j) << " placed on unschedulable " << a.node, err.str());
      if (!distinct.insert(a.node).second)
        return (err << Describe(j) << " uses " << a.node << " twice", err.str());
      if (a.gpus.size() != gpn || gpn == 0) return (err << Describe(j) << " has an uneven split", err.str());
      for (int32_t g : a.gpus) {
        if (opt.gpu_checks && std::find(n.free_gpus.begin(), n.free_gpus.end(), g) == n.free_gpus.end())
          return (err << Describe(j) << " got busy/nonexistent GPU " << a.node << ":" << g, err.str());
        if (!used.insert({a.node, g}).second && opt.gpu_checks)
          return (err << Describe(j) << " double-books GPU " << a.node << ":" << g, err.str());
      }
      total += static_cast<int32_t>(a.gpus.size());
      auto rack = n.labels.find("rack"), sw = n.labels.find("switch");
      racks.insert(rack == n.labels.end() ? "" : rack->second);
      // A switch is named within its rack (free_index.h); nodes without a
      // rack label group by switch name alone.
      switches.insert(sw == n.labels.end() ? ""
                                           : (rack == n.labels.end() ? "" : rack->second) + "/" + sw->second);
    }
    if (j.nodes > 0) {
      if (static_cast<int32_t>(p.nodes.size()) != j.nodes || static_cast<int32_t>(gpn) != j.gpus_per_node)
        return (err << Describe(j) << " placed as " << p.nodes.size() << "x" << gpn, err.str());
    } else if (total != j.total_gpus) {
      return (err << Describe(j) << " placed with " << total << " GPUs", err.str());
    }
    bool multi = p.nodes.size() > 1;
    if (j.topology == Topology::kSameNode && multi) return (err << Describe(j) << " spans nodes", err.str());
    if (j.topology == Topology::kSameSwitch && multi && (switches.size() != 1 || switches.count("")))
      return (err << Describe(j) << " spans switches", err.str());
    // One switch is inside one rack, so one switch satisfies "same rack" even
    // where the nodes carry no rack label.
    bool one_switch = switches.size() == 1 && !switches.count("");
    if (j.topology == Topology::kSameRack && multi && (racks.size() != 1 || racks.count("")) && !one_switch)
      return (err << Describe(j) << " spans racks", err.str());
    placed_by_queue[j.queue] += total;
    if (j.array >= 0) ++placed_by_array[j.array];
  }

  // Quotas: running + placed never above max for a queue that got GPUs.
  std::map<int32_t, int32_t> running_by_queue;
  for (const auto& r : s.cluster.running)
    for (const auto& a : r.placement) running_by_queue[r.queue] += static_cast<int32_t>(a.gpus.size());
  for (const auto& [qi, placed] : placed_by_queue) {
    int32_t max = q.queues[qi].max_gpus;
    if (max >= 0 && running_by_queue[qi] + placed > max)
      return (err << "queue " << qi << " ends at " << running_by_queue[qi] + placed << " GPUs, max " << max,
              err.str());
  }
  for (const auto& [a, placed] : placed_by_array) {
    const ArrayLimit& lim = q.arrays[a];
    if (lim.max_running > 0 && lim.running + placed > lim.max_running)
      return (err << "array " << a << " runs " << lim.running + placed << " of max " << lim.max_running,
              err.str());
  }

  // Preemption. The policy judges "borrowing" with what queues use at that
  // point of the cycle; the checker takes the widest bounds that judgement
  // can have: the requester by running jobs only, the victim's queue with
  // everything placed too.
  for (const auto& pre : plan.preemptions) {
    auto r = running.find(pre.victim);
    if (r == running.end()) return (err << "preempts unknown job " << pre.victim, err.str());
    const RunningJob& v = *r->second;
    if (!v.preemptible) return (err << "preempts non-preemptible job " << v.id, err.str());
    if (v.ending) return (err << "preempts job " << v.id << " that is already ending", err.str());
    if (!jobs.count(pre.for_job)) return (err << "preempts for unknown job " << pre.for_job, err.str());
    const PendingJob& j = *jobs[pre.for_job];
    if (testing::FindPlacement(plan, j.id))
      return (err << Describe(j) << " both placed and preempting", err.str());
    const auto* verdict = testing::FindVerdict(plan, j.id);
    if (!verdict || verdict->detail.find("preempting") == std::string::npos)
      return (err << Describe(j) << " preempts but its verdict does not say so", err.str());
    const QueueConfig& mine = q.queues[j.queue];
    const QueueConfig& theirs = q.queues[v.queue];
    bool lower_tier = theirs.tier < mine.tier;
    int32_t need = j.nodes > 0 ? j.nodes * j.gpus_per_node : j.total_gpus;
    bool reclaim = v.queue != j.queue &&
                   running_by_queue[v.queue] + placed_by_queue[v.queue] > theirs.guaranteed_gpus &&
                   running_by_queue[j.queue] + need <= mine.guaranteed_gpus;
    if (!lower_tier && !reclaim)
      return (err << Describe(j) << " preempts job " << v.id << " of q" << v.queue << " without a right",
              err.str());
  }

  // Work conserving: with nothing held back (no reservation, no preemptor
  // waiting for its victims), a job left pending for resources fits nowhere
  // in what the plan leaves free. Free GPUs only shrink during a cycle, so
  // if it fits after the plan it fitted when its turn came.
  bool any_reservation = false;
  for (const auto& v : plan.pending) {
    any_reservation |= v.detail.rfind("reserved, starts by ", 0) == 0;
    any_reservation |= v.detail == "waiting for preempted jobs to stop";  // holds GPUs for it
  }
  if (opt.gpu_checks && !any_reservation && plan.preemptions.empty()) {
    FreeIndex after = FreeAfter(s, plan);
    for (const auto& v : plan.pending) {
      if (v.reason != PendingReason::kResources) continue;
      const PendingJob& j = *jobs[v.job];
      if (FitsSomewhere(s, after, j, opt.flexible_splits))
        return (
            err << Describe(j) << " left pending (" << v.detail << ") but fits in what the plan leaves free",
            err.str());
    }
  }

  // Backfill never delays the reserved job.
  for (const auto& v : plan.pending) {
    if (!opt.gpu_checks) break;
    if (v.detail.rfind("reserved, starts by ", 0) != 0) continue;
    const PendingJob& j = *jobs[v.job];
    if (v.eta == kNoTime) return (err << Describe(j) << " reserved without an eta", err.str());
    auto start = EarliestStart(s, plan, j);
    if (!start)
      return (err << Describe(j) << " reserved for " << v.eta << " can no longer start at all", err.str());
    if (*start > v.eta)
      return (err << Describe(j) << " reserved to start by +" << (v.eta - s.now) / kMinute
                  << "m, but after the plan"
                  << " only by +" << (*start - s.now) / kMinute << "m",
              err.str());
  }
  return "";
}

struct Coverage {
  size_t cases = 0, placed = 0, multi_node = 0, topo_placed = 0, resources = 0, reserved = 0, backfilled = 0,
         quota = 0, window = 0, dependency = 0, never = 0, held = 0, paused = 0, preemptions = 0;
};

std::string RunCase(uint32_t seed, Coverage* cov, bool preemption, CheckOptions opt = {}) {
  Scenario s = RandomScenario(seed);
  if (!preemption) s.queue.policy.max_preemption_attempts = 0;
  Plan plan = Decide(s.cluster, s.queue, s.now);
  std::string e = CheckPlan(s, plan, opt);
  if (!e.empty()) return e;
  std::string d = DiffPlans(plan, Decide(s.cluster, s.queue, s.now));
  if (!d.empty()) return "Decide is not deterministic: " + d;
  ++cov->cases;
  cov->placed += plan.placements.size();
  for (const auto& p : plan.placements) {
    cov->multi_node += p.nodes.size() > 1;
    for (const auto& j : s.queue.pending)
      if (j.id == p.job && j.topology != Topology::kAny) ++cov->topo_placed;
  }
  cov->never += plan.never_runnable.size();
  cov->preemptions += plan.preemptions.size();
  bool has_reservation = false;
  for (const auto& v : plan.pending) {
    cov->resources += v.reason == PendingReason::kResources;
    cov->quota += v.reason == PendingReason::kQuota;
    cov->window += v.reason == PendingReason::kOffPeakWindow;
    cov->dependency += v.reason == PendingReason::kDependency;
    cov->held += v.reason == PendingReason::kHeld;
    cov->paused += v.reason == PendingReason::kQueuePaused;
    if (v.detail.rfind("reserved, starts by ", 0) == 0) {
      ++cov->reserved;
      has_reservation = true;
    }
  }
  if (has_reservation) cov->backfilled += plan.placements.size();
  return "";
}

void ExpectCoverage(const Coverage& cov, double seconds, bool preemption) {
  std::printf(
      "[ cover ] %zu cases in %.2f s: %zu placed (%zu multi-node, %zu hard topology), %zu resources, "
      "%zu reserved (%zu placements beside a reservation), %zu quota, %zu window, %zu dependency, %zu never, "
      "%zu held, %zu paused, %zu preemptions\n",
      cov.cases, seconds, cov.placed, cov.multi_node, cov.topo_placed, cov.resources, cov.reserved,
      cov.backfilled, cov.quota, cov.window, cov.dependency, cov.never, cov.held, cov.paused,
      cov.preemptions);
  // The generator must exercise every outcome, or the properties prove little.
  EXPECT_GT(cov.placed, 5000u);
  EXPECT_GT(cov.multi_node, 500u);
  EXPECT_GT(cov.topo_placed, 300u);
  EXPECT_GT(cov.resources, 5000u);
  EXPECT_GT(cov.reserved, 500u);
  EXPECT_GT(cov.backfilled, 1000u);
  EXPECT_GT(cov.quota, 500u);
  EXPECT_GT(cov.window, 500u);
  EXPECT_GT(cov.dependency, 500u);
  EXPECT_GT(cov.never, 500u);
  EXPECT_GT(cov.held, 100u);
  EXPECT_GT(cov.paused, 100u);
  if (preemption) {
    EXPECT_GT(cov.preemptions, 150u);
  }
}

constexpr uint32_t kCases = 3000;

// Every invariant, strictly, on scenarios without preemption.

TEST(CoreProperty, InvariantsHoldOnRandomClustersAndQueues) {
  CheckOptions opt;
  auto t0 = std::chrono::steady_clock::now();
  Coverage cov;
  for (uint32_t seed = 1; seed <= kCases; ++seed) {
    std::string e = RunCase(seed, &cov, /*preemption=*/false, opt);
    ASSERT_EQ(e, "") << "seed " << seed << " (replay with RunCase(" << seed << ", &cov, false))";
  }
  ExpectCoverage(cov, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), false);
}

// The same scenarios with preemption, every invariant strictly.
TEST(CoreProperty, InvariantsHoldWithPreemption) {
  CheckOptions opt;
  opt.gpu_checks = true;
  auto t0 = std::chrono::steady_clock::now();
  Coverage cov;
  for (uint32_t seed = 1; seed <= kCases; ++seed) {
    std::string e = RunCase(seed, &cov, /*preemption=*/true, opt);
    ASSERT_EQ(e, "") << "seed " << seed << " (replay with RunCase(" << seed << ", &cov, true))";
  }
  ExpectCoverage(cov, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), true);
}

// Strictly, with preemption: no placement (or reservation) on GPUs a running
// job holds.
TEST(CoreProperty, WithPreemptionNoBusyGpuIsPlacedOrReserved) {
  int violations = 0;
  std::string example;
  Coverage cov;
  for (uint32_t seed = 1; seed <= kCases; ++seed) {
    CheckOptions opt;
    std::string e = RunCase(seed, &cov, /*preemption=*/true, opt);
    if (!e.empty() && ++violations == 1) example = "seed " + std::to_string(seed) + ": " + e;
  }
  EXPECT_EQ(violations, 0) << "of " << kCases << " cases; e.g. " << example;
}

// The checker itself must catch a plan that breaks each invariant.
TEST(CoreProperty, CheckerCatchesBrokenPlans) {
  Scenario s;
  s.cluster = ClusterBuilder()
                  .AddNodes(2, 4)
                  .Unschedulable("n1")
                  .AddNode("m0", 4)
                  .Run(RunningJobBuilder(50).On("m0", {0, 1}).Queue(1).Ends(kBase + kHour))
                  .Run(RunningJobBuilder(51).On("m0", {2, 3}).Preemptible().Queue(1).Ends(kBase + kHour));
  s.queue = QueueBuilder()
                .Queue(0, QueueConfigBuilder("a").Max(3))
                .Queue(1, QueueConfigBuilder("b"))
                .Add(PendingJobBuilder(1).Gang(1, 2))
                .Add(PendingJobBuilder(2).Gpus(1))
                .Add(PendingJobBuilder(3).Gpus(4).Held())
                .Add(PendingJobBuilder(4).Gang(1, 4).Queue(1))
                .Add(PendingJobBuilder(5).Gpus(1))
                .Build();
  Plan good = Decide(s.cluster, s.queue, s.now);
  ASSERT_EQ(CheckPlan(s, good), "");
  ASSERT_EQ(good.placements.size(), 2u);
  ASSERT_EQ(testing::FindVerdict(good, 5)->reason, PendingReason::kQuota);

  auto broken = [&](auto mutate) {
    Plan p = good;
    mutate(p);
    return CheckPlan(s, p);
  };
  auto drop_verdict = [](Plan& p, JobId id) {
    p.pending.erase(std::remove_if(p.pending.begin(), p.pending.end(), [&](auto& v) { return v.job == id; }),
                    p.pending.end());
  };
  auto verdict_of = [](Plan& p, JobId id) -> PendingVerdict& {
    for (auto& v : p.pending)
      if (v.job == id) return v;
    return p.pending.front();
  };
  EXPECT_NE(broken([](Plan& p) { p.placements.push_back({3, {{"n0", {0}}}}); }), "") << "twice";
  EXPECT_NE(broken([&](Plan& p) {
              drop_verdict(p, 3), p.placements.push_back({3, {{"n0", {3}}}});
            }),
            "")
      << "held";
  EXPECT_NE(broken([](Plan& p) { p.placements[0].nodes = {{"n1", {0, 1}}}; }), "") << "unschedulable";
  EXPECT_NE(broken([](Plan& p) { p.placements[0].nodes = {{"m0", {0, 1}}}; }), "") << "busy GPU";
  EXPECT_NE(broken([](Plan& p) { p.placements[1].nodes = p.placements[0].nodes; }), "") << "double booked";
  EXPECT_NE(broken([](Plan& p) { p.placements[0].nodes[0].gpus.pop_back(); }), "") << "partial gang";
  EXPECT_NE(broken([](Plan& p) { p.placements.pop_back(); }), "") << "missing job";
  EXPECT_NE(broken([](Plan& p) { p.pending[0].detail.clear(); }), "") << "no detail";
  EXPECT_NE(broken([&](Plan& p) {
              drop_verdict(p, 5), p.placements.push_back({5, {{"n0", {3}}}});
            }),
            "")
      << "quota";
  EXPECT_NE(broken([&](Plan& p) {
              p.preemptions.push_back({50, 4, "x"});
              verdict_of(p, 4).detail = "preempting job(s) 50";
            }),
            "")
      << "non-preemptible victim";
  EXPECT_NE(broken([&](Plan& p) {
              p.preemptions.push_back({51, 4, "x"});
              verdict_of(p, 4).detail = "preempting job(s) 51";
            }),
            "")
      << "no right to preempt";
}

TEST(CoreProperty, CheckerCatchesAPlanThatLeavesWorkUndone) {
  Scenario s;
  s.cluster = ClusterBuilder().AddNode("big", 8).AddNodes(6, 2).Busy("big", {0, 1, 2, 3, 4, 5, 6, 7});
  s.queue = QueueBuilder().Add(PendingJobBuilder(1).Gpus(1)).Add(PendingJobBuilder(2).Gpus(1)).Build();
  Plan good = Decide(s.cluster, s.queue, s.now);
  ASSERT_EQ(CheckPlan(s, good), "");
  Plan lazy = good;  // job 2 fits but is left pending
  lazy.placements.pop_back();
  lazy.pending.push_back({2, PendingReason::kResources, "x"});
  EXPECT_NE(CheckPlan(s, lazy), "");
  // The oracle tries every even split: 12 GPUs fit as 6x2 on the small nodes.
  s.queue = QueueBuilder().Add(PendingJobBuilder(3).Gpus(12)).Build();
  Plan idle;
  idle.pending.push_back({3, PendingReason::kResources, "x"});
  EXPECT_NE(CheckPlan(s, idle), "");
  CheckOptions three;
  three.flexible_splits = 3;
  EXPECT_EQ(CheckPlan(s, idle, three), "") << "with three splits (2x6, 3x4, 4x3) nothing fits";
}

TEST(CoreProperty, CheckerCatchesWindowViolations) {
  Scenario s;  // 16:00; tonight's window opens at 20:00
  s.cluster = ClusterBuilder().AddNodes(1, 8);
  s.queue = QueueBuilder()
                .Offpeak(kBase + 4 * kHour, kBase + 15 * kHour)
                .Add(PendingJobBuilder(1).Offpeak())
                .Add(PendingJobBuilder(2))
                .Build();
  Plan good = Decide(s.cluster, s.queue, s.now);
  ASSERT_EQ(CheckPlan(s, good), "");
  Plan early;  // the offpeak job started outside its window
  early.placements = {{1, {{"n0", {0}}}}, {2, {{"n0", {1}}}}};
  EXPECT_NE(CheckPlan(s, early), "");
  Plan held_back;  // the anytime job told to wait for a window
  held_back.pending = {{1, PendingReason::kOffPeakWindow, "eligible", kBase + 4 * kHour},
                       {2, PendingReason::kOffPeakWindow, "eligible", kBase + 4 * kHour}};
  EXPECT_NE(CheckPlan(s, held_back), "");
}

TEST(CoreProperty, CheckerCatchesABackfillThatDelaysTheReservation) {
  // Job 1 is reserved at +1h on n0; a plan that also gives its free GPUs to a
  // job without a time limit must be rejected.
  Scenario s;
  s.cluster =
      ClusterBuilder().AddNodes(1, 8).Run(RunningJobBuilder(50).On("n0", {0, 1, 2, 3}).Ends(kBase + kHour));
  s.queue = QueueBuilder().Add(PendingJobBuilder(1).Gang(1, 8)).Add(PendingJobBuilder(2).Gpus(1)).Build();
  Plan good = Decide(s.cluster, s.queue, s.now);
  ASSERT_EQ(CheckPlan(s, good), "");
  Plan bad = good;
  bad.pending.erase(
      std::remove_if(bad.pending.begin(), bad.pending.end(), [](auto& v) { return v.job == 2; }),
      bad.pending.end());
  bad.placements.push_back({2, {{"n0", {4}}}});
  EXPECT_NE(CheckPlan(s, bad), "");
}

// A preemption must not be wasted: after the plan, the preempting job fits
// on what the plan leaves free plus its victims' and ending jobs' GPUs, and
// no job is a victim twice.
std::string CheckPreemptionsPayOff(const Scenario& s, const Plan& plan) {
  std::map<JobId, const RunningJob*> running;
  for (const auto& r : s.cluster.running) running[r.id] = &r;
  std::map<JobId, const PendingJob*> jobs;
  for (const auto& j : s.queue.pending) jobs[j.id] = &j;
  std::set<JobId> victims;
  for (const auto& p : plan.preemptions)
    if (!victims.insert(p.victim).second) return "job " + std::to_string(p.victim) + " preempted twice";
  std::set<JobId> preemptors;
  for (const auto& p : plan.preemptions) preemptors.insert(p.for_job);
  for (JobId id : preemptors) {
    FreeIndex after = FreeAfter(s, plan);
    auto give = [&](const RunningJob& r) {
      for (const auto& a : r.placement)
        if (after.NodeIndex(a.node) >= 0) after.Give(after.NodeIndex(a.node), a.gpus);
    };
    for (const auto& r : s.cluster.running)
      if (r.ending) give(r);
    for (const auto& p : plan.preemptions)
      if (p.for_job == id) give(*running[p.victim]);
    if (!PlaceGang(after, *jobs[id]))
      return Describe(*jobs[id]) + " preempted jobs but still does not fit after the plan";
  }
  return "";
}

TEST(CoreProperty, PreemptionsAreNeverWasted) {
  int violations = 0, cases = 0;
  std::string example;
  for (uint32_t seed = 1; seed <= kCases; ++seed) {
    Scenario s = RandomScenario(seed);
    Plan plan = Decide(s.cluster, s.queue, s.now);
    if (plan.preemptions.empty()) continue;
    ++cases;
    std::string e = CheckPreemptionsPayOff(s, plan);
    if (!e.empty()) {
      ++violations;
      if (example.empty()) example = "seed " + std::to_string(seed) + ": " + e;
    }
  }
  EXPECT_EQ(violations, 0) << "of " << cases << " plans with preemptions; e.g. " << example;
}

}  // namespace
}  // namespace muster::core
