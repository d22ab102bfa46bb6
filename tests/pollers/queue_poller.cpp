// Tests of esm/pollers/queue_poller.hpp with SQS standard and FIFO queues (and the queue
// policies: scaling, visibility). Each test names the section of aws-esm-semantics.md whose
// behaviour it checks.
#include <esm/policies/scaling.hpp>
#include <esm/policies/visibility.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using squeue = esm::sqs_queue<std::string>;
using fqueue = esm::sqs_fifo_queue<std::string>;
using smsg = squeue::message_type;
using qbatch = esm::queue_batch<smsg>;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

/// What a handler saw: one entry per invocation.
struct call {
  time_point start;
  std::vector<std::string> bodies;
  std::vector<int> receive_counts;
  std::vector<std::string> ids;
};

struct journal {
  std::vector<call> calls;
  void record(const qbatch& b, esm::invocation_context& ctx) {
    call c{ctx.start_time(), {}, {}, {}};
    for (const auto& m : b) {
      c.bodies.push_back(m.body);
      c.receive_counts.push_back(m.receive_count);
      c.ids.emplace_back(m.message_id());
    }
    calls.push_back(std::move(c));
  }
  std::vector<std::string> all_bodies() const {
    std::vector<std::string> out;
    for (const auto& c : calls) out.insert(out.end(), c.bodies.begin(), c.bodies.end());
    return out;
  }
  std::size_t count(const std::string& body) const {
    const auto all = all_bodies();
    return static_cast<std::size_t>(std::count(all.begin(), all.end(), body));
  }
};

void send_n(squeue& q, int n, const std::string& prefix = "m") {
  for (int i = 0; i < n; ++i) q.send(prefix + std::to_string(i));
}

// Conservation on a queue: everything that entered is stored, deleted, moved on or expired.
void check_conservation(const auto& q) {
  const auto& m = q.metrics();
  CHECK(m.sent + m.redriven_in == q.size() + m.deleted + m.redriven_out + m.expired);
}

} // namespace

// --- policy concepts -------------------------------------------------------------------------

struct fixed_pollers {
  int n = 3;
  int initial_concurrency() const { return n; }
  esm::duration interval() const { return 1s; }
  int next_target(const esm::scaling_observation&) const { return n; }
  std::optional<int> concurrency_cap() const { return std::nullopt; }
  void validate(esm::source_kind) const {}
};

static_assert(esm::scaling_policy<esm::sqs_scaling>);
static_assert(esm::scaling_policy<esm::sqs_scaling_2022>);
static_assert(esm::scaling_policy<fixed_pollers>);
static_assert(!esm::scaling_policy<int>);
static_assert(!esm::scaling_policy<esm::batching>);
static_assert(esm::visibility_policy<esm::queue_visibility>);
static_assert(esm::visibility_policy<esm::exponential_backoff_visibility>);
static_assert(!esm::visibility_policy<esm::sqs_scaling>);
static_assert(!esm::visibility_policy<int>);
static_assert(esm::handler<decltype([](const qbatch&) {}), qbatch>);
static_assert(!esm::handler<decltype([](const std::string&) {}), qbatch>);

// --- configuration ---------------------------------------------------------------------------

TEST_CASE("queue mapping config: batch size, window and maximum concurrency ranges (§1, §3.2, §3.3)",
          "[pollers][queue][config][spec-1][spec-3.2][spec-3.3]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  fqueue f{sim, "f.fifo"};
  esm::function fn{sim, {.name = "f"}};
  auto h = [](const qbatch&) {};
  auto make = [&](auto... p) { esm::queue_poller poller{q, fn, h, p...}; };
  auto make_fifo = [&](auto... p) { esm::queue_poller poller{f, fn, h, p...}; };

  CHECK_NOTHROW(make(esm::batching{.batch_size = 1}));
  CHECK_NOTHROW(make(esm::batching{.batch_size = 10}));
  CHECK_NOTHROW(make(esm::batching{.batch_size = 10'000, .window = 1s}));
  CHECK(esm_test::config_error_of([&] { make(esm::batching{.batch_size = 0}); }) ==
        "batch_size must be in [1, 10000] for a sqs_queue event source mapping, got 0");
  CHECK_THROWS_AS(make(esm::batching{.batch_size = 10'001, .window = 1s}), esm::config_error);
  // More than 10 messages need a window of at least 1 s (SQS only).
  CHECK(esm_test::config_error_of([&] { make(esm::batching{.batch_size = 11}); }) ==
        "window must be at least 1s when batch_size is above 10 for a sqs_queue event source mapping, got 0s");
  CHECK_NOTHROW(make(esm::batching{.batch_size = 11, .window = 1s}));
  CHECK_NOTHROW(make(esm::batching{.window = 300s}));
  CHECK_THROWS_AS(make(esm::batching{.window = 301s}), esm::config_error);

  // FIFO: 1-10, and no batching window.
  CHECK_NOTHROW(make_fifo(esm::batching{.batch_size = 10}));
  CHECK(esm_test::config_error_of([&] { make_fifo(esm::batching{.batch_size = 11}); }) ==
        "batch_size must be in [1, 10] for a sqs_fifo_queue event source mapping, got 11");
  CHECK(esm_test::config_error_of([&] { make_fifo(esm::batching{.window = 1s}); }).starts_with("window must be 0s"));

  // MaximumConcurrency 2-1000.
  CHECK_NOTHROW(make(esm::sqs_scaling{.maximum_concurrency = 2}));
  CHECK_NOTHROW(make(esm::sqs_scaling{.maximum_concurrency = 1000}));
  CHECK(esm_test::config_error_of([&] { make(esm::sqs_scaling{.maximum_concurrency = 1}); }) ==
        "maximum_concurrency must be in [2, 1000] for a sqs_queue event source mapping, got 1");
  CHECK_THROWS_AS(make(esm::sqs_scaling{.maximum_concurrency = 1001}), esm::config_error);
  CHECK_THROWS_AS(make(esm::sqs_scaling_2022{.maximum_concurrency = 1001}), esm::config_error);

  // Visibility policies validate their values.
  CHECK_NOTHROW(make(esm::exponential_backoff_visibility{.base = 1s, .maximum = 12h}));
  CHECK_THROWS_AS(make(esm::exponential_backoff_visibility{.base = 0s}), esm::config_error);
  CHECK_THROWS_AS(make(esm::exponential_backoff_visibility{.base = 10s, .maximum = 5s}), esm::config_error);
}

TEST_CASE("§1 the function timeout must not exceed the queue's visibility timeout",
          "[pollers][queue][config][spec-1]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 10s}};
  esm::function ok{sim, {.name = "ok", .timeout = 10s}};
  esm::function slow{sim, {.name = "slow", .timeout = 11s}};
  auto h = [](const qbatch&) {};
  CHECK_NOTHROW(esm::queue_poller{q, ok, h});
  CHECK(esm_test::config_error_of([&] {
          esm::queue_poller p{q, slow, h};
        }) ==
        "function timeout must be at most the queue's visibility timeout (10s) for a sqs_queue event source mapping "
        "on 'q', got 11s");
}

// --- §3.4 lifecycle ---------------------------------------------------------------------------

TEST_CASE("§3.4 success deletes the batch; metrics count polled, invoked and deleted messages",
          "[pollers][queue][spec-3.4][spec-6]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); }};
  CHECK(p.last_processing_result() == "No records processed");
  send_n(q, 25);
  sim.run_until_idle(1'000'000);
  CHECK(j.all_bodies().size() == 25);
  for (const auto& c : j.calls) CHECK(c.bodies.size() <= 10);
  CHECK(q.size() == 0);
  CHECK(q.metrics().deleted == 25); // NumberOfMessagesDeleted
  const auto& m = p.metrics();
  CHECK(m.polled_event_count == 25);
  CHECK(m.invoked_event_count == 25);
  CHECK(m.deleted_event_count == 25);
  CHECK(m.failed_invoke_event_count == 0);
  CHECK(p.last_processing_result() == "OK");
  check_conservation(q);
}

TEST_CASE("§3.4 a function error deletes nothing: every message returns after the visibility timeout",
          "[pollers][queue][spec-3.4]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  bool fail = true;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) {
                        j.record(b, ctx);
                        if (fail) throw std::runtime_error("boom");
                      }};
  send_n(q, 3);
  sim.run_until(at(29s));
  REQUIRE(j.calls.size() == 1);
  CHECK(j.calls[0].receive_counts == std::vector<int>{1, 1, 1});
  CHECK(q.approximate_number_of_messages_not_visible() == 3); // nothing deleted, all in flight
  CHECK(p.metrics().failed_invoke_event_count == 3);
  CHECK(p.last_processing_result() == "PROBLEM: Function call failed");
  fail = false;
  sim.run_until_idle(1'000'000);
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[1].start == at(30s)); // after the visibility timeout of the first receive
  CHECK(j.calls[1].receive_counts == std::vector<int>{2, 2, 2});
  CHECK(q.size() == 0);
  CHECK(p.metrics().deleted_event_count == 3);
  CHECK(fn.metrics().errors == 1);
}

TEST_CASE("§3.4 a timeout is a failure too: the batch returns after the visibility timeout",
          "[pollers][queue][spec-3.4]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f", .timeout = 3s}};
  journal j;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) {
                        j.record(b, ctx);
                        if (ctx.attempt() == 1 && j.calls.size() == 1) ctx.elapse(5s); // over the timeout
                      }};
  q.send("a");
  sim.run_until_idle(1'000'000);
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[1].start == at(30s));
  CHECK(fn.metrics().timeouts == 1);
  CHECK(q.metrics().deleted == 1);
}

TEST_CASE("§3.4 a poison message reaches the dead-letter queue after maxReceiveCount receives",
          "[pollers][queue][spec-3.4][spec-8]") {
  esm::simulation sim;
  squeue dlq{sim, "dlq"};
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  q.set_redrive_policy(dlq, 3);
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::queue_poller p{q, fn,
                      [&](const qbatch& b, esm::invocation_context& ctx) {
                        j.record(b, ctx);
                        if (b.front().body == "poison") throw std::runtime_error("cannot parse");
                      },
                      esm::batching{.batch_size = 1}};
  q.send("ok-1");
  const auto poison = q.send("poison");
  q.send("ok-2");
  sim.run_until_idle(1'000'000);
  CHECK(j.count("poison") == 3); // received and failed 3 times, then moved on the 4th receive
  CHECK(j.count("ok-1") == 1);
  CHECK(j.count("ok-2") == 1);
  REQUIRE(dlq.size() == 1);
  const auto in_dlq = dlq.receive(1);
  REQUIRE(in_dlq.size() == 1);
  CHECK(in_dlq[0].body == "poison");
  CHECK(in_dlq[0].message_id() == poison.message_id); // the DLQ keeps the message id
  CHECK(q.metrics().redriven_out == 1);
  check_conservation(q);
  check_conservation(dlq);
}

TEST_CASE("§3.4 messages failing the filter are deleted and counted in FilteredOutEventCount",
          "[pollers][queue][spec-3.4][spec-6]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                      esm::message_filter{[](const smsg& m) { return m.body != "ping"; }}};
  q.send("a");
  q.send("ping");
  q.send("b");
  sim.run_until_idle(1'000'000);
  CHECK(j.all_bodies() == std::vector<std::string>{"a", "b"});
  CHECK(p.metrics().filtered_out_event_count == 1);
  CHECK(p.metrics().polled_event_count == 3);
  CHECK(p.metrics().deleted_event_count == 2);
  CHECK(q.size() == 0);
}

TEST_CASE("§1 a handler's exception never escapes the poller: it is a function error", "[pollers][queue][spec-1]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  esm::queue_poller p{q, fn, [](const qbatch&) { throw 42; }};
  q.send("a");
  CHECK_NOTHROW(sim.run_until(at(100s)));
  CHECK(fn.metrics().errors >= 3);
  CHECK(p.metrics().deleted_event_count == 0);
  CHECK(q.size() == 1);
}

// --- §3.5 partial batch response --------------------------------------------------------------

namespace {
struct partial_setup {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  std::vector<std::string> ids;
  void send_abc() {
    for (const char* b : {"a", "b", "c"}) ids.push_back(q.send(b).message_id);
  }
};
} // namespace

TEST_CASE("§3.5 with ReportBatchItemFailures only the listed messages return; the rest are deleted",
          "[pollers][queue][spec-3.5]") {
  partial_setup s;
  s.send_abc();
  esm::queue_poller p{s.q, s.fn,
                      [&](const qbatch& b, esm::invocation_context& ctx) -> esm::batch_response {
                        s.j.record(b, ctx);
                        if (s.j.calls.size() == 1) return esm::batch_response{}.fail(s.ids[1]);
                        return {};
                      },
                      esm::queue_options{.report_batch_item_failures = true}};
  s.sim.run_until_idle(1'000'000);
  REQUIRE(s.j.calls.size() == 2);
  CHECK(s.j.calls[0].bodies == std::vector<std::string>{"a", "b", "c"});
  CHECK(s.j.calls[1].bodies == std::vector<std::string>{"b"});
  CHECK(s.j.calls[1].start == at(30s));
  CHECK(p.metrics().failed_invoke_event_count == 1); // includes the non-empty batchItemFailures
  CHECK(p.metrics().deleted_event_count == 3);
  CHECK(s.q.size() == 0);
}

TEST_CASE("§3.5 without ReportBatchItemFailures a partial response is ignored: the batch is deleted",
          "[pollers][queue][spec-3.5]") {
  partial_setup s;
  s.send_abc();
  esm::queue_poller p{s.q, s.fn, [&](const qbatch& b, esm::invocation_context& ctx) -> esm::batch_response {
                        s.j.record(b, ctx);
                        return esm::batch_response{}.fail(s.ids[1]);
                      }};
  s.sim.run_until_idle(1'000'000);
  CHECK(s.j.calls.size() == 1);
  CHECK(p.metrics().deleted_event_count == 3);
  CHECK(p.metrics().failed_invoke_event_count == 0);
}

TEST_CASE("§3.5 complete success: an empty list", "[pollers][queue][spec-3.5]") {
  partial_setup s;
  s.send_abc();
  esm::queue_poller p{s.q, s.fn,
                      [&](const qbatch& b, esm::invocation_context& ctx) -> esm::batch_response {
                        s.j.record(b, ctx);
                        return esm::batch_response::success();
                      },
                      esm::queue_options{.report_batch_item_failures = true}};
  s.sim.run_until_idle(1'000'000);
  CHECK(s.j.calls.size() == 1);
  CHECK(p.metrics().deleted_event_count == 3);
}

TEST_CASE("§3.5 complete failure: a null, empty or unknown itemIdentifier, or an exception",
          "[pollers][queue][spec-3.5]") {
  using failure_maker = esm::batch_response (*)(const std::vector<std::string>&);
  const std::vector<std::pair<const char*, failure_maker>> cases{
      {"null identifier", [](const std::vector<std::string>&) { return esm::batch_response{{{std::nullopt}}}; }},
      {"empty identifier", [](const std::vector<std::string>&) { return esm::batch_response::failed({""}); }},
      {"unknown identifier",
       [](const std::vector<std::string>&) { return esm::batch_response::failed({"not-a-message-id"}); }},
      {"a receipt handle instead of the messageId",
       [](const std::vector<std::string>&) {
         return esm::batch_response::failed({"AQEB0000000000000000000000000001"});
       }},
      {"one good and one unknown",
       [](const std::vector<std::string>& ids) {
         esm::batch_response r;
         r.fail(ids[0]).fail("nope");
         return r;
       }},
      {"exception", [](const std::vector<std::string>&) -> esm::batch_response { throw std::runtime_error("x"); }},
  };
  for (const auto& [name, make] : cases) {
    INFO(name);
    partial_setup s;
    s.send_abc();
    esm::queue_poller p{s.q, s.fn,
                        [&, make = make](const qbatch& b, esm::invocation_context& ctx) -> esm::batch_response {
                          s.j.record(b, ctx);
                          if (s.j.calls.size() == 1) return make(s.ids);
                          return {};
                        },
                        esm::queue_options{.report_batch_item_failures = true}};
    s.sim.run_until_idle(1'000'000);
    REQUIRE(s.j.calls.size() == 2);
    CHECK(s.j.calls[1].bodies == std::vector<std::string>{"a", "b", "c"}); // the whole batch returned
    CHECK(s.j.calls[1].start == at(30s));
    CHECK(p.metrics().failed_invoke_event_count == 3);
  }
}

// --- §3.3 batching and visibility --------------------------------------------------------------

TEST_CASE("§3.3 a batch larger than 10 is assembled from several receives within the window",
          "[pollers][queue][spec-3.3][spec-1]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                      esm::batching{.batch_size = 100, .window = 2s}, esm::sqs_scaling{.maximum_concurrency = 2}};
  send_n(q, 250);
  sim.run_until_idle(1'000'000);
  REQUIRE(j.calls.size() >= 3);
  CHECK(j.calls[0].bodies.size() == 100); // full: cut at BatchSize without waiting for the window
  CHECK(j.calls[0].start == at(0s));
  CHECK(j.all_bodies().size() == 250);
  CHECK(q.metrics().receive_calls >= 25); // at most 10 messages per ReceiveMessage
}

TEST_CASE("§1 with a window, a partial batch is invoked when the window expires",
          "[pollers][queue][spec-1][spec-3.3]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                      esm::batching{.batch_size = 50, .window = 5s}};
  sim.run_until(at(1s));
  send_n(q, 3);
  sim.run_until(at(2s));
  send_n(q, 2, "late");
  sim.run_until_idle(1'000'000);
  REQUIRE(j.calls.size() == 1);
  CHECK(j.calls[0].bodies.size() == 5);
  CHECK(j.calls[0].start == at(5s)); // the window started when the mapping did (t=0)
}

TEST_CASE("§1 the 6 MB invoke payload cuts a batch before BatchSize", "[pollers][queue][spec-1][spec-3.7]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                      esm::sqs_scaling{.maximum_concurrency = 2}};
  // 1 MiB messages (the 2025 limit): six of them and their metadata exceed 6 MB.
  for (int i = 0; i < 12; ++i) q.send(std::string(1'048'576, static_cast<char>('a' + i)));
  sim.run_until_idle(1'000'000);
  std::size_t total = 0;
  for (const auto& c : j.calls) {
    CHECK(c.bodies.size() <= 5);
    total += c.bodies.size();
  }
  CHECK(total == 12);
  CHECK(q.size() == 0);
}

TEST_CASE("§3.3 DG-2023: with a window, window + timeout > visibility receives with window + timeout + 30 s",
          "[pollers][queue][spec-3.3]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f", .timeout = 30s}};
  auto h = [](const qbatch&) {};
  esm::queue_poller plain{q, fn, h};
  CHECK(plain.receive_visibility_timeout() == 30s);
  esm::queue_poller windowed{q, fn, h, esm::batching{.window = 10s}};
  CHECK(windowed.receive_visibility_timeout() == 70s);
}

TEST_CASE("§3.3 visibility expiring mid-invocation: the message is received again while the first invoke runs",
          "[pollers][queue][spec-3.3]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 5s}};
  // A cold start's init is not part of the timeout: init + run time outlast the visibility.
  esm::function fn{sim, {.name = "f", .timeout = 5s, .cold_start = esm::cold_start_model{}}};
  journal j;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) {
                        j.record(b, ctx);
                        ctx.elapse(j.calls.size() == 1 ? 4900ms : 1s);
                      }};
  q.send("a");
  sim.run_until_idle(1'000'000);
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[0].receive_counts == std::vector<int>{1});
  CHECK(j.calls[1].receive_counts == std::vector<int>{2});
  CHECK(j.calls[0].start == at(250ms));
  CHECK(j.calls[1].start == at(5s + 250ms)); // received at 5 s while the first runs until 5.15 s
  CHECK(p.metrics().failed_deletes == 1);    // the first invocation's receipt was stale
  CHECK(p.metrics().deleted_event_count == 1);
  CHECK(q.size() == 0);
}

TEST_CASE("visibility policy: exponential backoff changes a failed message's visibility",
          "[pollers][queue][visibility][spec-3.4]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::queue_poller p{q, fn,
                      [&](const qbatch& b, esm::invocation_context& ctx) {
                        j.record(b, ctx);
                        if (j.calls.size() < 5) throw std::runtime_error("again");
                      },
                      esm::exponential_backoff_visibility{.base = 2s, .maximum = 8s}};
  q.send("a");
  sim.run_until_idle(1'000'000);
  REQUIRE(j.calls.size() == 5);
  std::vector<esm::duration> gaps;
  for (std::size_t i = 1; i < j.calls.size(); ++i) gaps.push_back(j.calls[i].start - j.calls[i - 1].start);
  // Each invocation lasts 10 ms (the default duration model), then the message waits 2, 4, 8, 8 s.
  CHECK(gaps == std::vector<esm::duration>{2010ms, 4010ms, 8010ms, 8010ms});
}

// --- §3.1 scaling ----------------------------------------------------------------------------

TEST_CASE("§3.1 scaling: 5 concurrent batches at start, +300 per minute while messages remain, ceiling 1,250",
          "[pollers][queue][scaling][spec-3.1]") {
  esm::simulation sim;
  esm::account::configure(sim, {.concurrency_limit = 5000});
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  esm::queue_poller p{q, fn, [](const qbatch&, esm::invocation_context& ctx) { ctx.elapse(2s); }};
  send_n(q, 1'500'000);
  sim.run_until(at(150ms));
  CHECK(p.metrics().concurrency == 5);
  CHECK(p.target_concurrency() == 5);
  sim.advance_to(at(60s));
  CHECK(p.target_concurrency() == 305);
  sim.advance_to(at(5min));
  CHECK(p.target_concurrency() == 1250);
  CHECK(p.metrics().max_concurrency == 1250);
  CHECK(fn.metrics().throttles == 0);
}

TEST_CASE("§3.1 [changed] the 2022 policy: +60 per minute, ceiling 1,000", "[pollers][queue][scaling][spec-3.1]") {
  esm::simulation sim;
  esm::account::configure(sim, {.concurrency_limit = 5000});
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f", .timeout = 30s}};
  esm::queue_poller p{q, fn, [](const qbatch&, esm::invocation_context& ctx) { ctx.elapse(20s); },
                      esm::sqs_scaling_2022{}};
  send_n(q, 600'000);
  sim.advance_to(at(60s));
  CHECK(p.target_concurrency() == 65);
  sim.advance_to(at(18min));
  CHECK(p.target_concurrency() == 1000);
  CHECK(p.metrics().max_concurrency == 1000);
}

TEST_CASE("§3.1 scaling back: toward 5 when traffic drops, 2 when idle; not below 5 with MaximumConcurrency",
          "[pollers][queue][scaling][spec-3.1][spec-3.2]") {
  for (const bool capped : {false, true}) {
    INFO("capped " << capped);
    esm::simulation sim;
    squeue q{sim, "q"};
    esm::function fn{sim, {.name = "f"}};
    journal j;
    auto h = [&](const qbatch& b, esm::invocation_context& ctx) {
      j.record(b, ctx);
      ctx.elapse(1s);
    };
    auto run = [&](auto& p) {
      send_n(q, 2'000);
      sim.run_until(at(10s));
      CHECK(p.target_concurrency() > 20);
      sim.run_until(at(10min));
      CHECK(p.target_concurrency() == (capped ? 5 : 2)); // scaled back after the drain, by itself
      CHECK(sim.pending_events() == 0);                  // and then idle: nothing scheduled
      q.send("wake up");
      sim.run_until_idle(1'000'000);
      CHECK(p.target_concurrency() == (capped ? 5 : 2));
    };
    if (capped) {
      esm::queue_poller p{q, fn, h, esm::sqs_scaling{.maximum_concurrency = 100}};
      run(p);
    } else {
      esm::queue_poller p{q, fn, h};
      run(p);
    }
    CHECK(j.count("wake up") == 1);
  }
}

TEST_CASE("§3.4 function errors lower the concurrency, but not with ReportBatchItemFailures",
          "[pollers][queue][scaling][spec-3.4]") {
  for (const bool rbif : {false, true}) {
    INFO("ReportBatchItemFailures " << rbif);
    esm::simulation sim;
    squeue q{sim, "q"};
    esm::function fn{sim, {.name = "f"}};
    bool failing = false;
    esm::queue_poller p{q, fn,
                        [&](const qbatch&, esm::invocation_context& ctx) {
                          ctx.elapse(1s);
                          if (failing) throw std::runtime_error("down");
                        },
                        esm::queue_options{.report_batch_item_failures = rbif}};
    send_n(q, 200'000);
    sim.advance_to(at(10s));
    const int before = p.target_concurrency();
    CHECK(before == 55);
    failing = true;
    sim.advance_to(at(15s));
    if (rbif) {
      CHECK(p.target_concurrency() == 80); // still growing: +300 per minute
    } else {
      CHECK(p.target_concurrency() < before);
      CHECK(p.target_concurrency() >= 5);
    }
  }
}

TEST_CASE("§3.2 MaximumConcurrency caps concurrent batches: the mapping stops reading at the cap",
          "[pollers][queue][scaling][spec-3.2]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  esm::queue_poller p{q, fn, [](const qbatch&, esm::invocation_context& ctx) { ctx.elapse(1s); },
                      esm::sqs_scaling{.maximum_concurrency = 7}};
  send_n(q, 5'000);
  sim.run_until(at(30s));
  CHECK(p.metrics().max_concurrency == 7);
  CHECK(q.approximate_number_of_messages_not_visible() <= 70); // nothing received beyond the cap
  sim.run_until_idle(10'000'000);
  CHECK(p.metrics().deleted_event_count == 5'000);
}

TEST_CASE("§3.7 overpull: low reserved concurrency without MaximumConcurrency sends unprocessed messages to the DLQ; "
          "MaximumConcurrency prevents it",
          "[pollers][queue][spec-3.7][spec-3.2][spec-3.4]") {
  for (const bool capped : {false, true}) {
    INFO("MaximumConcurrency " << capped);
    esm::simulation sim;
    squeue dlq{sim, "dlq"};
    squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
    q.set_redrive_policy(dlq, 2);
    esm::function fn{sim, {.name = "f", .timeout = 30s, .reserved_concurrency = 2}};
    journal j;
    auto h = [&](const qbatch& b, esm::invocation_context& ctx) {
      j.record(b, ctx);
      ctx.elapse(25s);
    };
    auto run = [&](auto& p) {
      send_n(q, 100);
      sim.run_until_idle(10'000'000);
      CHECK(q.size() == 0);
      check_conservation(q);
      return p.metrics().throttles;
    };
    std::uint64_t throttles = 0;
    if (capped) {
      esm::queue_poller p{q, fn, h, esm::sqs_scaling{.maximum_concurrency = 2}};
      throttles = run(p);
    } else {
      esm::queue_poller p{q, fn, h};
      throttles = run(p);
    }
    // Messages that reached the DLQ without the handler ever seeing them: the overpull.
    std::size_t never_ran = 0;
    for (const auto& m : dlq.receive(10)) never_ran += j.count(m.body) == 0 ? 1 : 0;
    if (capped) {
      CHECK(throttles == 0);
      CHECK(dlq.size() == 0);
      CHECK(j.all_bodies().size() == 100);
    } else {
      CHECK(throttles > 0);
      CHECK(dlq.metrics().redriven_in > 0);
      CHECK(never_ran > 0);
    }
  }
}

// --- §3.6 FIFO -------------------------------------------------------------------------------

namespace {
using fbatch = esm::queue_batch<fqueue::message_type>;
struct fifo_journal {
  std::vector<std::vector<std::string>> calls;
  std::vector<std::string> processed;
};
void send_group(fqueue& q, const std::string& group, int n) {
  for (int i = 1; i <= n; ++i) {
    const std::string body = group + std::to_string(i);
    q.send(body, {.group_id = group, .deduplication_id = body});
  }
}
} // namespace

TEST_CASE("§3.1 FIFO: concurrency scales up to the number of active message groups",
          "[pollers][fifo][spec-3.1][spec-3.6]") {
  esm::simulation sim;
  fqueue q{sim, "q.fifo"};
  esm::function fn{sim, {.name = "f"}};
  esm::queue_poller p{q, fn, [](const fbatch&, esm::invocation_context& ctx) { ctx.elapse(1s); }};
  for (const char* g : {"a", "b", "c"}) send_group(q, g, 100);
  sim.run_until_idle(10'000'000);
  CHECK(p.metrics().max_concurrency == 3);
  CHECK(p.metrics().deleted_event_count == 300);
}

TEST_CASE("§3.6 FIFO: each group is delivered in order, and a failing group does not block the others",
          "[pollers][fifo][spec-3.6]") {
  esm::simulation sim;
  fqueue q{sim, "q.fifo"};
  esm::function fn{sim, {.name = "f"}};
  fifo_journal j;
  int failures_left = 2;
  esm::queue_poller p{q, fn,
                      [&](const fbatch& b, esm::invocation_context& ctx) {
                        std::vector<std::string> bodies;
                        for (const auto& m : b) bodies.push_back(m.body);
                        j.calls.push_back(bodies);
                        ctx.elapse(100ms);
                        if (b.front().group_id == "a" && failures_left > 0) {
                          --failures_left;
                          throw std::runtime_error("group a fails twice");
                        }
                        j.processed.insert(j.processed.end(), bodies.begin(), bodies.end());
                      },
                      esm::batching{.batch_size = 2}};
  send_group(q, "a", 4);
  send_group(q, "b", 4);
  sim.run_until(at(29s));
  // b finished while a waits for its failed batch's visibility timeout.
  std::vector<std::string> b_done;
  for (const auto& s : j.processed)
    if (s[0] == 'b') b_done.push_back(s);
  CHECK(b_done == std::vector<std::string>{"b1", "b2", "b3", "b4"});
  sim.run_until_idle(1'000'000);
  std::vector<std::string> a_done;
  for (const auto& s : j.processed)
    if (s[0] == 'a') a_done.push_back(s);
  CHECK(a_done == std::vector<std::string>{"a1", "a2", "a3", "a4"}); // order kept across retries
  CHECK(q.size() == 0);
}

TEST_CASE("§3.6 FIFO hazard: a partial response naming only the failing message lets later messages of its group be "
          "deleted, breaking order",
          "[pollers][fifo][spec-3.6][spec-3.5]") {
  for (const bool report_rest : {false, true}) {
    INFO("the function also returns the unprocessed messages: " << report_rest);
    esm::simulation sim;
    fqueue q{sim, "q.fifo"};
    esm::function fn{sim, {.name = "f"}};
    std::vector<std::string> processed;
    bool failed_once = false;
    esm::queue_poller p{q, fn,
                        [&](const fbatch& b) -> esm::batch_response {
                          esm::batch_response r;
                          bool stop = false;
                          for (const auto& m : b) {
                            if (stop) {
                              if (report_rest)
                                r.fail(std::string{m.message_id()});
                              else
                                processed.push_back(m.body); // processed although after a failure
                              continue;
                            }
                            if (m.body == "a2" && !failed_once) {
                              failed_once = true;
                              r.fail(std::string{m.message_id()});
                              stop = true;
                              continue;
                            }
                            processed.push_back(m.body);
                          }
                          return r;
                        },
                        esm::queue_options{.report_batch_item_failures = true}};
    send_group(q, "a", 4);
    sim.run_until_idle(1'000'000);
    if (report_rest) {
      CHECK(processed == std::vector<std::string>{"a1", "a2", "a3", "a4"});
    } else {
      // a3 and a4 were deleted with the batch; a2 comes back alone after them.
      CHECK(processed == std::vector<std::string>{"a1", "a3", "a4", "a2"});
    }
    CHECK(q.size() == 0);
  }
}

// --- enable / disable, trace -------------------------------------------------------------------

TEST_CASE("§1 Enabled=false pauses polling and invocation; enabling resumes", "[pollers][queue][spec-1]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                      esm::queue_options{.enabled = false}};
  CHECK(p.state() == esm::esm_state::disabled);
  send_n(q, 5);
  sim.run_until(at(1min));
  CHECK(j.calls.empty());
  CHECK(p.metrics().polled_event_count == 0);
  p.enable();
  sim.run_until_idle(1'000'000);
  CHECK(j.all_bodies().size() == 5);
  p.disable();
  send_n(q, 2, "later");
  sim.run_until(sim.now() + 1min);
  CHECK(j.all_bodies().size() == 5);
  CHECK(q.approximate_number_of_messages() == 2);
}

TEST_CASE("§1 Enabled=false then true: pollers that were waiting for messages receive again",
          "[pollers][queue][spec-1][lifecycle]") {
  // The soak found it: a mapping disabled while its pollers long-polled an empty queue, then
  // enabled, never received again (the pollers stayed marked as waiting but were in no list).
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  const bool windowed = GENERATE(false, true);
  INFO((windowed ? "a poller was gathering a batch (window open)" : "every poller was idle"));
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                      esm::batching{.batch_size = 10, .window = windowed ? 20s : 0s}};
  send_n(q, 3);
  sim.run_until(at(1min));
  REQUIRE(j.all_bodies().size() == 3);
  if (windowed) send_n(q, 1, "gathered");
  sim.run_until(sim.now() + 1s);
  p.disable();
  sim.run_until(sim.now() + 1min);
  p.enable();
  sim.run_until(sim.now() + 1min);
  send_n(q, 4, "after");
  sim.run_until(sim.now() + 1min);
  CHECK(j.all_bodies().size() == (windowed ? 8u : 7u));
  CHECK(q.size() == 0);
}

TEST_CASE("§6 trace events: receive, invoke, delete, return, redrive, scale", "[pollers][queue][trace][spec-6]") {
  esm::simulation sim;
  squeue dlq{sim, "dlq"};
  squeue q{sim, {.name = "q", .visibility_timeout = 5s}};
  q.set_redrive_policy(dlq, 1);
  esm::function fn{sim, {.name = "f", .timeout = 5s}};
  std::set<std::string> kinds;
  sim.trace().subscribe([&](const esm::trace_event& e) { kinds.insert(std::string{e.kind}); });
  esm::queue_poller p{q, fn, [](const qbatch& b, esm::invocation_context& ctx) {
                        ctx.elapse(1s);
                        if (b.front().body == "bad") throw std::runtime_error("bad");
                      }};
  q.send("bad");
  send_n(q, 200);
  sim.run_until_idle(1'000'000);
  for (const char* k : {"receive", "invoke", "delete", "return", "redrive", "scale"}) {
    INFO(k);
    CHECK(kinds.count(k) == 1);
  }
}

TEST_CASE("§6 ApproximateAgeOfOldestMessage grows while a backlog waits", "[pollers][queue][spec-6]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  esm::queue_poller p{q, fn, [](const qbatch&, esm::invocation_context& ctx) { ctx.elapse(1s); },
                      esm::sqs_scaling{.maximum_concurrency = 2}};
  send_n(q, 200);
  sim.run_until(at(3s));
  CHECK(q.approximate_age_of_oldest_message() == 3s);
  sim.run_until_idle(1'000'000);
  CHECK(q.approximate_age_of_oldest_message() == 0s);
  CHECK(sim.now() == at(10s)); // 200 messages, 2 batches of 10 per second
}

TEST_CASE("a queue mapping runs to the end of virtual time without overflow (issue 14)",
          "[pollers][queue][reliability]") {
  // Visibility timeouts, delays, windows, long polls, scaling ticks and transition delays near
  // time_point::max() saturate; under UBSan an overflow fails this test.
  for (const esm::duration left : std::array<esm::duration, 5>{0ns, 1ns, 150ms, 2s, 10min}) {
    esm::simulation sim;
    squeue dlq{sim, "dlq"};
    squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
    q.set_redrive_policy(dlq, 2);
    esm::function fn{sim, {.name = "f", .timeout = 3s}};
    int n = 0;
    esm::queue_poller p{q, fn,
                        [&](const qbatch&, esm::invocation_context& ctx) {
                          if (++n % 3 == 0) throw std::runtime_error("fail");
                          if (n % 5 == 0) ctx.elapse(4s); // a timeout
                        },
                        esm::batching{.batch_size = 20, .window = 2s},
                        esm::queue_options{.transitions = esm::mapping_transitions::eventual()}};
    sim.advance_to(time_point::max() - left - 1ns);
    send_n(q, 30);
    q.send("late", {.delay = 10s});
    sim.run_for(esm::duration::max());
    CHECK(sim.now() == time_point::max());
    check_conservation(q);
    if (left >= 10min) CHECK(q.metrics().deleted + dlq.size() == 31);
  }
}

TEST_CASE("a queue handler that runs the simulation: a function error, and a usage_error from the run call (issue 14)",
          "[pollers][queue][reliability]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  bool nested = true;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) {
                        j.record(b, ctx);
                        if (nested) sim.run_until_idle(); // not allowed: the event loop is not reentrant
                      }};
  q.send("a");
  CHECK_THROWS_WITH(sim.run_for(10s), Catch::Contains("the event loop is not reentrant"));
  REQUIRE(j.calls.size() == 1);
  nested = false;
  sim.run_for(60s);                // the message returns after its visibility timeout and succeeds
  CHECK(fn.metrics().errors == 1); // the handler's exception was a function error
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[1].receive_counts == std::vector<int>{2});
  CHECK(q.metrics().deleted == 1);
  check_conservation(q);
}

TEST_CASE("a queue filter predicate that throws: the run call throws it, the message returns (issue 14)",
          "[pollers][queue][reliability][spec-5]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  bool broken = true;
  esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                      esm::batching{.batch_size = 10}, esm::record_filter{[&](const smsg& m) {
                        if (broken && m.body == "b") throw std::runtime_error("bad filter");
                        return m.body != "c";
                      }}};
  for (const char* body : {"a", "b", "c", "d"}) q.send(body);
  CHECK_THROWS_WITH(sim.run_for(1s), "bad filter");
  sim.run_for(1s);
  // "a" was kept before the throw and is invoked; "b", "c", "d" stay in flight, undecided.
  REQUIRE(j.calls.size() == 1);
  CHECK(j.calls[0].bodies == std::vector<std::string>{"a"});
  CHECK(q.metrics().deleted == 1);
  check_conservation(q);
  broken = false;
  sim.run_for(60s); // their visibility timeout ends: received again, filtered, invoked
  CHECK(j.count("b") == 1);
  CHECK(j.count("c") == 0);
  CHECK(j.count("d") == 1);
  CHECK(p.metrics().filtered_out_event_count == 1);
  CHECK(q.size() == 0);
  check_conservation(q);
}

TEST_CASE("a function destroyed under a queue mapping: the mapping stops, in-flight messages return (issue 14)",
          "[pollers][queue][reliability]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  auto fn = std::make_unique<esm::function>(sim, esm::function_config{.name = "f"});
  journal j;
  esm::queue_poller p{q, *fn, [&](const qbatch& b, esm::invocation_context& ctx) {
                        j.record(b, ctx);
                        ctx.elapse(5s);
                      }};
  q.send("a");
  sim.run_for(1s);
  REQUIRE(j.calls.size() == 1);
  fn.reset(); // before: heap-use-after-free in function::allocate_flight at the next poll
  q.send("b");
  sim.run_for(1min);
  CHECK(j.calls.size() == 1);
  CHECK(p.state() == esm::esm_state::disabled);
  CHECK(p.state_transition_reason() == "esm: its function 'f' was destroyed");
  CHECK(p.configuration().function_name == "f");
  // Nothing lost: "a" came back after its visibility timeout, "b" was never received.
  CHECK(q.size() == 2);
  CHECK(q.metrics().deleted == 0);
  CHECK(q.receive(10).size() == 2);
  check_conservation(q);
  CHECK_THROWS_AS(p.enable(), esm::usage_error);
}

TEST_CASE("a queue destroyed under its mapping: the mapping stops, in-flight results are dropped (issue 14)",
          "[pollers][queue][reliability]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "f"}};
  auto q = std::make_unique<squeue>(sim, "q");
  const std::string arn = q->arn();
  esm::queue_poller p{*q, fn, [](const qbatch&, esm::invocation_context& ctx) { ctx.elapse(5s); }};
  q->send("a");
  sim.run_for(1s);
  CHECK(fn.concurrent_executions() == 1);
  q.reset(); // before: heap-use-after-free in receivable_now / try_delete
  sim.run_for(1min);
  CHECK(fn.concurrent_executions() == 0);
  CHECK(fn.metrics().invocations == 1);
  CHECK(p.state() == esm::esm_state::disabled);
  CHECK(p.state_transition_reason() == "esm: its event source " + arn + " was destroyed");
  CHECK(p.configuration().event_source_arn == arn);
}

TEST_CASE("a queue mapping destroyed with events pending: its messages return (issue 14)",
          "[pollers][queue][reliability]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  auto p = std::make_unique<esm::queue_poller<squeue, std::function<void(const qbatch&, esm::invocation_context&)>>>(
      q, fn, [](const qbatch&, esm::invocation_context& ctx) { ctx.elapse(5s); });
  q.send("a");
  sim.run_for(1s);
  p.reset();
  sim.run_for(1min);
  CHECK(fn.concurrent_executions() == 0);
  CHECK(q.metrics().deleted == 0);
  CHECK(q.receive(10).size() == 1);
  check_conservation(q);
}

namespace {
struct order_body { // not text, not bytes: deduplication ids only
  std::string id;
  int qty = 0;
};
} // namespace

TEST_CASE("§3.6 a FIFO mapping of a struct body runs with deduplication ids (issue 14)",
          "[pollers][queue][fifo][reliability][spec-3.6]") {
  esm::simulation sim;
  esm::sqs_fifo_queue<order_body> q{sim, {.name = "orders.fifo"}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::string> seen;
  esm::queue_poller p{q, fn, [&](const esm::queue_batch<esm::sqs_message<order_body>>& b) {
                        for (const auto& m : b) seen.push_back(m.body.id + "x" + std::to_string(m.body.qty));
                      }};
  for (int i = 0; i < 4; ++i) {
    q.send(order_body{"o" + std::to_string(i), i}, {.group_id = "g", .deduplication_id = "d" + std::to_string(i)});
  }
  sim.run_for(10s);
  CHECK(seen == std::vector<std::string>{"o0x0", "o1x1", "o2x2", "o3x3"});
  CHECK(q.metrics().deleted == 4);
}
