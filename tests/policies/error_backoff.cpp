// Tests of esm/policies/error_backoff.hpp: AWS's error backoff of an SQS mapping (spec §3.4,
// "Backoff strategy for failed invocations"), no backoff, and a user-written one, driving the
// queue poller's concurrency.
#include <esm/policies/error_backoff.hpp>
#include <esm/policies/scaling.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <optional>
#include <stdexcept>
#include <string>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using squeue = esm::sqs_queue<std::string>;
using qbatch = esm::queue_batch<squeue::message_type>;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

/// Halves the target after function errors; counts its calls (state: no `mutable`).
struct halve_on_errors {
  using esm_role = esm::error_backoff_role;
  int calls = 0;
  std::optional<int> after_failures(const esm::scaling_observation& o) {
    ++calls;
    if (o.function_errors == 0) return std::nullopt;
    return std::max(1, o.target / 2);
  }
};

/// Returns text: not an error backoff.
struct wrong_result {
  std::string after_failures(const esm::scaling_observation&) { return "down"; }
};

esm::scaling_observation failures(int target, std::uint64_t errors, std::uint64_t throttles, bool rbif) {
  esm::scaling_observation o;
  o.target = target;
  o.backlog = true;
  o.received = true;
  o.function_errors = errors;
  o.throttles = throttles;
  o.report_batch_item_failures = rbif;
  return o;
}

/// 200,000 messages, a 1 s handler that starts failing at 10 s; the target at 10 s and 15 s.
template <class... Policies>
std::pair<int, int> run_failing(bool rbif, Policies... policies) {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  bool failing = false;
  esm::queue_poller p{q, fn,
                      [&](const qbatch&, esm::invocation_context& ctx) {
                        ctx.elapse(1s);
                        if (failing) throw std::runtime_error("down");
                      },
                      esm::queue_options{.report_batch_item_failures = rbif}, policies...};
  for (int i = 0; i < 200'000; ++i) q.send("m");
  sim.advance_to(at(10s));
  const int before = p.target_concurrency();
  failing = true;
  sim.advance_to(at(15s));
  return {before, p.target_concurrency()};
}

} // namespace

TEST_CASE("error backoff concept: AWS's, none, a stateful user policy; other types are not", "[policies][error_backoff]") {
  STATIC_REQUIRE(esm::error_backoff_policy<esm::sqs_error_backoff>);
  STATIC_REQUIRE(esm::error_backoff_policy<esm::no_error_backoff>);
  STATIC_REQUIRE(esm::error_backoff_policy<halve_on_errors>);
  STATIC_REQUIRE_FALSE(esm::error_backoff_policy<const halve_on_errors>); // non-const call
  STATIC_REQUIRE_FALSE(esm::error_backoff_policy<wrong_result>);
  STATIC_REQUIRE_FALSE(esm::error_backoff_policy<esm::sqs_scaling>);
  STATIC_REQUIRE_FALSE(esm::error_backoff_policy<int>);
  STATIC_REQUIRE_FALSE(esm::scaling_policy<esm::sqs_error_backoff>);
}

TEST_CASE("sqs_error_backoff: one step down, not below 5, after throttles or errors without "
          "ReportBatchItemFailures (§3.4)",
          "[policies][error_backoff][spec-3.4]") {
  const esm::sqs_error_backoff b;
  CHECK(b.after_failures(failures(40, 1, 0, false)) == std::optional<int>{39});
  CHECK(b.after_failures(failures(40, 0, 1, false)) == std::optional<int>{39});
  CHECK(b.after_failures(failures(40, 0, 1, true)) == std::optional<int>{39}); // throttles back off either way
  CHECK(b.after_failures(failures(40, 3, 0, true)) == std::nullopt);          // §3.4: no scale-down with RBIF
  CHECK(b.after_failures(failures(40, 0, 0, false)) == std::nullopt);
  CHECK(b.after_failures(failures(6, 1, 0, false)) == std::optional<int>{5});
  CHECK(b.after_failures(failures(5, 1, 0, false)) == std::optional<int>{5});
  CHECK(b.after_failures(failures(3, 1, 0, false)) == std::optional<int>{3}); // below the floor: stays
  CHECK(esm::no_error_backoff::after_failures(failures(40, 9, 9, false)) == std::nullopt);
}

TEST_CASE("§3.4 the default error backoff lowers the concurrency on function errors; no_error_backoff leaves it "
          "to scaling",
          "[policies][error_backoff][queue][spec-3.4]") {
  const auto [before, aws] = run_failing(false);
  CHECK(before == 55);
  CHECK(aws < before);
  CHECK(aws >= 5);
  const auto [before_none, none] = run_failing(false, esm::no_error_backoff{});
  CHECK(before_none == 55);
  CHECK(none == 80); // still growing at +300 per minute, as with ReportBatchItemFailures
  const auto [before_rbif, rbif] = run_failing(true, esm::sqs_error_backoff{});
  CHECK(before_rbif == 55);
  CHECK(rbif == 80);
}

TEST_CASE("a user error backoff sets the SQS poller's concurrency after errors and is read back", "[policies][error_backoff][queue]") {
  const auto [before, after] = run_failing(false, halve_on_errors{});
  CHECK(before == 55);
  CHECK(after < 10); // halving per failing interval, where AWS's steps down by one

  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  esm::queue_poller p{q, fn, [](const qbatch&) { throw std::runtime_error("down"); }, halve_on_errors{}};
  for (int i = 0; i < 100; ++i) q.send("m");
  sim.run_until(at(5s));
  CHECK(p.policy<halve_on_errors>().calls > 0);
  CHECK(p.metrics().max_target_concurrency == 5);
}
