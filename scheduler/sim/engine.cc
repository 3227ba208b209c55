#include "scheduler/sim/engine.h"

#include <algorithm>
#include <queue>

#include "scheduler/input/core_input.h"
#include "scheduler/sim/sim_core.h"

namespace muster::sim {
namespace {

enum class EventKind : uint8_t { kComplete = 0, kTimeLimit = 1, kGraceEnd = 2, kWakeup = 3 };

struct Event {
  Time at;
  EventKind kind;
  int32_t job;
  int32_t attempt;
  uint64_t seq;
  // priority_queue is a max-heap: "greater" comes out last.
  bool operator<(const Event& o) const {
    if (at != o.at) return at > o.at;
    if (kind != o.kind) return kind > o.kind;
    return seq > o.seq;
  }
};

// After this many wake-ups in a row with nothing running, nothing arriving
// and nothing started, the remaining jobs can never run: stop.
constexpr int kMaxIdleWakeups = 10000;

// One policy's run over the workload.
class RunLoop {
 public:
  RunLoop(const Workload& w, const std::vector<NodeSpec>& nodes, const EngineOptions& o, SimPolicy& policy,
          ProgressSink* progress)
      : w_(w),
        o_(o),
        policy_(policy),
        progress_(progress),
        cluster_(nodes),
        timeline_(w.calendar, w.jobs.empty() ? 0 : w.jobs.front().submit),
        view_{w, out_.runs, cluster_, pending_, kNoTime} {
    out_.runs.resize(w.jobs.size());
    for (size_t i = 0; i < w.jobs.size(); ++i) out_.runs[i].remaining = w.jobs[i].duration;
    out_.total_gpus = cluster_.total_gpus();
    out_.bucket = std::max<Duration>(o.util_bucket, kSecond);
    if (!w.jobs.empty()) out_.first_submit = last_ = w.jobs.front().submit;
  }

  RunOutcome Go() {
    const std::string name = policy_.name();
    size_t next_arrival = 0;
    int idle_wakeups = 0;
    while (true) {
      Time t = kNoTime;
      if (next_arrival < w_.jobs.size()) t = w_.jobs[next_arrival].submit;
      if (!events_.empty() && (t == kNoTime || events_.top().at < t)) t = events_.top().at;
      if (t == kNoTime) break;
      AdvanceTo(t);
      clock_.Set(t);
      view_.now = clock_.Now();
      policy_.BeforeBatch(view_);
      Changes changes;
      bool only_wakeups = true;
      while (!events_.empty() && events_.top().at == t) {
        Event e = events_.top();
        events_.pop();
        ++out_.stats.events;
        if (e.kind != EventKind::kWakeup) only_wakeups = false;
        Handle(e, &changes);
      }
      for (; next_arrival < w_.jobs.size() && w_.jobs[next_arrival].submit == t; ++next_arrival) {
        ++out_.stats.events;
        only_wakeups = false;
        Arrive(static_cast<int32_t>(next_arrival));
        changes.arrivals = true;
      }
      ++out_.stats.batches;
      Actions actions;
      policy_.Decide(view_, changes, &actions);
      if (actions.consulted) ++out_.stats.decisions;
      Apply(actions);
      // Stop when only wake-ups are left and they can no longer help.
      bool nothing_else =
          events_.empty() && next_arrival >= w_.jobs.size() && cluster_.snapshot().running.empty();
      idle_wakeups = (only_wakeups && nothing_else && actions.starts.empty()) ? idle_wakeups + 1 : 0;
      if (actions.wakeup) {
        Time at = *actions.wakeup;
        if (at == kNoTime || at <= t || idle_wakeups >= kMaxIdleWakeups) {
          wakeup_at_ = kNoTime;  // a queued wake-up event for the old time is ignored
        } else if (at != wakeup_at_) {
          wakeup_at_ = at;
          Push(at, EventKind::kWakeup, -1, 0);
        }
      }
      if (progress_ && (out_.stats.batches & 4095) == 0) progress_->Update(name, finished_, w_.jobs.size());
    }
    for (const auto& r : out_.runs)
      if (r.phase != Phase::kDone) ++out_.unfinished;
    if (progress_) progress_->Done(name);
    return std::move(out_);
  }

 private:
  void Push(Time at, EventKind kind, int32_t job, int32_t attempt) {
    events_.push(Event{at, kind, job, attempt, seq_++});
  }

  // Integrates GPUs held over [last_, t) into the totals and buckets.
  void AdvanceTo(Time t) {
    if (t <= last_) return;
    if (busy_ > 0) {
      out_.busy_gpu_us += static_cast<double>(busy_) * static_cast<double>(t - last_);
      Time from = last_;
      while (from < t) {
        size_t b = static_cast<size_t>((from - out_.first_submit) / out_.bucket);
        Time bucket_end = out_.first_submit + static_cast<Time>(b + 1) * out_.bucket;
        Time to = std::min(t, bucket_end);
        if (out_.busy_by_bucket.size() <= b) out_.busy_by_bucket.resize(b + 1, 0.0);
        out_.busy_by_bucket[b] += static_cast<double>(busy_) * static_cast<double>(to - from);
        from = to;
      }
    }
    last_ = t;
  }

  void Handle(const Event& e, Changes* changes) {
    if (e.kind == EventKind::kWakeup) {
      if (e.at == wakeup_at_) {
        changes->wakeup = true;
        wakeup_at_ = kNoTime;
      }
      return;
    }
    JobRun& r = out_.runs[e.job];
    if (r.attempt != e.attempt) return;  // from an attempt that was preempted
    switch (e.kind) {
      case EventKind::kComplete:
      case EventKind::kTimeLimit:
        if (r.phase != Phase::kRunning) return;
        Finish(e.job, e.kind == EventKind::kTimeLimit);
        changes->freed = true;
        break;
      case EventKind::kGraceEnd:
        if (r.phase != Phase::kStopping) return;
        Release(e.job);
        r.phase = Phase::kPending;
        r.pending_since = view_.now;
        pending_.insert(std::lower_bound(pending_.begin(), pending_.end(), e.job), e.job);
        policy_.OnPending(view_, e.job);
        changes->freed = true;
        changes->arrivals = true;
        break;
      default:
        break;
    }
  }

  void Arrive(int32_t j) {
    JobRun& r = out_.runs[j];
    r.phase = Phase::kPending;
    r.pending_since = view_.now;
    pending_.push_back(j);  // ids grow with submit time: stays sorted
    policy_.OnPending(view_, j);
  }

  // Executed time of the current attempt, up to now, into the counters.
  Duration CloseSegment(int32_t j) {
    JobRun& r = out_.runs[j];
    const SimJob& job = w_.jobs[j];
    Duration done = view_.now - r.attempt_start;
    r.attained += done * job.gpus;
    if (job.window != Window::kAnytime) {
      out_.deferrable_run_gpu_us += static_cast<double>(done) * job.gpus;
      out_.deferrable_offpeak_gpu_us +=
          static_cast<double>(timeline_.Overlap(r.attempt_start, view_.now)) * job.gpus;
    }
    return done;
  }

  void Release(int32_t j) {
    cluster_.Release(w_.jobs[j].id);
    busy_ -= w_.jobs[j].gpus;
    out_.runs[j].placement.clear();
    policy_.OnReleased(view_, j);
  }

  void Finish(int32_t j, bool timeout) {
    JobRun& r = out_.runs[j];
    Duration done = CloseSegment(j);
    r.remaining = std::max<Duration>(0, r.remaining - done);
    r.phase = Phase::kDone;
    r.finish = view_.now;
    r.timed_out = timeout;
    if (timeout) ++out_.timeouts;
    out_.last_finish = std::max(out_.last_finish, view_.now);
    ++finished_;
    policy_.OnStopped(view_, j);
    Release(j);
  }

  void Preempt(int32_t j) {
    JobRun& r = out_.runs[j];
    if (r.phase != Phase::kRunning) return;
    Duration done = CloseSegment(j);
    // Back to the last checkpoint: at most the configured overhead is lost,
    // and never more than this attempt did.
    Duration lost = std::min(o_.restart_overhead, done);
    r.remaining = r.remaining - done + lost;
    r.phase = Phase::kStopping;
    ++r.preemptions;
    ++out_.preemptions;
    cluster_.MarkEnding(w_.jobs[j].id);
    policy_.OnStopped(view_, j);
    Push(view_.now + o_.grace, EventKind::kGraceEnd, j, r.attempt);
  }

  void StartJob(Start& s) {
    int32_t j = s.job;
    if (j < 0 || j >= static_cast<int32_t>(w_.jobs.size())) {
      ++out_.stats.stale_starts;
      return;
    }
    JobRun& r = out_.runs[j];
    const SimJob& job = w_.jobs[j];
    int32_t gpus = 0;
    for (const auto& a : s.placement) gpus += static_cast<int32_t>(a.gpus.size());
    // Re-check the plan against the state it changes (docs/architecture.md principle 2).
    if (r.phase != Phase::kPending || gpus != job.gpus || !cluster_.AllFree(s.placement)) {
      ++out_.stats.stale_starts;
      return;
    }
    r.phase = Phase::kRunning;
    ++r.attempt;
    r.attempt_start = view_.now;
    r.pending_total += view_.now - r.pending_since;
    if (r.first_start == kNoTime) r.first_start = view_.now;
    r.placement = s.placement;
    cluster_.Allocate(input::RunningJobOf(job.id, SpecOf(job, w_), view_.now, /*ending=*/false,
                                          std::move(s.placement), job.queue, job.team));
    busy_ += job.gpus;
    started_any_ = true;
    if (o_.kill_at_time_limit && job.time_limit > 0 && job.time_limit < r.remaining) {
      Push(view_.now + job.time_limit, EventKind::kTimeLimit, j, r.attempt);
    } else {
      Push(view_.now + r.remaining, EventKind::kComplete, j, r.attempt);
    }
    policy_.OnStarted(view_, j);
  }

  void Apply(Actions& a) {
    for (int32_t j : a.preempt)
      if (j >= 0 && j < static_cast<int32_t>(w_.jobs.size())) Preempt(j);
    if (a.starts.empty()) return;
    for (auto& s : a.starts) StartJob(s);
    // Drop the started jobs from the pending list in one pass.
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [&](int32_t j) { return out_.runs[j].phase != Phase::kPending; }),
                   pending_.end());
  }

  const Workload& w_;
  const EngineOptions& o_;
  SimPolicy& policy_;
  ProgressSink* progress_;
  RunOutcome out_;
  ClusterState cluster_;
  OffpeakTimeline timeline_;
  std::vector<int32_t> pending_;
  SimView view_;
  ManualClock clock_;  // the only time there is: it moves from event to event
  std::priority_queue<Event> events_;
  uint64_t seq_ = 0;
  Time last_ = kNoTime;
  Time wakeup_at_ = kNoTime;
  int64_t busy_ = 0;
  int64_t finished_ = 0;
  bool started_any_ = false;
};

}  // namespace

Engine::Engine(const Workload& workload, const std::vector<NodeSpec>& nodes, const EngineOptions& options)
    : workload_(workload), nodes_(nodes), options_(options) {}

RunOutcome Engine::Run(SimPolicy& policy, ProgressSink* progress) {
  return RunLoop(workload_, nodes_, options_, policy, progress).Go();
}

}  // namespace muster::sim
