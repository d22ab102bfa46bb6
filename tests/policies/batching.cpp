// Tests of esm/policies/batching.hpp (and roles.hpp): AWS's batching decisions, and user-written
// batching policies that change what both pollers cut.
#include <esm/policies/batching.hpp>
#include <esm/policies/roles.hpp>
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

/// Batches of at most 1 KiB, sent at once; counts its decisions.
struct kib_batches {
  using esm_role = esm::batching_role;
  std::size_t bytes = 1024;
  int decisions = 0;
  esm::batch_limits limits(esm::source_kind) const { return {.max_records = 10'000, .max_bytes = bytes}; }
  esm::batch_decision decide(const esm::batch_candidate&) {
    ++decisions;
    return esm::batch_decision::cut();
  }
  void validate(esm::source_kind) const {}
};

/// Waits until a batch holds at least `min` records (no declared role: found by concept).
struct at_least {
  std::size_t min = 3;
  esm::batch_limits limits(esm::source_kind) const { return {.max_records = 100}; }
  esm::batch_decision decide(const esm::batch_candidate& c) const {
    return c.records >= min ? esm::batch_decision::cut() : esm::batch_decision::wait_until(time_point::max());
  }
  void validate(esm::source_kind) const {}
};

} // namespace

TEST_CASE("batching concept: AWS's policy, user policies, and types that are not batching policies",
          "[policies][batching]") {
  STATIC_REQUIRE(esm::batching_policy<esm::batching>);
  STATIC_REQUIRE(esm::batching_policy<kib_batches>);
  STATIC_REQUIRE(esm::batching_policy<at_least>);
  STATIC_REQUIRE(!esm::batching_policy<int>);
  STATIC_REQUIRE(!esm::batching_policy<esm::stream_retry>);
  STATIC_REQUIRE(esm::declares_role_of<kib_batches, esm::batching_role>);
  STATIC_REQUIRE(!esm::declares_role<at_least>);
  STATIC_REQUIRE(esm::detail::is_batching<at_least>::value);
  STATIC_REQUIRE(!esm::detail::is_batching<esm::parallelization>::value);
}

TEST_CASE("esm::batching decides as AWS cuts: full, no window, or window passed (§1)", "[policies][batching][spec-1]") {
  const esm::batching none{};
  esm::batch_candidate c{.kind = esm::source_kind::kinesis, .records = 1, .bytes = 10, .full = false,
                         .now = at(5s), .gathering_since = at(4s), .first_arrival = at(4s)};
  CHECK(none.decide(c).cuts());
  const esm::batching w{.batch_size = 10, .window = 2s};
  CHECK_FALSE(w.decide(c).cuts());
  CHECK(w.decide(c).until() == at(6s));
  c.full = true;
  CHECK(w.decide(c).cuts());
  c.full = false;
  c.now = at(6s);
  CHECK(w.decide(c).cuts()); // the window's end is inclusive
  CHECK(w.limits(esm::source_kind::kinesis).max_records == 10);
  CHECK(w.limits(esm::source_kind::kinesis).max_bytes == esm::max_invoke_payload_bytes);
  CHECK(esm::batching{}.limits(esm::source_kind::sqs_standard).max_records == 10);
  CHECK(esm::batching{}.limits(esm::source_kind::dynamodb).max_records == 100);
}

TEST_CASE("a user batching policy that cuts at 1 KiB changes the stream batches", "[policies][batching][stream]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  // 50 records of 200 B data: 5 of them make an event of `five` bytes (their JSON, spec §1), a
  // sixth would not fit.
  for (int i = 0; i < 50; ++i) s.put("k", std::string(200, 'x'));
  const auto& sh = s.shard_at(0);
  const std::size_t one = esm::event_size<kstream>{s}.record(sh.at(sh.begin_position()), sh.id());
  const std::size_t five = esm::event_envelope_bytes + 5 * one + 4;
  CHECK(one > 200 * 4 / 3); // base64 data and the record's metadata
  std::vector<std::size_t> sizes;
  esm::stream_poller poller{s, fn, [&](const kbatch& b) { sizes.push_back(b.size()); }, kib_batches{.bytes = five},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(sizes.size() == 10);
  for (const auto n : sizes) CHECK(n == 5);
  CHECK(poller.policy<kib_batches>().decisions == 10); // once per batch, never per record
  CHECK(poller.metrics().processed_event_count == 50);
  CHECK(poller.batch_size() == 10'000);
}

TEST_CASE("a single record over the policy's byte limit is still sent alone", "[policies][batching][stream]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  s.put("k", std::string(2000, 'x'));
  s.put("k", "small");
  std::vector<std::size_t> sizes;
  esm::stream_poller poller{s, fn, [&](const kbatch& b) { sizes.push_back(b.size()); }, kib_batches{},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(sizes == std::vector<std::size_t>{1, 1});
}

TEST_CASE("a user batching policy that waits for 3 records holds a partial batch until more arrive",
          "[policies][batching][stream]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::pair<time_point, std::size_t>> calls;
  esm::stream_poller poller{
      s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { calls.emplace_back(ctx.start_time(), b.size()); },
      at_least{}, esm::starting_position::trim_horizon()};
  s.put("k", "a");
  s.put("k", "b");
  sim.run_for(10s);
  CHECK(calls.empty());
  s.put("k", "c");
  sim.run_for(10s);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].second == 3);
  CHECK(calls[0].first == at(10s)); // the third record, put at 10 s, makes the batch
}

TEST_CASE("a user batching policy changes the SQS batches", "[policies][batching][queue]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  // Each message counts its body plus 700 B of metadata: two of 1,000 B (3,400 B) fit in 4 KiB, three do not.
  for (int i = 0; i < 8; ++i) q.send(std::string(1000, 'x'));
  std::vector<std::size_t> sizes;
  esm::queue_poller poller{q, fn, [&](const qbatch& b) { sizes.push_back(b.size()); }, kib_batches{.bytes = 4096},
                           esm::sqs_scaling{.maximum_concurrency = 2}};
  sim.run_until_idle();
  std::size_t total = 0;
  for (const auto n : sizes) {
    CHECK(n == 2);
    total += n;
  }
  CHECK(total == 8);
  CHECK(poller.metrics().deleted_event_count == 8);
}

TEST_CASE("checked limits: a batching policy's limits are validated like BatchSize (§1)", "[policies][batching][config]") {
  struct zero_records {
    using esm_role = esm::batching_role;
    esm::batch_limits limits(esm::source_kind) const { return {.max_records = 0}; }
    esm::batch_decision decide(const esm::batch_candidate&) const { return esm::batch_decision::cut(); }
    void validate(esm::source_kind) const {}
  };
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  CHECK_THROWS_WITH(
      (esm::stream_poller{s, fn, [](const kbatch&) {}, zero_records{}, esm::starting_position::trim_horizon()}),
      Catch::Contains("batch_limits.max_records must be in [1, 10000]"));
}
