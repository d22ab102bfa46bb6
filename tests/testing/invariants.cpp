// Tests of esm/testing/invariants.hpp: each property holds on a correct scenario and is broken,
// with the item, the invocations and the seed, by a planted fault (a loss, a reorder, a missing
// discard, a non-idempotent effect): the mutation checks of the checker itself. Spec: §3.3 and
// §8 (standard queues: at-least-once, best-effort order), §3.6 (FIFO order per group), §2.3
// (stream retries), §4.6 (on-failure destination).
#include <esm/esm.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>
#include <esm/testing/invariants.hpp>
#include <esm/testing/recorder.hpp>
#include <esm/testing/scripted.hpp>

#include <map>
#include <set>
#include <string>

#include "support/catch.hpp"

using namespace std::chrono_literals;
namespace et = esm::testing;

namespace {
using kinesis = esm::kinesis_stream<std::string>;
using kinesis_batch = esm::stream_batch<kinesis::record_type>;
using queue = esm::sqs_queue<std::string>;
using queue_batch = esm::queue_batch<queue::message_type>;

// A queue that reports one message fewer than it holds: a planted loss.
struct lossy_queue {
  const queue& q;
  [[nodiscard]] const std::string& name() const { return q.name(); }
  [[nodiscard]] const esm::sqs_queue_metrics& metrics() const { return q.metrics(); }
  [[nodiscard]] std::size_t size() const { return q.size() > 0 ? q.size() - 1 : 0; }
};
// A stream that reports one record more written than it holds: a planted loss.
struct lossy_stream {
  const kinesis& s;
  mutable esm::stream_metrics m{};
  [[nodiscard]] const std::string& name() const { return s.name(); }
  [[nodiscard]] std::size_t shard_count() const { return s.shard_count(); }
  [[nodiscard]] const kinesis::shard_type& shard_at(std::uint32_t i) const { return s.shard_at(i); }
  [[nodiscard]] const esm::stream_metrics& metrics() const {
    m = s.metrics();
    ++m.records_put;
    return m;
  }
};
} // namespace

TEST_CASE("no_loss holds for a stream mapping with retries, bisection and a destination, at every step (§2.3, §4.6)",
          "[testing][invariants][spec-2.3][spec-4.6]") {
  esm::simulation sim{{.seed = 11}};
  kinesis s{sim, {.name = "s", .shard_count = 2}};
  esm::function fn{sim, {.name = "f"}};
  et::recorder rec{sim};
  for (int i = 0; i < 200; ++i) s.put("k" + std::to_string(i % 7), i % 37 == 0 ? "poison" : "ok");
  esm::stream_poller p{
      s,
      fn,
      rec.wrap(et::poison([](const auto& r) { return r.data == "poison"; }, [](const kinesis_batch&) {})),
      esm::batching{.batch_size = 10},
      esm::stream_retry{.max_attempts = 1, .bisect_on_error = true},
      esm::on_failure{[](const esm::stream_failure_record&) {}},
      esm::starting_position::trim_horizon()};
  et::invariants inv{sim, rec};
  inv.no_loss(s, p).order_per_key().at_least_once(
      [&] { return p.metrics().on_failure_destination_delivered_event_count + p.metrics().dropped_event_count; });
  inv.check_every(100ms);
  sim.run_until_idle();
  const auto report = inv.check();
  INFO(report);
  CHECK(report.ok());
  CHECK(report.checks > 10);
  CHECK(p.metrics().on_failure_destination_delivered_event_count > 0);

  SECTION("a planted loss is found, with the stream's name and the seed") {
    lossy_stream lossy{s};
    et::invariants bad{sim, rec};
    bad.no_loss(lossy, p);
    const auto r = bad.check();
    REQUIRE(r.broke("no_loss"));
    const auto text = et::to_string(r.violations.front());
    CHECK(text.find("no_loss at ") == 0);
    CHECK(text.find("s: 201 records written, 200 settled") != std::string::npos);
    CHECK(text.find("1 lost; replay with seed 11") != std::string::npos);
  }
  SECTION("a planted missing discard breaks at_least_once, naming the records and their invocations") {
    et::invariants bad{sim, rec};
    bad.at_least_once([] { return 0; });
    const auto r = bad.check();
    REQUIRE(r.broke("at_least_once"));
    const auto& v = r.violations.front();
    CHECK(rec.invocations_of(v.item).size() == v.invocations.size());
    CHECK(v.invocations.size() >= 2); // the failed batch, then bisected down to the record
  }
}

TEST_CASE("no_loss holds for a queue and its DLQ; a planted loss is found at the step it happens (§3.4)",
          "[testing][invariants][spec-3.4]") {
  esm::simulation sim{{.seed = 5}};
  queue dlq{sim, "dlq"};
  queue q{sim, {.name = "q", .visibility_timeout = 10s}};
  q.set_redrive_policy(dlq, 2);
  esm::function fn{sim, {.name = "f"}};
  et::recorder rec{sim};
  for (int i = 0; i < 30; ++i) q.send(i % 10 == 3 ? "bad" : "good");
  esm::queue_poller p{q, fn,
                      rec.wrap(et::poison([](const auto& m) { return m.body == "bad"; }, [](const queue_batch&) {})),
                      esm::batching{.batch_size = 1}};
  et::invariants inv{sim, rec};
  inv.no_loss(q).no_loss(dlq).at_least_once([&] { return dlq.metrics().redriven_in; });
  inv.check_every(1s);
  sim.run_until_idle();
  auto report = inv.check();
  INFO(report);
  CHECK(report.ok());
  CHECK(dlq.size() == 3);

  lossy_queue lossy{dlq};
  et::invariants bad{sim, rec};
  bad.no_loss(lossy);
  const auto r = bad.check();
  REQUIRE(r.violations.size() == 1);
  CHECK(r.violations[0].item == "dlq");
  CHECK(r.violations[0].detail == "3 messages in (sent, redriven in), 2 accounted (in the queue, deleted, to the DLQ, "
                                  "expired): 1 lost");
  CHECK(r.violations[0].seed == 5);
}

TEST_CASE("order_per_key: kept on a FIFO queue; a standard queue's reordering breaks it, with the item (§3.6, §8)",
          "[testing][invariants][spec-3.6][spec-8]") {
  SECTION("FIFO") {
    esm::simulation sim{{.seed = 2}};
    esm::sqs_fifo_queue<std::string> q{sim, {.name = "q.fifo", .content_based_deduplication = true}};
    esm::function fn{sim, {.name = "f"}};
    et::recorder rec{sim};
    for (int i = 0; i < 100; ++i) q.send("m" + std::to_string(i), {.group_id = "g" + std::to_string(i % 4)});
    esm::queue_poller p{
        q, fn,
        rec.wrap(et::fail_first(3, [](const esm::queue_batch<esm::sqs_fifo_queue<std::string>::message_type>&) {}))};
    et::invariants inv{sim, rec};
    inv.order_per_key();
    sim.run_until_idle();
    const auto report = inv.check();
    INFO(report);
    CHECK(report.ok());
    CHECK(rec.distinct_items() == 100);
  }
  SECTION("a standard queue that reorders (planted: order is not promised there)") {
    esm::simulation sim{{.seed = 2}};
    queue q{sim, {.name = "q", .delivery = {.reorder_rate = 1.0}}};
    esm::function fn{sim, {.name = "f"}};
    et::recorder rec{sim};
    for (int i = 0; i < 50; ++i) q.send("m" + std::to_string(i));
    esm::queue_poller p{q, fn,
                        rec.wrap([](const queue_batch&) {}, [](const auto&) { return std::string_view{"one key"}; }),
                        esm::batching{.batch_size = 1}};
    et::invariants inv{sim, rec};
    inv.order_per_key();
    sim.run_until_idle();
    const auto report = inv.check();
    REQUIRE(report.broke("order_per_key"));
    const auto& v = report.violations.front();
    CHECK(v.key == "one key");
    REQUIRE(v.invocations.size() == 1);
    CHECK(rec.invocation(v.invocations[0]).contains(v.item));
    CHECK(to_string(v).find("replay with seed 2") != std::string::npos);
  }
}

TEST_CASE("exactly_once_effects: an idempotent consumer passes under duplicates; a counter applies twice (§3.3, §8)",
          "[testing][invariants][spec-3.3][spec-8]") {
  auto run = [](bool idempotent) {
    esm::simulation sim{{.seed = 9}};
    queue q{sim, {.name = "q", .delivery = {.duplicate_rate = 0.3}}};
    esm::function fn{sim, {.name = "f"}};
    et::recorder rec{sim};
    std::map<std::string, int> applied;
    std::set<std::string> done;
    for (int i = 0; i < 40; ++i) q.send("order-" + std::to_string(i));
    esm::queue_poller p{q, fn,
                        rec.wrap(
                            [&](const queue_batch& b) {
                              for (const auto& m : b)
                                if (!idempotent || done.insert(m.body).second) ++applied[m.body];
                            },
                            [](const queue::message_type& m) { return std::string_view{m.body}; }),
                        esm::batching{.batch_size = 5}};
    et::invariants inv{sim, rec};
    inv.exactly_once_effects([&](std::string_view key) { return applied[std::string{key}]; });
    sim.run_until_idle();
    CHECK(q.metrics().duplicate_deliveries > 0);
    return inv.check();
  };
  const auto good = run(true);
  INFO(good);
  CHECK(good.ok());
  const auto bad = run(false);
  REQUIRE(bad.broke("exactly_once_effects"));
  CHECK(bad.violations.front().detail == "the effect was applied 2 times; expected once (a delivery succeeded)");
  CHECK(bad.to_string().find(" violation(s) in 1 checks\n  exactly_once_effects at ") != std::string::npos);
}

TEST_CASE("check_every rejects a non-positive interval and stops when nothing else is pending",
          "[testing][invariants]") {
  esm::simulation sim;
  et::recorder rec{sim};
  et::invariants inv{sim, rec};
  CHECK_THROWS_AS(inv.check_every(0s), esm::usage_error);
  sim.schedule_after(10s, [] {});
  inv.check_every(1s);
  sim.run_until_idle();
  CHECK(sim.now() == esm::time_point{} + 10s);
  CHECK(inv.check().checks == 11); // at 1 s … 10 s, then this one
}
