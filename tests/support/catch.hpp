#pragma once
// One include for Catch2 v2 (Debian 2.13) and v3.
#if defined(ESM_CATCH_V3)
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif

#include <esm/core/time.hpp>

namespace Catch {
/// Time points print as `t=1500ms` in failed assertions.
template <>
struct StringMaker<esm::time_point> {
  static std::string convert(esm::time_point t) { return esm::to_string(t); }
};
/// Durations print as `1500ms` in failed assertions.
template <>
struct StringMaker<esm::duration> {
  static std::string convert(esm::duration d) { return esm::to_string(d); }
};
} // namespace Catch
