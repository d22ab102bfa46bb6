// Tests of esm/policies/throttle.hpp: AWS's throttle backoff for streams and SQS, and a
// user-written throttle policy in both pollers (spec §2.2, §3.4, §3.7).
#include <esm/policies/throttle.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <string>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using kstream = esm::kinesis_stream<std::string>;
using kbatch = esm::stream_batch<kstream::record_type>;
using squeue = esm::sqs_queue<std::string>;
using qbatch = esm::queue_batch<squeue::message_type>;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

/// 100 ms per consecutive throttle, never giving up; counts its calls.
struct patient {
  using esm_role = esm::throttle_role;
  int calls = 0;
  std::optional<esm::duration> on_throttle(const esm::throttle_event& e) {
    ++calls;
    return 100ms * e.throttles;
  }
  void validate() const {}
};

/// Another caller holds the function's only slot for `d`.
void hog(esm::function& fn, esm::duration d) {
  static int event = 0;
  auto h = [d](const int&, esm::invocation_context& ctx) { ctx.elapse(d); };
  fn.invoke(event, h, [](const esm::invocation_result&) {});
}

} // namespace

TEST_CASE("throttle_backoff: streams 1 s flat, SQS 1 s doubling to 8 s within the deadline (§2.2, §3.4)",
          "[policies][throttle][spec-2.2][spec-3.4]") {
  STATIC_REQUIRE(esm::throttle_policy<esm::throttle_backoff>);
  STATIC_REQUIRE(esm::throttle_policy<patient>);
  STATIC_REQUIRE(!esm::throttle_policy<int>);
  constexpr auto st = esm::throttle_backoff::streams();
  CHECK(st.on_throttle({.throttles = 1, .now = at(0s)}) == std::optional<esm::duration>{1s});
  CHECK(st.on_throttle({.throttles = 9, .now = at(0s)}) == std::optional<esm::duration>{1s});
  constexpr auto q = esm::throttle_backoff::sqs();
  CHECK(q.on_throttle({.throttles = 3, .now = at(0s), .deadline = at(30s)}) == std::optional<esm::duration>{4s});
  CHECK(q.on_throttle({.throttles = 6, .now = at(0s), .deadline = at(30s)}) == std::optional<esm::duration>{8s});
  CHECK(q.on_throttle({.throttles = 6, .now = at(22s), .deadline = at(30s)}) == std::nullopt); // 30 s is not before 30 s
  CHECK_NOTHROW(esm::throttle_backoff{{1ms, 60s}}.validate());
  CHECK_THROWS_AS((esm::throttle_backoff{{0s, 1s}}.validate()), esm::config_error);
  CHECK_THROWS_AS((esm::throttle_backoff{{1s, 61s}}.validate()), esm::config_error);
}

TEST_CASE("a user throttle policy sets the stream poller's retry delay after throttles", "[policies][throttle][stream]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .timeout = 15s, .reserved_concurrency = 1}};
  hog(fn, 1s);
  std::vector<time_point> starts;
  s.put("k", "x");
  esm::stream_poller poller{s, fn,
                            [&](const kbatch&, esm::invocation_context& ctx) { starts.push_back(ctx.start_time()); },
                            patient{}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  // Throttled at 0, 0.1, 0.3, 0.6 s; the slot frees at 1 s; sent at 1.0 s.
  REQUIRE(starts.size() == 1);
  CHECK(starts[0] == at(1s));
  CHECK(poller.metrics().throttles == 4);
  CHECK(poller.policy<patient>().calls == 4);
}

TEST_CASE("a user throttle policy sets the SQS poller's retry delay after throttles", "[policies][throttle][queue]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f", .reserved_concurrency = 1}};
  hog(fn, 1s);
  std::vector<time_point> starts;
  q.send("m");
  esm::queue_poller poller{q, fn, [&](const qbatch&, esm::invocation_context& ctx) { starts.push_back(ctx.start_time()); },
                           patient{}, esm::sqs_scaling{.maximum_concurrency = 2}};
  sim.run_until_idle();
  REQUIRE(starts.size() == 1);
  CHECK(starts[0] == at(1s));
  CHECK(poller.metrics().throttles == 4);
  CHECK(poller.metrics().deleted_event_count == 1);
}
