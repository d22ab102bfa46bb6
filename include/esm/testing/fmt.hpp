#pragma once
/// \file esm/testing/fmt.hpp
/// `fmt::formatter` specializations for esm::testing's reports, so `fmt::print("{}", rec)` prints
/// what `to_string` does:
///
/// | type | renders as |
/// |---|---|
/// | `esm::testing::recorded_invocation` | `#3 t=30s..t=30010ms attempt=2 shardId-000000000000 [k1:1 k1:2]
/// function_error (std::runtime_error: boom)` | | `esm::testing::recorder` | `2 invocation(s)` and one line per
/// invocation | | `esm::testing::violation` | `order_per_key at t=…: <id> (key g1): …; invocations #1 #4; replay with
/// seed 1` | | `esm::testing::invariant_report` | `ok (12 checks)`, or one line per violation with its invocations | |
/// `esm::testing::hazard_report` | the table of hazards and properties |

#include <esm/fmt.hpp>
#include <esm/testing/hazards.hpp>
#include <esm/testing/invariants.hpp>
#include <esm/testing/recorder.hpp>

template <>
struct fmt::formatter<esm::testing::recorded_invocation>
    : esm::detail::to_string_formatter<esm::testing::recorded_invocation> {};
template <>
struct fmt::formatter<esm::testing::recorder> : esm::detail::to_string_formatter<esm::testing::recorder> {};
template <>
struct fmt::formatter<esm::testing::violation> : esm::detail::to_string_formatter<esm::testing::violation> {};
template <>
struct fmt::formatter<esm::testing::invariant_report>
    : esm::detail::to_string_formatter<esm::testing::invariant_report> {};
template <>
struct fmt::formatter<esm::testing::hazard_report> : esm::detail::to_string_formatter<esm::testing::hazard_report> {};
