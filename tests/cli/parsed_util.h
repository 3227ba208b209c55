// Reading a Parsed<T> in parser tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "scheduler/cli/args.h"

namespace muster::cli {

// The usage error's message, or a marker that there was none.
template <typename T>
std::string ErrorOf(const Parsed<T>& p) {
  auto* e = std::get_if<UsageError>(&p);
  return e ? e->message : "<no usage error>";
}

// The value (a test failure and T{} when there is none). By value: the
// Parsed is usually a temporary.
template <typename T>
T ValueOf(const Parsed<T>& p) {
  if (auto* e = std::get_if<UsageError>(&p)) ADD_FAILURE() << e->message;
  return IsValue(p) ? std::get<T>(p) : T{};
}

}  // namespace muster::cli
