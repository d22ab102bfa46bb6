// Tests of esm/policies/retry.hpp and backoff.hpp: AWS's retry decisions, and user-written retry
// policies that change what the stream poller does with a failed batch.
#include <esm/policies/backoff.hpp>
#include <esm/policies/retry.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using kstream = esm::kinesis_stream<std::string>;
using kbatch = esm::stream_batch<kstream::record_type>;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

/// Retries every 5 s, three times, then discards; remembers what it was asked.
struct fixed_delay_retry {
  using esm_role = esm::retry_role;
  std::vector<esm::stream_failure> seen;
  esm::retry_decision on_failure(const esm::stream_failure& f) {
    seen.push_back(f);
    if (f.retries >= 3) return esm::retry_decision::discard(esm::discard_condition::retry_attempts_exhausted);
    return esm::retry_decision::retry_after(5s);
  }
  std::optional<esm::duration> record_age_limit() const { return std::nullopt; }
  void validate() const {}
};

/// Asks to bisect every failure.
struct always_bisect {
  using esm_role = esm::retry_role;
  esm::retry_decision on_failure(const esm::stream_failure& f) const {
    if (f.records == 1) return esm::retry_decision::discard(esm::discard_condition::retry_attempts_exhausted);
    return esm::retry_decision::bisect();
  }
  std::optional<esm::duration> record_age_limit() const { return std::nullopt; }
  void validate() const {}
};

struct journal {
  std::vector<std::pair<time_point, std::vector<std::string>>> calls;
  std::vector<esm::stream_failure_record> failures;
  void record(const kbatch& b, esm::invocation_context& ctx) {
    std::vector<std::string> d;
    for (const auto& r : b) d.push_back(r.data);
    calls.emplace_back(ctx.start_time(), std::move(d));
  }
  auto destination() {
    return esm::on_failure{[this](const esm::stream_failure_record& r) { failures.push_back(r); }};
  }
};

} // namespace

TEST_CASE("backoff: doubling with a ceiling, none, validation", "[policies][retry][backoff]") {
  constexpr esm::backoff b{.initial = 1s, .maximum = 8s};
  STATIC_REQUIRE(b.delay(1) == 1s);
  STATIC_REQUIRE(b.delay(3) == 4s);
  STATIC_REQUIRE(b.delay(4) == 8s);
  STATIC_REQUIRE(b.delay(1000) == 8s);
  STATIC_REQUIRE(b.delay(0) == 1s);
  STATIC_REQUIRE(esm::backoff::none().delay(5) == 0s);
  constexpr esm::backoff huge{.initial = esm::duration::max() / 3, .maximum = esm::duration::max()};
  STATIC_REQUIRE(huge.delay(64) == esm::duration::max()); // saturates, never overflows
  CHECK_NOTHROW(b.validate("b", 1ms, 60s, "here"));
  CHECK(esm_test::config_error_of([] { esm::backoff{.initial = 2s, .maximum = 1s}.validate("b", 1ms, 60s, "here"); }) ==
        "b.maximum must be in [2s, 60s] for here, got 1s");
}

TEST_CASE("stream_retry decides as AWS: bisect, retry with backoff, discard (§2.3, §2.4, fidelity S5)",
          "[policies][retry][spec-2.3][spec-2.4]") {
  esm::stream_failure f{.kind = esm::failure_kind::function_error, .attempts = 1, .retries = 0, .records = 4,
                        .oldest_age = 1s, .newest_age = 1s, .bisectable = true, .now = at(1s)};
  const esm::stream_retry aws{};
  CHECK(aws.on_failure(f) == esm::retry_decision::retry_after(250ms));
  f.retries = 3;
  CHECK(aws.on_failure(f) == esm::retry_decision::retry_after(2s));
  f.retries = 100;
  CHECK(aws.on_failure(f) == esm::retry_decision::retry_after(60s));
  const esm::stream_retry bisect{.bisect_on_error = true};
  CHECK(bisect.on_failure(f).what() == esm::retry_decision::action::bisect);
  f.bisectable = false;
  CHECK(bisect.on_failure(f).what() == esm::retry_decision::action::retry);
  const esm::stream_retry two{.max_attempts = 2};
  f.retries = 2;
  CHECK(two.on_failure(f) == esm::retry_decision::discard(esm::discard_condition::retry_attempts_exhausted));
  CHECK(esm::stream_retry{}.record_age_limit() == std::nullopt);
  CHECK(esm::stream_retry{.max_record_age = 60s}.record_age_limit() == std::optional<esm::duration>{60s});
  STATIC_REQUIRE(esm::stream_retry_policy<esm::stream_retry>);
  STATIC_REQUIRE(esm::stream_retry_policy<fixed_delay_retry>);
  STATIC_REQUIRE(!esm::stream_retry_policy<esm::batching>);
}

TEST_CASE("stream_retry validates its backoff: initial in [0s, 60s], maximum in [initial, 15min]",
          "[policies][retry][config]") {
  CHECK_NOTHROW(esm::stream_retry{.retry_backoff = esm::backoff::none()}.validate());
  CHECK_NOTHROW(esm::stream_retry{.retry_backoff = {60s, 15min}}.validate());
  CHECK_THROWS_AS((esm::stream_retry{.retry_backoff = {61s, 15min}}.validate()), esm::config_error);
  CHECK_THROWS_AS((esm::stream_retry{.retry_backoff = {1s, 15min + 1ns}}.validate()), esm::config_error);
  CHECK_THROWS_AS((esm::stream_retry{.retry_backoff = {-1ns, 1s}}.validate()), esm::config_error);
}

TEST_CASE("a user retry policy with a fixed delay changes when the stream poller retries", "[policies][retry][stream]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}}; // 10 ms per invocation
  journal j;
  s.put("k", "bad");
  s.put("k", "next");
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b, esm::invocation_context& ctx) {
                              j.record(b, ctx);
                              if (b.front().data == "bad") throw std::runtime_error("x");
                            },
                            esm::batching{.batch_size = 1},
                            fixed_delay_retry{},
                            j.destination(),
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(j.calls.size() == 5);
  CHECK(j.calls[0].first == at(0s));
  CHECK(j.calls[1].first == at(5s + 10ms));
  CHECK(j.calls[2].first == at(10s + 20ms));
  CHECK(j.calls[3].first == at(15s + 30ms));
  CHECK(j.calls[4].second == std::vector<std::string>{"next"});
  REQUIRE(j.failures.size() == 1);
  CHECK(j.failures[0].approximate_invoke_count == 4);
  const auto& seen = poller.policy<fixed_delay_retry>().seen;
  REQUIRE(seen.size() == 4); // once per failure
  CHECK(seen[0].attempts == 1);
  CHECK(seen[3].attempts == 4);
  CHECK(seen[3].retries == 3);
  CHECK(seen[0].kind == esm::failure_kind::function_error);
  CHECK(seen[0].records == 1);
  CHECK_FALSE(seen[0].bisectable); // a single record
  CHECK(seen[1].oldest_age == 5s + 20ms);
}

TEST_CASE("a retry policy sees timeouts and partial failures as such", "[policies][retry][stream][spec-2.5]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .timeout = 1s}};
  s.put("k", "slow");
  s.put("k", "x");
  s.put("k", "p1");
  s.put("k", "p2");
  const auto seq = esm::kinesis_sequence_number(s.shard_at(0).at(3).sequence);
  esm::stream_poller poller{
      s,
      fn,
      [&](const kbatch& b, esm::invocation_context& ctx) -> esm::batch_response {
        if (b.front().data == "slow") ctx.elapse(2s);
        if (b.back().data == "p2") return esm::batch_response::failed({seq});
        return {};
      },
      esm::batching{.batch_size = 2},
      fixed_delay_retry{},
      esm::stream_options{.start = esm::starting_position::trim_horizon(), .report_batch_item_failures = true}};
  sim.run_until_idle();
  const auto& seen = poller.policy<fixed_delay_retry>().seen;
  REQUIRE(seen.size() >= 2);
  CHECK(seen[0].kind == esm::failure_kind::timeout);
  CHECK(seen[0].bisectable); // two records, an Errors outcome
  bool partial = false;
  for (const auto& f : seen) {
    if (f.kind == esm::failure_kind::partial) {
      partial = true;
      CHECK_FALSE(f.bisectable);
      CHECK(f.records == 1); // from the lowest reported failure on
    }
  }
  CHECK(partial);
}

TEST_CASE("a retry policy's bisect on an unsplittable failure retries at once", "[policies][retry][stream][spec-2.4]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  for (int i = 0; i < 4; ++i) s.put("k", std::to_string(i));
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b, esm::invocation_context& ctx) {
                              j.record(b, ctx);
                              for (const auto& r : b)
                                if (r.data == "2") throw std::runtime_error("x");
                            },
                            esm::batching{.batch_size = 4},
                            always_bisect{},
                            j.destination(),
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  // [0 1 2 3] fails -> [0 1] ok, [2 3] fails -> [2] fails and is discarded, [3] ok.
  REQUIRE(j.calls.size() == 5);
  CHECK(j.calls[1].second == std::vector<std::string>{"0", "1"});
  CHECK(j.calls[2].second == std::vector<std::string>{"2", "3"});
  CHECK(j.calls[3].second == std::vector<std::string>{"2"});
  CHECK(j.calls[4].second == std::vector<std::string>{"3"});
  REQUIRE(j.failures.size() == 1);
  CHECK(j.failures[0].batch_info.batch_size == 1);
  CHECK(poller.metrics().bisections == 2);
}
