// Every deadline of an event loop in one place (docs/architecture.md "Time").
// A timer is named by its kind (an enum of the loop: "gang reservation",
// "time limit", "heartbeat", ...) and an id (a job, a waiter, ...); arming a
// named timer again moves it, so "at most one per name" holds by
// construction. Times are the loop's monotonic clock (Clock::MonotonicNow).
//
// The loop asks NextDue() for its poll timeout and pops what is due after
// each wait; nothing else keeps a deadline. O(log n) per operation.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace muster {

template <typename Kind>
class TimerQueue {
 public:
  struct Key {
    Kind kind{};
    uint64_t id = 0;
    auto operator<=>(const Key&) const = default;
  };

  // Arms (or moves) timer (kind, id) to fire at `due`.
  void Arm(Kind kind, uint64_t id, int64_t due) {
    const Key key{kind, id};
    auto [it, added] = due_of_.try_emplace(key, due);
    if (!added) {
      by_due_.erase({it->second, key});
      it->second = due;
    }
    by_due_.insert({due, key});
  }
  // Whether it was armed.
  bool Disarm(Kind kind, uint64_t id) {
    auto it = due_of_.find(Key{kind, id});
    if (it == due_of_.end()) return false;
    by_due_.erase({it->second, it->first});
    due_of_.erase(it);
    return true;
  }
  bool Armed(Kind kind, uint64_t id) const { return due_of_.count(Key{kind, id}) != 0; }
  std::optional<int64_t> DueOf(Kind kind, uint64_t id) const {
    auto it = due_of_.find(Key{kind, id});
    if (it == due_of_.end()) return std::nullopt;
    return it->second;
  }
  // The earliest due time; nullopt when nothing is armed.
  std::optional<int64_t> NextDue() const {
    if (by_due_.empty()) return std::nullopt;
    return by_due_.begin()->first;
  }
  // Removes and returns the earliest timer due at `now` (due <= now), in due
  // order (ties by kind, then id); nullopt when none is due.
  std::optional<Key> PopDue(int64_t now) {
    if (by_due_.empty() || by_due_.begin()->first > now) return std::nullopt;
    Key key = by_due_.begin()->second;
    by_due_.erase(by_due_.begin());
    due_of_.erase(key);
    return key;
  }
  size_t size() const { return due_of_.size(); }
  bool empty() const { return due_of_.empty(); }

 private:
  std::set<std::pair<int64_t, Key>> by_due_;
  std::map<Key, int64_t> due_of_;
};

}  // namespace muster
