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

TEST_CASE("saturating_add ends at time_point::max() instead of overflowing (issue 14)", "[core][time][reliability]") {
  const esm::time_point max = esm::time_point::max();
  CHECK(esm::saturating_add(esm::time_point{} + 1s, 2s) == esm::time_point{} + 3s);
  CHECK(esm::saturating_add(max - 1s, 1s) == max);
  CHECK(esm::saturating_add(max - 1s, 2s) == max);
  CHECK(esm::saturating_add(max, esm::duration::max()) == max);
  CHECK(esm::saturating_add(esm::time_point::min() + 1s, -5s) == esm::time_point::min());
  CHECK(esm::saturating_add(max, -1s) == max - 1s);
  CHECK(esm::fits_after(max - 1s, 1s));
  CHECK_FALSE(esm::fits_after(max - 1s, 1s + 1ns));
  CHECK_FALSE(esm::fits_after(esm::time_point::min(), -1ns));
  CHECK(esm::fits_after(max, esm::duration::zero()));
}

TEST_CASE("wall timestamps stay exact at the end of virtual time (issue 14)", "[core][time][reliability]") {
  const esm::wall_epoch epoch{}; // 2026-01-01: nanoseconds since 1970 overflow after 2262
  const esm::time_point last = esm::time_point::max();
  // 2026-01-01 (1767225600000 ms) + 9223372036854 ms (the last instant, floored), computed apart.
  CHECK(epoch.unix_millis(last) == 1'767'225'600'000 + 9'223'372'036'854);
  CHECK(epoch.iso8601(last) == "2318-04-12T23:47:16.854Z");
  CHECK(epoch.unix_seconds_text(last) == "10990597636.854");
  CHECK(epoch.to_wall(last) == esm::wall_time::max()); // saturates; the renderings above do not
  CHECK(esm::wall_epoch::at(1678, 1, 1).unix_millis(esm::time_point{}) < 0);
  CHECK(esm::wall_epoch::at(2261, 12, 31, 24h - 1ns).iso8601(esm::time_point{}) == "2261-12-31T23:59:59.999Z");
  CHECK_THROWS_AS(esm::wall_epoch::at(2262, 1, 1), std::out_of_range);
  CHECK_THROWS_AS(esm::wall_epoch::at(1677, 12, 31), std::out_of_range);
  CHECK_THROWS_WITH(esm::wall_epoch::at(3000, 1, 1), "wall_epoch::at: year must be in [1678, 2261] (nanoseconds "
                                                     "since 1970 in 64 bits), got 3000");
  CHECK_THROWS_AS(esm::wall_epoch::at(2026, 1, 1, 24h), std::out_of_range);
  CHECK_THROWS_AS(esm::wall_epoch::at(2026, 1, 1, -1ns), std::out_of_range);
}
