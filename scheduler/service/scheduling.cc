// The policy seen from musterd: build the snapshot the pure core decides on,
// then apply the plan it returns (re-checked against the live state).
#include <algorithm>
#include <chrono>
#include <sstream>
#include <unordered_map>

#include "common/base/job_spec.h"
#include "common/base/log.h"
#include "scheduler/core/policy.h"
#include "scheduler/service/server.h"

namespace muster::service {

namespace {
constexpr Duration kWindowHorizon = 8 * kDay;   // windows the core sees ahead of now
constexpr Duration kUsageSaveEvery = kMinute;   // fair-share usage is persisted this often

core::Topology ToCore(TopologyConstraint t) { return static_cast<core::Topology>(t); }
}  // namespace

core::DependencyState Server::DependencyStateOf(const Job& job) {
  for (JobId dep : job.spec.after) {
    if (active_.count(dep)) return core::DependencyState::kWaiting;
    auto d = FindJob(dep);
    if (!d || d->state != JobState::kCompleted) return core::DependencyState::kNeverSatisfied;
  }
  return core::DependencyState::kMet;
}

core::NodeView Server::ViewOf(const NodeEntry& n) const {
  core::NodeView v;
  v.name = n.node.name;
  v.labels = n.node.labels;
  v.gpus_total = static_cast<int32_t>(n.gpu_owner.size());
  // An unhealthy GPU is out of service: never free, so never placed.
  for (int32_t g = 0; g < v.gpus_total; ++g)
    if (n.gpu_owner[g] == kNoJob && (g >= static_cast<int32_t>(n.node.gpus.size()) || n.node.gpus[g].healthy))
      v.free_gpus.push_back(g);
  v.schedulable = n.node.state == NodeState::kUp && !n.identity.empty();
  return v;
}

core::ClusterSnapshot& Server::RefreshClusterSnapshot() {
  if (views_rebuild_) {
    cluster_.nodes.clear();
    cluster_.nodes.reserve(nodes_.size());
    view_index_.clear();
    for (const auto& [name, n] : nodes_) {
      view_index_[name] = cluster_.nodes.size();
      cluster_.nodes.push_back(ViewOf(n));
    }
    views_rebuild_ = false;
  } else {
    for (const auto& name : views_dirty_) {
      auto it = view_index_.find(name);
      auto nt = nodes_.find(name);
      if (it == view_index_.end() || nt == nodes_.end()) continue;  // gone since: rebuilt when the set changes
      cluster_.nodes[it->second] = ViewOf(nt->second);
    }
  }
  views_dirty_.clear();
  cluster_.running.clear();
  return cluster_;
}

const std::vector<TimeInterval>& Server::OffpeakWindows(Time now) {
  // Recomputed at most daily: the time zone rules are the expensive part.
  if (calendar_ && (windows_until_ == kNoTime || now + kWindowHorizon - kDay > windows_until_)) {
    windows_until_ = now + kWindowHorizon;
    windows_ = calendar_->Windows(now - kDay, windows_until_);
  }
  return windows_;
}

void Server::AdvanceUsage(Time now) {
  std::vector<core::UsageLedger::Charge> running;
  for (JobId id : placed_) {
    auto it = active_.find(id);
    if (it == active_.end() || it->second.job.placement.empty()) continue;
    const JobEntry& e = it->second;
    int32_t gpus = 0;
    for (const auto& a : e.job.placement) gpus += static_cast<int32_t>(a.gpus.size());
    running.push_back({e.job.spec.queue, e.job.spec.team, gpus});
  }
  usage_.Advance(now, running);
  if (usage_saved_at_ == kNoTime || now - usage_saved_at_ >= kUsageSaveEvery) {
    ws_.SetMeta("usage", SaveUsage());
    usage_saved_at_ = now;
  }
}

// "last <us>\nq <queue> <gpu-hours>\nt <queue> <team> <gpu-hours>\n":
// names cannot hold spaces (IsValidName), so spaces separate fields.
std::string Server::SaveUsage() const {
  std::ostringstream os;
  os.precision(17);
  os << "last " << usage_.last() << "\n";
  for (const auto& [q, v] : usage_.queues()) os << "q " << q << " " << v << "\n";
  for (const auto& [k, v] : usage_.teams()) os << "t " << k.first << " " << k.second << " " << v << "\n";
  return os.str();
}

void Server::LoadUsage(const std::string& text) {
  std::istringstream in(text);
  std::string kind;
  Time last = kNoTime;
  std::map<std::string, double> queues;
  std::map<std::pair<std::string, std::string>, double> teams;
  while (in >> kind) {
    if (kind == "last") {
      in >> last;
    } else if (kind == "q") {
      std::string q;
      double v;
      if (in >> q >> v) queues[q] = v;
    } else if (kind == "t") {
      std::string q, t;
      double v;
      if (in >> q >> t >> v) teams[{q, t}] = v;
    } else {
      MLOG(Warning) << "ignoring unreadable fair-share usage record";
      return;
    }
  }
  usage_.Restore(last, std::move(queues), std::move(teams));
}

bool Server::IsPlainPending(const Job& j) {
  return j.spec.window == Window::kAnytime && j.spec.after.empty() && !j.held;
}

void Server::IndexPending(const Job& j) {
  if (j.state != JobState::kPending || IsArrayParent(j)) return;
  if (IsPlainPending(j)) plain_pending_[{j.spec.queue, j.spec.team}].insert({-j.spec.priority, j.submit_time, j.id});
  else other_pending_.insert(j.id);
}

void Server::Schedule() {
  schedule_needed_ = false;
  ++stats_.schedule_cycles;
  Time now = clock_.Now();
  AdvanceUsage(now);
  ExpandArrays();

  core::QueueSnapshot q;
  q.queues.clear();
  q.queue_usage_gpu_hours.clear();
  q.teams.clear();
  std::unordered_map<std::string, int32_t> queue_index;
  for (const auto& [name, spec] : queues_) {
    queue_index[name] = static_cast<int32_t>(q.queues.size());
    q.queues.push_back({name, spec.weight, spec.guaranteed_gpus, spec.max_gpus, spec.tier,
                        spec.default_time_limit, spec.paused});
    q.queue_usage_gpu_hours.push_back(usage_.Queue(name));
  }
  std::map<std::pair<int32_t, std::string>, int32_t> team_index;
  auto team_of = [&](int32_t queue, const std::string& team) {
    auto [it, added] = team_index.emplace(std::make_pair(queue, team), static_cast<int32_t>(q.teams.size()));
    if (added) q.teams.push_back({team, queue, usage_.Team(q.queues[queue].name, team)});
    return it->second;
  };
  auto index_of_queue = [&](const std::string& name) {
    auto it = queue_index.find(name);
    return it == queue_index.end() ? -1 : it->second;
  };

  core::ClusterSnapshot& cluster = RefreshClusterSnapshot();
  for (JobId id : placed_) {
    auto pt = active_.find(id);
    if (pt == active_.end() || pt->second.job.placement.empty()) continue;
    const Job& j = pt->second.job;
    core::RunningJob r;
    r.id = id;
    r.queue = index_of_queue(j.spec.queue);
    r.team = r.queue >= 0 ? team_of(r.queue, j.spec.team) : 0;
    r.priority = j.spec.priority;
    r.preemptible = j.spec.preemptible;
    r.ending = j.ending.has_value();
    r.start_time = j.start_time;
    r.expected_end = j.spec.time_limit > 0 ? j.start_time + j.spec.time_limit : kNoTime;
    r.placement = j.placement;
    cluster.running.push_back(std::move(r));
  }

  // Array caps: every array with tasks in play, and how many are placed.
  std::map<JobId, int32_t> array_index;
  for (const auto& [id, e] : active_) {
    if (array_active_.empty()) break;  // no array task exists
    if (e.job.array_job == kNoJob) continue;
    auto [it, added] = array_index.emplace(e.job.array_job, static_cast<int32_t>(q.arrays.size()));
    if (added) {
      auto parent = active_.find(e.job.array_job);
      int32_t cap = 0;
      if (parent != active_.end())
        if (auto spec = ParseArraySpec(parent->second.job.spec.array); spec.ok()) cap = spec->max_running;
      q.arrays.push_back({cap, 0});
    }
    if (!e.job.placement.empty()) ++q.arrays[it->second].running;
  }

  // A deep queue: the core sees per queue and team only the first
  // `queue_depth` plain jobs (anytime, no dependencies, not held) in its own
  // order (priority, age, id), plus every other pending job; once a second a
  // full cycle looks deeper, `full_queue_depth` jobs, for backfill and fresh
  // pending reasons, and as many again from further back, a different slice
  // each time, so that a job stuck behind jobs that can never run (over a
  // queue's cap, wider than any node) is still seen within a few seconds.
  // Slurm's default_queue_depth and bf_max_job_test bound cycles the same
  // way; without the bounds a cycle over 300,000 pending jobs held musterd's
  // loop for ~280 ms.
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  bool full_cycle =
      options_.queue_depth == 0 || pending_index_stale_ || now_us - last_full_cycle_us_ >= kFullCycleEveryUs;
  size_t depth = options_.queue_depth;  // 0: all
  if (full_cycle && depth != 0)
    depth = options_.full_queue_depth == 0 ? 0 : std::max(options_.full_queue_depth, options_.queue_depth);
  if (full_cycle && pending_index_stale_) {
    // After recovery: index every pending job once; from then on the index
    // is kept as jobs come, go and move, and cleaned by the walks below.
    plain_pending_.clear();
    other_pending_.clear();
    for (auto& [id, e] : active_) IndexPending(e.job);
    pending_index_stale_ = false;
  }
  std::vector<JobEntry*> considered;
  for (auto it = other_pending_.begin(); it != other_pending_.end();) {
    auto jt = active_.find(*it);
    if (jt == active_.end() || jt->second.job.state != JobState::kPending || IsArrayParent(jt->second.job) ||
        IsPlainPending(jt->second.job)) {
      it = other_pending_.erase(it);  // stale: ended, placed, or plain now (indexed there)
      continue;
    }
    considered.push_back(&jt->second);
    ++it;
  }
  bool unseen = false;
  for (auto qt = plain_pending_.begin(); qt != plain_pending_.end();) {
    auto& [key, jobs] = *qt;
    size_t taken = 0, sliced = 0;
    std::string behind;  // the reason of the jobs past the depth, built once per queue and team
    // Where this full cycle's slice past the depth starts: after the last
    // slice's end, or from the depth again once the last slice reached the end.
    auto cursor = deep_cursor_.find(key);
    std::optional<PendingKey> slice_after;
    if (cursor != deep_cursor_.end()) slice_after = cursor->second;
    std::optional<PendingKey> slice_end;
    // A full cycle walks every entry: it drops the stale ones and tells the
    // jobs past the depth why they wait. Between, the walk stops at the depth.
    for (auto it = jobs.begin(); it != jobs.end() && (full_cycle || depth == 0 || taken < depth);) {
      auto [neg_priority, submit_time, id] = *it;
      auto jt = active_.find(id);
      Job* j = jt == active_.end() ? nullptr : &jt->second.job;
      if (!j || j->state != JobState::kPending || IsArrayParent(*j) || !IsPlainPending(*j) ||
          j->spec.priority != -neg_priority || j->submit_time != submit_time || j->spec.queue != key.first ||
          j->spec.team != key.second) {
        it = jobs.erase(it);  // stale: its current entry, if any, is elsewhere
        continue;
      }
      if (depth == 0 || taken < depth) {
        considered.push_back(&jt->second);
        ++taken;
      } else if (full_cycle && sliced < depth && (!slice_after || *it > *slice_after)) {
        considered.push_back(&jt->second);
        ++sliced;
        slice_end = *it;
      } else {
        if (behind.empty())
          behind = "behind the first " + std::to_string(depth) + " jobs of queue " + key.first +
                   (key.second.empty() ? "" : ", team " + key.second) + "; the jobs behind are looked at " +
                   std::to_string(depth) + " at a time, in turn";
        j->reason = PendingReason::kPriority;  // derived, not persisted
        j->reason_detail = behind;              // a copy into the capacity it already has
      }
      ++it;
    }
    if (full_cycle) {
      if (sliced == depth && depth != 0 && slice_end) deep_cursor_[key] = *slice_end;
      else if (cursor != deep_cursor_.end()) deep_cursor_.erase(cursor);  // the end: start over
    }
    // Jobs left behind by a cycle get the next full cycle, even if nothing
    // else happens by then.
    if (depth != 0 && jobs.size() > (full_cycle ? 2 * depth : depth)) unseen = true;
    if (jobs.empty()) deep_cursor_.erase(key);
    qt = jobs.empty() ? plain_pending_.erase(qt) : std::next(qt);
  }
  if (full_cycle) last_full_cycle_us_ = now_us;
  full_cycle_owed_ = unseen || (!full_cycle && full_cycle_owed_);
  std::sort(considered.begin(), considered.end(), [](const JobEntry* a, const JobEntry* b) { return a->job.id < b->job.id; });
  for (JobEntry* entry : considered) {
    JobEntry& e = *entry;
    JobId id = e.job.id;
    const Job& j = e.job;
    const JobSpec& s = j.spec;
    core::PendingJob p;
    p.id = id;
    p.priority = s.priority;
    p.submit_time = j.submit_time;
    p.nodes = s.nodes;
    p.gpus_per_node = s.gpus_per_node;
    p.total_gpus = s.total_gpus;
    p.deps = s.after.empty() ? core::DependencyState::kMet : DependencyStateOf(j);
    p.queue = index_of_queue(s.queue);
    p.team = p.queue >= 0 ? team_of(p.queue, s.team) : 0;
    p.time_limit = s.time_limit;
    p.window = s.window;
    p.deadline = s.deadline;
    p.window_may_overrun = s.window_may_overrun;
    p.held = j.held;
    p.preemptible = s.preemptible;
    p.topology = ToCore(s.topology);
    if (j.array_job != kNoJob) p.array = array_index.at(j.array_job);
    q.pending.push_back(p);
  }
  if (q.pending.empty()) return;
  q.policy.backfill = options_.backfill;
  q.policy.offpeak = OffpeakWindows(now);

  core::Plan plan = core::Decide(cluster, q, now);

  for (JobId id : plan.never_runnable) FailNeverRunnable(id);
  for (const auto& p : plan.preemptions) {
    auto it = active_.find(p.victim);
    if (it == active_.end() || it->second.job.placement.empty() || it->second.job.ending) continue;
    TearDown(it->second, JobState::kPreempted, /*requeue=*/true, p.why);
  }
  for (auto& p : plan.placements) {
    auto it = active_.find(p.job);
    if (it == active_.end() || it->second.job.state != JobState::kPending) continue;
    // Re-check the plan against the state it will change (STYLE.md 2).
    bool still_free = true;
    for (const auto& a : p.nodes) {
      auto nt = nodes_.find(a.node);
      if (nt == nodes_.end() || nt->second.identity.empty() || nt->second.node.state != NodeState::kUp) {
        still_free = false;
        break;
      }
      for (int32_t g : a.gpus)
        if (g < 0 || g >= static_cast<int32_t>(nt->second.gpu_owner.size()) || nt->second.gpu_owner[g] != kNoJob)
          still_free = false;
    }
    if (!still_free) {
      schedule_needed_ = true;  // stale: retry next turn
      continue;
    }
    Launch(it->second, std::move(p.nodes));
  }
  // Arrays create their tasks a few per cycle (ExpandArrays): while this
  // cycle placed work and an array still has tasks to create, run another,
  // so a 10,000-task array dispatches as fast as GPUs allow rather than a
  // few tasks per event.
  if (!plan.placements.empty() && !array_parents_.empty()) schedule_needed_ = true;
  next_wakeup_ = kNoTime;
  for (auto& v : plan.pending) {
    auto it = active_.find(v.job);
    if (it == active_.end()) continue;
    it->second.job.reason = v.reason;  // derived, recomputed each cycle: not persisted
    it->second.job.reason_detail = std::move(v.detail);
    if (v.eta != kNoTime && v.eta > now && (next_wakeup_ == kNoTime || v.eta < next_wakeup_)) next_wakeup_ = v.eta;
  }
}

}  // namespace muster::service
