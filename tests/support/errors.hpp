#pragma once
// Test helper: the message of the exception a callable throws, so a test can compare an error's
// whole text ("batch_size must be in [1, 10000] for ..., got 0").
#include <exception>
#include <string>
#include <type_traits>

#include <esm/core/error.hpp>

namespace esm_test {

/// The `what()` of the `E` that `f()` throws; "no <kind>" when it throws nothing. An exception of
/// another type propagates (the test then fails on it).
template <class E = std::exception, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return std::is_same_v<E, esm::config_error> ? "no config_error" : "no exception";
}

/// The message of the `esm::config_error` that `f()` throws, or "no config_error".
template <class F>
std::string config_error_of(F&& f) {
  return error_of<esm::config_error>(f);
}

} // namespace esm_test
