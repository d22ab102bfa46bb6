// Tests of esm/testing/fmt.hpp: fmt prints the test kit's reports as their to_string does.
#include <esm/testing/fmt.hpp>
#include <esm/testing/scripted.hpp>

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "support/catch.hpp"

using namespace std::chrono_literals;

TEST_CASE("fmt formats recorders, invocations, violations and reports as to_string does", "[testing][fmt]") {
  esm::simulation sim;
  esm::kinesis_stream<std::string> s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  esm::testing::recorder rec{sim};
  s.put("k1", "x");
  esm::stream_poller p{
      s, fn,
      rec.wrap(esm::testing::fail_always([](const esm::stream_batch<esm::kinesis_stream<std::string>::record_type>&) {},
                                         std::runtime_error("boom"))),
      esm::stream_retry{.max_attempts = 0}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(fmt::format("{}", rec) == rec.to_string());
  CHECK(fmt::format("{}", rec.invocation(0)) ==
        "#0 t=0s..t=10ms attempt=1 shardId-000000000000 [k1:1] function_error (std::runtime_error: boom)");
  esm::testing::invariants inv{sim, rec};
  inv.at_least_once([] { return 0; });
  const auto report = inv.check();
  REQUIRE(report.violations.size() == 1);
  CHECK(fmt::format("{}", report) == report.to_string());
  CHECK(fmt::format("{}", report.violations[0]) == esm::testing::to_string(report.violations[0]));
  CHECK(fmt::format("{}", report.violations[0]).starts_with("at_least_once at t=0s: "));
  esm::testing::hazard_report h{.source = "sqs", .seed = 2, .hazards = {}};
  CHECK(fmt::format("{}", h) == "hazards for sqs (seed 2): 0 of 0 passed\n");
}
