#include "scheduler/input/pending_queue.h"

#include <algorithm>

namespace muster::input {

void PendingQueue::Add(const PendingEntry& e) {
  if (e.plain)
    plain_[{e.queue, e.team}].insert(KeyOf(e));
  else
    other_.insert(e.id);
}

void PendingQueue::Clear() {
  plain_.clear();
  other_.clear();
  deep_cursor_.clear();
}

size_t PendingQueue::plain_entries() const {
  size_t n = 0;
  for (const auto& [team, keys] : plain_) n += keys.size();
  return n;
}

PendingQueue::Selection PendingQueue::Select(int64_t now_us, const Lookup& lookup, const Behind& behind) {
  Selection out;
  out.full = options_.depth == 0 || last_full_us_ < 0 || now_us - last_full_us_ >= options_.full_every_us;
  size_t depth = options_.depth;  // 0: all
  if (out.full && depth != 0)
    depth = options_.full_depth == 0 ? 0 : std::max(options_.full_depth, options_.depth);

  for (auto it = other_.begin(); it != other_.end();) {
    auto cur = lookup(*it);
    if (!cur || cur->plain) {
      it = other_.erase(it);  // stale: ended, placed, or plain now (indexed there)
      continue;
    }
    out.jobs.push_back(*it);
    ++it;
  }
  for (auto qt = plain_.begin(); qt != plain_.end();) {
    auto& [team, keys] = *qt;
    size_t taken = 0, sliced = 0;
    std::string why;  // built once per queue and team
    // Where this full cycle's slice past the depth starts: after the last
    // slice's end, or from the depth again once the last slice reached the end.
    auto cursor = deep_cursor_.find(team);
    std::optional<Key> slice_after;
    if (cursor != deep_cursor_.end()) slice_after = cursor->second;
    std::optional<Key> slice_end;
    // A full cycle walks every entry: it drops the stale ones and tells the
    // jobs past the depth why they wait. Between, the walk stops at the depth.
    for (auto it = keys.begin(); it != keys.end() && (out.full || depth == 0 || taken < depth);) {
      auto [neg_priority, submit_time, id] = *it;
      auto cur = lookup(id);
      if (!cur || !cur->plain || cur->priority != -neg_priority || cur->submit_time != submit_time ||
          cur->queue != team.first || cur->team != team.second) {
        it = keys.erase(it);  // stale: its current entry, if any, is elsewhere
        continue;
      }
      if (depth == 0 || taken < depth) {
        out.jobs.push_back(id);
        ++taken;
      } else if (out.full && sliced < depth && (!slice_after || *it > *slice_after)) {
        out.jobs.push_back(id);
        ++sliced;
        slice_end = *it;
      } else if (behind) {
        if (why.empty())
          why = "behind the first " + std::to_string(depth) + " jobs of queue " + team.first +
                (team.second.empty() ? "" : ", team " + team.second) + "; the jobs behind are looked at " +
                std::to_string(depth) + " at a time, in turn";
        behind(id, why);
      }
      ++it;
    }
    if (out.full) {
      if (sliced == depth && depth != 0 && slice_end)
        deep_cursor_[team] = *slice_end;
      else if (cursor != deep_cursor_.end())
        deep_cursor_.erase(cursor);  // the end: start over
    }
    // Jobs left behind by a cycle get the next full cycle, even if nothing
    // else happens by then.
    if (depth != 0 && keys.size() > (out.full ? 2 * depth : depth)) out.unseen = true;
    if (keys.empty()) deep_cursor_.erase(team);
    qt = keys.empty() ? plain_.erase(qt) : std::next(qt);
  }
  if (out.full) last_full_us_ = now_us;
  std::sort(out.jobs.begin(), out.jobs.end());
  return out;
}

}  // namespace muster::input
