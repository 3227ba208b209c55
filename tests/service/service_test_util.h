// What the in-process service tests share.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/service/harness.h"

namespace muster::testing {

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The causes of a job's events, in order, joined by " | ".
inline std::string Causes(const std::vector<JobEvent>& events) {
  std::string out;
  for (const auto& e : events) out += (out.empty() ? "" : " | ") + e.cause;
  return out;
}

// The states a job went through, in order ("PENDING RUNNING ...").
inline std::string States(const std::vector<JobEvent>& events) {
  std::string out;
  for (const auto& e : events) out += (out.empty() ? "" : " ") + std::string(JobStateName(e.to));
  return out;
}

// The error musterd answered, or an empty Error when it answered something else.
inline wire::Error ErrorOf(const wire::Body& reply) {
  if (auto* e = std::get_if<wire::Error>(&reply)) return *e;
  return {};
}

// Free GPUs of `node` as `muster nodes` shows them.
inline int FreeGpus(Harness& h, const std::string& node) {
  wire::Body reply = h.Call(wire::ListNodes{});
  for (const auto& n : std::get<wire::NodeList>(reply).nodes)
    if (n.node.name == node) return n.gpus_free;
  return -1;
}

}  // namespace muster::testing
