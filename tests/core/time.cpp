// Tests of esm/core/time.hpp: virtual time, the wall epoch and duration rendering.
#include <esm/core/time.hpp>

#include "support/catch.hpp"

using namespace std::chrono_literals;

TEST_CASE("durations are integer nanoseconds and std::chrono literals convert to them", "[core][time]") {
  STATIC_REQUIRE(std::is_same_v<esm::duration, std::chrono::nanoseconds>);
  esm::duration d = 1500ms;
  CHECK(d.count() == 1'500'000'000);
  esm::time_point t = esm::time_point{} + 2s + d;
  CHECK(t.time_since_epoch() == 3500ms);
  CHECK(esm::time_point::max() > t);
}

TEST_CASE("to_string(duration) picks the largest exact unit", "[core][time]") {
  CHECK(esm::to_string(esm::duration{0}) == "0s");
  CHECK(esm::to_string(900s) == "900s");
  CHECK(esm::to_string(1500ms) == "1500ms");
  CHECK(esm::to_string(250us) == "250us");
  CHECK(esm::to_string(7ns) == "7ns");
  CHECK(esm::to_string(5min) == "300s");
  CHECK(esm::to_string(2h) == "7200s");
  CHECK(esm::to_string(-3s) == "-3s");
  CHECK(esm::to_string(esm::time_point{} + 1500ms) == "t=1500ms");
  CHECK(esm::to_string(esm::time_point::max()) == "never");
}

TEST_CASE("the default wall epoch is 2026-01-01T00:00:00Z", "[core][time]") {
  const esm::wall_epoch epoch{};
  CHECK(epoch.unix_millis(esm::time_point{}) == 1'767'225'600'000);
  CHECK(epoch.iso8601(esm::time_point{}) == "2026-01-01T00:00:00.000Z");
  CHECK(epoch.unix_seconds_text(esm::time_point{} + 1234ms) == "1767225601.234");
  CHECK(epoch.unix_seconds_text(esm::time_point{} + 5ms) == "1767225600.005");
}

TEST_CASE("a configured wall epoch renders AWS timestamps", "[core][time]") {
  const auto epoch = esm::wall_epoch::at(2018, 12, 17, 22h + 10min + 50s + 987ms);
  // The Kinesis sample event of the AWS docs: approximateArrivalTimestamp 1545084650.987.
  CHECK(epoch.unix_seconds_text(esm::time_point{}) == "1545084650.987");
  CHECK(epoch.iso8601(esm::time_point{}) == "2018-12-17T22:10:50.987Z");
  // Leap day, end of year, and sub-millisecond truncation.
  CHECK(esm::wall_epoch::at(2024, 2, 29).iso8601(esm::time_point{} + 23h + 59min + 59s + 999ms + 999us) ==
        "2024-02-29T23:59:59.999Z");
  CHECK(esm::wall_epoch::at(2025, 12, 31).iso8601(esm::time_point{} + 24h) == "2026-01-01T00:00:00.000Z");
  // Before 1970 the milliseconds still floor.
  CHECK(esm::wall_epoch::at(1969, 12, 31).iso8601(esm::time_point{} + 24h - 1ms) == "1969-12-31T23:59:59.999Z");
  CHECK(esm::wall_epoch::at(1969, 12, 31, 24h - 1ms).unix_millis(esm::time_point{}) == -1);
}
