#pragma once
/// \file esm/testing/hazards.hpp
/// The hazard battery: runs a user's consumer through the hazards AWS documents for its source,
/// one small scenario each, and reports which property each breaks.
///
/// ```cpp
/// auto report = esm::testing::hazards<esm::sqs_queue<std::string>>(
///     [](esm::testing::faults& f) {
///       auto store = std::make_shared<my_store>();
///       return esm::testing::consumer{my_handler(store, f),                       // the handler
///                                     [store](std::string_view id) { return store->count(id); }};  // its effects
///     },
///     {.report_batch_item_failures = true});  // the mapping's settings, as in production
/// INFO(report);          // the table
/// CHECK(report.ok());
/// ```
///
/// The factory is called once per hazard with that hazard's `esm::testing::faults` (and, if it
/// takes it, the hazard's source, for `esm::aws::json_handler{source, fn}`) and returns a fresh
/// consumer: the handler, and `effects_of(id)`, how many times its store applied the
/// effect of the item with business id `id`. Items are text: message bodies, record data, or
/// DynamoDB new images `item-<n>`, with keys (`k<n>`: partition keys, item keys, FIFO groups
/// `g<n>`) spread round-robin; the consumer calls `faults.check(id)` where it calls its
/// dependency, and the hazard makes some of those calls fail.
///
/// Each hazard checks the `esm::testing::invariants` properties that apply to it: `no_loss`,
/// `order_per_key` (streams and FIFO), `at_least_once`, `exactly_once_effects`. A correct
/// consumer (idempotent by business id; applies an effect only when it succeeds; on a FIFO
/// queue fails the rest of the group after a failure) passes every hazard. The report is a
/// table a person reads (`to_string`, `<<`) and JSON for tools (`to_json`); a seed reproduces
/// it bit for bit.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/simulation.hpp>
#include <esm/lambda/function.hpp>
#include <esm/policies/batching.hpp>
#include <esm/policies/parallelization.hpp>
#include <esm/policies/retry.hpp>
#include <esm/pollers/destination.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>
#include <esm/testing/faults.hpp>
#include <esm/testing/hazard_report.hpp>
#include <esm/testing/invariants.hpp>
#include <esm/testing/recorder.hpp>
#include <esm/testing/scripted.hpp>

namespace esm::testing {

/// A consumer under test: its handler and how many times it applied an item's effect.
template <class H, class EffectsOf>
struct consumer {
  H handler;            ///< the handler, as the mapping would run it
  EffectsOf effects_of; ///< `effects_of(business_id)` → times the effect was applied (an integer)
};
template <class H, class EffectsOf>
consumer(H, EffectsOf) -> consumer<H, EffectsOf>;

/// The battery's settings: the mapping's as in production, and the scenarios' size.
struct hazard_options {
  /// `FunctionResponseTypes = ["ReportBatchItemFailures"]` of the mapping. Default false.
  bool report_batch_item_failures = false;
  /// Items per scenario. Range [4, 10000]. Default 40.
  std::size_t items = 40;
  /// Keys the items are spread over (partition keys, item keys, FIFO groups). Range [1, items]. Default 4.
  std::size_t keys = 4;
  /// `BatchSize`. Range [1, 10] for the queues here (no batching window), [1, 10000] for streams. Default 10.
  std::size_t batch_size = 10;
  /// Modelled duration of each invocation. Range [1 ms, 1 s]. Default 20 ms.
  duration handler_duration = std::chrono::milliseconds{20};
  /// Seed of every scenario: the same seed, the same report.
  std::uint64_t seed = 1;
};

namespace detail {

/// A handler whose first `n` invocations time out after it ran (its effects are done, the
/// mapping sees `Sandbox.Timedout`).
template <class H>
class time_out_first_handler {
public:
  time_out_first_handler(int n, H h) : n_(n), h_(std::move(h)) {}
  template <class Event>
  requires esm::handler<H, Event> handler_result_t<H, Event>
  operator()(Event& event, invocation_context& ctx) {
    struct overrun {
      invocation_context& c;
      bool on;
      ~overrun() {
        if (on) c.elapse(c.remaining_time() + duration{1});
      }
    } guard{ctx, n_ > 0};
    if (n_ > 0) --n_;
    return detail::call(h_, event, ctx);
  }

private:
  int n_;
  H h_;
};

/// The recorder key that names an item's effect: its business id.
struct business_key {
  template <class T>
  std::string_view operator()(const T& item) const noexcept {
    return business_id(item);
  }
};

inline std::string item_text(std::size_t i) { return "item-" + std::to_string(i); }

/// What varies between the scenarios of one source kind.
struct hazard_case {
  const char* name;
  const char* section;
  const char* what;
  int fail_once = 0;           // items whose first check fails (spread over the keys)
  bool poison = false;         // one item always fails
  double duplicate_rate = 0.0; // standard queue
  double reorder_rate = 0.0;   // standard queue
  duration visibility = std::chrono::seconds{30};
  duration take{};              // stated duration of every invocation (0: the function's model)
  int time_out_first = 0;       // the first n invocations time out after the handler ran
  int reserved_concurrency = 0; // > 0: reserved concurrency (throttles)
  bool cold_starts = false;
  duration init = std::chrono::milliseconds{250}; // cold-start init duration
  int max_receive = 0;                            // queues: redrive policy (0: none)
  bool resend = false;                            // FIFO: each item sent twice with the same deduplication id
  int shards = 1;                                 // streams
  int parallelization = 1;                        // streams
  bool bisect = false;                            // streams
  int max_attempts = 2;                           // streams: MaximumRetryAttempts
  bool reshard = false;                           // streams: split (Kinesis) or roll over (DynamoDB) half-way
  bool needs_partial = false;                     // runs only with ReportBatchItemFailures on
};

inline void validate(const hazard_options& o, bool queue) {
  esm::detail::check_range<std::size_t>("hazard_options.items", o.items, 4, 10000, "esm::testing::hazards");
  esm::detail::check_range<std::size_t>("hazard_options.keys", o.keys, 1, o.items, "esm::testing::hazards");
  esm::detail::check_range<std::size_t>("hazard_options.batch_size", o.batch_size, 1, queue ? 10 : 10000,
                                        "esm::testing::hazards");
  esm::detail::check_range<duration>("hazard_options.handler_duration", o.handler_duration,
                                     duration{std::chrono::milliseconds{1}}, duration{std::chrono::seconds{1}},
                                     "esm::testing::hazards");
}

// Plans the case's failures: `fail_once` items fail on their first check; the poison always.
inline void plan(faults& f, const hazard_case& c, const hazard_options& o) {
  for (int k = 0; k < c.fail_once; ++k) f.fail(item_text((o.items / 3 + static_cast<std::size_t>(k) * 7) % o.items));
  if (c.poison) f.poison(item_text(o.items / 2));
}

template <class Handler>
auto with_extras(const hazard_case& c, Handler h) {
  return time_out_first_handler<Handler>{c.time_out_first, std::move(h)};
}

// The factory's consumer: `make(faults)`, or `make(faults, source)` for handlers that need the
// source (`esm::aws::json_handler`).
template <class Make, class Source>
auto make_consumer(Make& make, faults& f, Source& s) {
  if constexpr (std::is_invocable_v<Make&, faults&, Source&>) {
    return make(f, s);
  } else {
    static_assert(
        std::is_invocable_v<Make&, faults&>,
        "esm::testing::hazards: the factory takes (esm::testing::faults&) or (faults&, Source&) and returns an "
        "esm::testing::consumer");
    return make(f);
  }
}

// 5 s, or the queue's visibility timeout when shorter (an SQS mapping's function timeout may
// not exceed it).
inline function_config function_for(const hazard_case& c, const hazard_options& o, bool queue) {
  function_config f;
  f.name = "consumer";
  f.timeout = queue ? std::min<duration>(std::chrono::seconds{5}, c.visibility) : duration{std::chrono::seconds{5}};
  if (c.reserved_concurrency > 0) f.reserved_concurrency = c.reserved_concurrency;
  if (c.cold_starts) f.cold_start = cold_start_model{.init = duration_model::fixed(c.init)};
  f.default_duration = duration_model::fixed(c.take > duration::zero() ? c.take : o.handler_duration);
  return f;
}

inline hazard_result start_result(const hazard_case& c, std::vector<std::string> properties) {
  hazard_result r;
  r.name = c.name;
  r.section = c.section;
  r.what = c.what;
  r.properties = std::move(properties);
  return r;
}

inline void merge(invariant_report& into, const invariant_report& from) {
  into.checks += from.checks;
  for (const auto& v : from.violations) into.violations.push_back(v);
}

// ---- queues --------------------------------------------------------------------------------

template <bool Fifo>
struct queue_types {
  using queue = std::conditional_t<Fifo, sqs_fifo_queue<std::string>, sqs_queue<std::string>>;
  using batch = queue_batch<typename queue::message_type>;
};

template <bool Fifo, class Make>
hazard_result run_queue_case(const hazard_case& c, Make& make, const hazard_options& o) {
  using types = queue_types<Fifo>;
  using queue_t = typename types::queue;
  simulation sim{{.seed = o.seed}};
  std::unique_ptr<queue_t> dlq, q;
  if constexpr (Fifo) {
    dlq = std::make_unique<queue_t>(sim, sqs_fifo_queue_config{.name = "hazard-dlq.fifo"});
    q = std::make_unique<queue_t>(sim,
                                  sqs_fifo_queue_config{.name = "hazard.fifo", .visibility_timeout = c.visibility});
  } else {
    dlq = std::make_unique<queue_t>(sim, sqs_queue_config{.name = "hazard-dlq"});
    q = std::make_unique<queue_t>(
        sim, sqs_queue_config{.name = "hazard",
                              .visibility_timeout = c.visibility,
                              .delivery = {.duplicate_rate = c.duplicate_rate, .reorder_rate = c.reorder_rate}});
  }
  if (c.max_receive > 0) q->set_redrive_policy(*dlq, c.max_receive);
  function fn{sim, function_for(c, o, true)};
  faults f;
  plan(f, c, o);
  auto cons = make_consumer(make, f, *q);
  recorder by_key{sim};
  recorder by_id{sim};
  auto h = with_extras(c, by_key.wrap(by_id.wrap(std::move(cons.handler), business_key{})));
  for (std::size_t i = 0; i < o.items; ++i) {
    if constexpr (Fifo) {
      const std::string group = "g" + std::to_string(i % o.keys);
      q->send(item_text(i), {.group_id = group, .deduplication_id = "d" + std::to_string(i)});
      if (c.resend) q->send(item_text(i), {.group_id = group, .deduplication_id = "d" + std::to_string(i)});
    } else {
      q->send(item_text(i));
    }
  }
  std::vector<std::string> props{"no_loss", "at_least_once", "exactly_once_effects"};
  if (Fifo) props.insert(props.begin() + 1, "order_per_key");
  hazard_result r = start_result(c, props);
  queue_poller p{*q, fn, std::move(h), batching{.batch_size = o.batch_size},
                 queue_options{.report_batch_item_failures = o.report_batch_item_failures, .name = "hazard"}};
  invariants by_effect{sim, by_id};
  by_effect.no_loss(*q).no_loss(*dlq).at_least_once([&] { return dlq->metrics().redriven_in; });
  by_effect.exactly_once_effects([&](std::string_view id) { return cons.effects_of(id); });
  by_effect.check_every(std::chrono::seconds{1});
  invariants by_order{sim, by_key};
  if (Fifo) by_order.order_per_key();
  sim.run_until(time_point{} + std::chrono::hours{2});
  merge(r.report, by_effect.check());
  if (Fifo) merge(r.report, by_order.check());
  r.invocations = by_id.size();
  return r;
}

template <bool Fifo>
std::vector<hazard_case> queue_cases() {
  using namespace std::chrono_literals;
  std::vector<hazard_case> v;
  if constexpr (!Fifo) {
    v.push_back({.name = "duplicates",
                 .section = "§8",
                 .what = "at-least-once delivery: 30% of receipts are delivered twice",
                 .duplicate_rate = 0.3});
    v.push_back({.name = "reordering",
                 .section = "§8",
                 .what = "best-effort order: half the receives take a later message",
                 .reorder_rate = 0.5});
    v.push_back({.name = "visibility_expires_mid_invocation",
                 .section = "§3.3",
                 .what = "a 1 s cold start, then 1.8 s of handler, on a 2 s visibility timeout (= the function "
                         "timeout): the message is received again while in flight",
                 .visibility = 2s,
                 .take = 1800ms,
                 .cold_starts = true,
                 .init = 1s});
  }
  v.push_back(
      {.name = "failed_batch_redelivered",
       .section = Fifo ? "§3.6" : "§3.4",
       .what = "a dependency fails once for 3 items: their batch (or only they, with a partial response) comes back",
       .fail_once = 3,
       .visibility = 10s});
  v.push_back({.name = "poison_to_dlq",
               .section = "§3.4",
               .what = "one item always fails: after maxReceiveCount 3 receives it moves to the DLQ",
               .poison = true,
               .visibility = 10s,
               .max_receive = 3});
  if constexpr (Fifo) {
    v.push_back({.name = "partial_response_order",
                 .section = "§3.6",
                 .what = "a failure mid-group with ReportBatchItemFailures: the rest of the group must come back too",
                 .fail_once = 2,
                 .visibility = 10s,
                 .needs_partial = true});
    v.push_back({.name = "deduplication",
                 .section = "§3.6",
                 .what = "every item sent twice with one MessageDeduplicationId: delivered once",
                 .resend = true});
  }
  v.push_back({.name = "throttles",
               .section = "§3.7",
               .what = "reserved concurrency 1 under 5 pollers: throttled batches return after the visibility timeout",
               .visibility = 5s,
               .reserved_concurrency = 1});
  v.push_back({.name = "timeouts",
               .section = "§2.2, §3.4",
               .what = "the first 2 invocations time out after the handler ran: their messages come back",
               .visibility = 10s,
               .time_out_first = 2});
  v.push_back({.name = "cold_starts",
               .section = "fidelity F6",
               .what = "every new execution environment pays a 250 ms init first",
               .cold_starts = true});
  return v;
}

// ---- streams -------------------------------------------------------------------------------

template <class Stream>
constexpr bool is_dynamodb = std::is_same_v<Stream, dynamodb_stream<std::string>>;

template <class Stream, class Make>
hazard_result run_stream_case(const hazard_case& c, Make& make, const hazard_options& o) {
  simulation sim{{.seed = o.seed}};
  std::unique_ptr<Stream> s;
  if constexpr (is_dynamodb<Stream>) {
    s = std::make_unique<Stream>(sim, dynamodb_stream_config{.name = "hazard", .partitions = c.shards});
  } else {
    s = std::make_unique<Stream>(sim, kinesis_stream_config{.name = "hazard", .shard_count = c.shards});
  }
  function fn{sim, function_for(c, o, false)};
  faults f;
  plan(f, c, o);
  auto cons = make_consumer(make, f, *s);
  recorder by_key{sim};
  recorder by_id{sim};
  auto h = with_extras(c, by_key.wrap(by_id.wrap(std::move(cons.handler), business_key{})));
  std::vector<std::string> last(o.keys); // DynamoDB: each key's current item
  auto write = [&](std::size_t i) {
    const std::string key = "k" + std::to_string(i % o.keys);
    if constexpr (is_dynamodb<Stream>) {
      std::string& prev = last[i % o.keys];
      if (prev.empty()) {
        s->insert({key}, item_text(i));
      } else {
        s->modify({key}, prev, item_text(i));
      }
      prev = item_text(i);
    } else {
      s->put(key, item_text(i));
    }
  };
  const std::size_t first_half = c.reshard ? o.items / 2 : o.items;
  for (std::size_t i = 0; i < first_half; ++i) write(i);
  if (c.reshard) {
    sim.schedule_after(std::chrono::seconds{5}, [&] {
      if constexpr (is_dynamodb<Stream>) {
        s->roll_over();
      } else {
        (void)s->split_shard(s->shard_at(0).id());
      }
      for (std::size_t i = first_half; i < o.items; ++i) write(i);
    });
  }
  hazard_result r = start_result(c, {"no_loss", "order_per_key", "at_least_once", "exactly_once_effects"});
  std::uint64_t sent = 0;
  stream_poller p{*s,
                  fn,
                  std::move(h),
                  batching{.batch_size = o.batch_size},
                  parallelization{.factor = c.parallelization},
                  stream_retry{.max_attempts = c.max_attempts, .bisect_on_error = c.bisect},
                  on_failure{[&sent](const stream_failure_record&) { ++sent; }},
                  stream_options{.start = starting_position::trim_horizon(),
                                 .report_batch_item_failures = o.report_batch_item_failures,
                                 .name = "hazard"}};
  invariants by_effect{sim, by_id};
  by_effect.no_loss(*s, p).at_least_once(
      [&] { return p.metrics().on_failure_destination_delivered_event_count + p.metrics().dropped_event_count; });
  by_effect.exactly_once_effects([&](std::string_view id) { return cons.effects_of(id); });
  by_effect.check_every(std::chrono::seconds{1});
  invariants by_order{sim, by_key};
  by_order.order_per_key();
  sim.run_until(time_point{} + std::chrono::hours{2});
  merge(r.report, by_effect.check());
  merge(r.report, by_order.check());
  r.invocations = by_id.size();
  return r;
}

inline std::vector<hazard_case> stream_cases(bool dynamodb) {
  std::vector<hazard_case> v;
  v.push_back(
      {.name = "batch_retry",
       .section = "§2.3",
       .what = "a dependency fails once for 3 records: the whole batch is retried, records before them replayed",
       .fail_once = 3});
  v.push_back({.name = "bisection",
               .section = "§2.4",
               .what = "one record always fails: BisectBatchOnFunctionError splits down to it, then the destination",
               .poison = true,
               .bisect = true});
  v.push_back(
      {.name = "retry_exhaustion",
       .section = "§2.6",
       .what = "one record always fails: after MaximumRetryAttempts 2 its batch goes to the on-failure destination",
       .poison = true});
  v.push_back({.name = "partial_batch_response",
               .section = "§2.5",
               .what = "with ReportBatchItemFailures: processing restarts at the lowest reported record",
               .fail_once = 3,
               .needs_partial = true});
  v.push_back({.name = "parallelization",
               .section = "§2.1",
               .what = "ParallelizationFactor 5 on 2 shards: keys in parallel, each key in order",
               .fail_once = 2,
               .shards = 2,
               .parallelization = 5});
  v.push_back({.name = "resharding",
               .section = "§2.8",
               .what = dynamodb ? "a shard roll-over half-way: the parent's records before the child's"
                                : "a shard split half-way: the parent's records before the children's",
               .fail_once = 1,
               .reshard = true});
  v.push_back({.name = "throttles",
               .section = "§2.2",
               .what = "reserved concurrency 1 on 2 shards: throttled batches are retried (no retry attempt used)",
               .reserved_concurrency = 1,
               .shards = 2});
  v.push_back({.name = "timeouts",
               .section = "§2.2",
               .what = "the first 2 invocations time out after the handler ran: their records are retried",
               .time_out_first = 2,
               .max_attempts = 5});
  v.push_back({.name = "cold_starts",
               .section = "fidelity F6",
               .what = "every new execution environment pays a 250 ms init first",
               .cold_starts = true});
  return v;
}

} // namespace detail

/// Runs `make`'s consumer through every hazard of `Source` (one of `kinesis_stream<std::string>`,
/// `dynamodb_stream<std::string>`, `sqs_queue<std::string>`, `sqs_fifo_queue<std::string>`) and
/// reports what broke. Hazards that need partial batch responses run only with
/// `report_batch_item_failures`. Throws `config_error` for options outside their ranges.
template <class Source, class Make>
[[nodiscard]] hazard_report hazards(Make make, const hazard_options& o = {}) {
  constexpr bool stream = std::is_same_v<Source, kinesis_stream<std::string>> || detail::is_dynamodb<Source>;
  constexpr bool fifo = std::is_same_v<Source, sqs_fifo_queue<std::string>>;
  static_assert(stream || fifo || std::is_same_v<Source, sqs_queue<std::string>>,
                "esm::testing::hazards: the source must be kinesis_stream<std::string>, dynamodb_stream<std::string>, "
                "sqs_queue<std::string> or sqs_fifo_queue<std::string>");
  detail::validate(o, !stream);
  hazard_report report;
  report.seed = o.seed;
  if constexpr (stream) {
    report.source = detail::is_dynamodb<Source> ? "dynamodb" : "kinesis";
    for (const auto& c : detail::stream_cases(detail::is_dynamodb<Source>)) {
      if (c.needs_partial && !o.report_batch_item_failures) continue;
      report.hazards.push_back(detail::run_stream_case<Source>(c, make, o));
    }
  } else {
    report.source = fifo ? "sqs_fifo" : "sqs";
    for (const auto& c : detail::queue_cases<fifo>()) {
      if (c.needs_partial && !o.report_batch_item_failures) continue;
      report.hazards.push_back(detail::run_queue_case<fifo>(c, make, o));
    }
  }
  return report;
}

} // namespace esm::testing
