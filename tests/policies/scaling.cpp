// Tests of esm/policies/scaling.hpp and visibility.hpp with user-written, stateful policies: a
// scaler that keeps state between intervals and an instrumented visibility policy (spec §3.1,
// §3.4), both called on a non-const policy and read back with poller.policy<T>().
#include <esm/policies/scaling.hpp>
#include <esm/policies/visibility.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using squeue = esm::sqs_queue<std::string>;
using qbatch = esm::queue_batch<squeue::message_type>;

namespace {

/// Climbs by one batch per second while there is a backlog, remembering the largest backlog
/// streak it saw (state between calls: no `mutable` needed).
struct climbing_scaler {
  using esm_role = esm::scaling_role;
  int streak = 0;
  int longest = 0;
  int calls = 0;
  int initial_concurrency() const { return 1; }
  esm::duration interval() const { return 1s; }
  int next_target(const esm::scaling_observation& o) {
    ++calls;
    streak = o.backlog ? streak + 1 : 0;
    longest = std::max(longest, streak);
    return o.backlog ? o.target + 1 : o.target;
  }
  std::optional<int> concurrency_cap() const { return 4; }
  void validate(esm::source_kind) const {}
};

/// Makes failed messages visible again after 2 s, and records what it was told.
struct recording_visibility {
  using esm_role = esm::visibility_role;
  std::vector<esm::failed_message> seen;
  std::optional<esm::duration> on_failure(const esm::failed_message& m) {
    seen.push_back(m);
    return 2s;
  }
  void validate() const {}
};

} // namespace

TEST_CASE("scaling and visibility concepts accept stateful policies", "[policies][scaling][visibility]") {
  STATIC_REQUIRE(esm::scaling_policy<climbing_scaler>);
  STATIC_REQUIRE(esm::scaling_policy<esm::sqs_scaling>);
  STATIC_REQUIRE(!esm::scaling_policy<recording_visibility>);
  STATIC_REQUIRE(esm::visibility_policy<recording_visibility>);
  STATIC_REQUIRE(esm::visibility_policy<esm::exponential_backoff_visibility>);
  STATIC_REQUIRE(!esm::visibility_policy<climbing_scaler>);
}

TEST_CASE("a stateful scaler sets the SQS poller's concurrency (§3.1)", "[policies][scaling][queue][spec-3.1]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(500ms)}};
  for (int i = 0; i < 400; ++i) q.send("m");
  esm::queue_poller poller{q, fn, [](const qbatch&) {}, climbing_scaler{}};
  CHECK(poller.target_concurrency() == 1);
  sim.run_until_idle();
  const auto& sc = poller.policy<climbing_scaler>();
  CHECK(sc.calls > 5);
  CHECK(sc.longest >= 3);
  CHECK(poller.metrics().max_target_concurrency == 4); // its own cap
  CHECK(poller.metrics().max_concurrency == 4);
  CHECK(poller.metrics().deleted_event_count == 400);
}

TEST_CASE("an instrumented visibility policy returns failed messages after its own delay (§3.4)",
          "[policies][visibility][queue][spec-3.4]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  q.send("bad");
  std::vector<time_point> starts;
  esm::queue_poller poller{q, fn,
                           [&](const qbatch& b, esm::invocation_context& ctx) {
                             starts.push_back(ctx.start_time());
                             if (starts.size() < 3) throw std::runtime_error("x");
                             (void)b;
                           },
                           recording_visibility{}};
  sim.run_until_idle();
  REQUIRE(starts.size() == 3);
  CHECK(starts[1] - starts[0] < 3s); // 2 s, not the queue's 30 s
  CHECK(starts[2] - starts[1] < 3s);
  const auto& seen = poller.policy<recording_visibility>().seen;
  REQUIRE(seen.size() == 2); // once per failed message
  CHECK(seen[0].receive_count == 1);
  CHECK(seen[1].receive_count == 2);
  CHECK(seen[0].queue_visibility_timeout == 30s);
  CHECK(seen[0].why == esm::outcome::function_error);
  CHECK(poller.metrics().deleted_event_count == 1);
}
