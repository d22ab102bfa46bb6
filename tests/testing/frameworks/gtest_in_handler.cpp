// GoogleTest assertions inside a handler (issue 15 point 3). ASSERT_* records the failure and
// returns from the handler; stop_when(sim, HasFatalFailure, h) then ends the run, so the test
// stops at the first failed assertion. tests/testing/frameworks/CMakeLists.txt checks the report
// of `handler.assert_fails` (expected to fail) and runs `handler.passes`.
#include <esm/esm.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/testing/escape.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {
using kinesis = esm::kinesis_stream<std::string>;
using batch = esm::stream_batch<kinesis::record_type>;

int run_with(std::size_t expected) {
  esm::simulation sim;
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  s.put("k", "one record");
  int calls = 0;
  auto check = [&](const batch& b) {
    ++calls;
    ASSERT_EQ(b.size(), expected);
  };
  esm::stream_poller p{s, fn,
                       esm::testing::stop_when(
                           sim, [] { return ::testing::Test::HasFatalFailure(); }, check),
                       esm::stream_retry{.max_attempts = 2}, esm::starting_position::trim_horizon()};
  try {
    sim.run_until_idle();
  } catch (...) {
    std::printf("handler invocations: %d\n", calls);
    throw;
  }
  return calls;
}
} // namespace

TEST(handler, assert_fails) { run_with(3); }

TEST(handler, passes) { EXPECT_EQ(run_with(1), 1); }
