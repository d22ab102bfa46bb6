#pragma once
/// \file esm/testing/rigs.hpp
/// Rigs: one-line setups of the common shapes, each a simulation with its source, a function,
/// a recorder and (for streams) a discard log, so a test states only what it is about.
///
/// ```cpp
/// esm::testing::queue_rig rig{{.visibility_timeout = 30s, .max_receive_count = 3}};   // queue + DLQ
/// const auto id = rig.queue.send("order-1").message_id.str();
/// rig.map(my_handler, esm::queue_options{.report_batch_item_failures = true});
/// rig.run();
/// CHECK(rig.rec.deliveries(id) == 3);
/// CHECK(rig.dlq.size() == 1);
/// CHECK(rig.check().ok());                  // no_loss on both queues, at_least_once
///
/// esm::testing::stream_rig<esm::kinesis_stream<std::string>> s{{.shards = 4}};
/// s.stream.put("k", "v");
/// s.map(my_handler, esm::stream_retry{.max_attempts = 1});   // TRIM_HORIZON, the discard log as destination
/// s.run();
/// CHECK(s.discards.records() == 0);
/// ```
///
/// `map(handler, policies...)` creates the poller with the recorder wrapped around the handler
/// and returns it; several calls make several mappings. A stream rig starts at TRIM_HORIZON
/// unless a starting position is given, and adds `discards` as the on-failure destination
/// unless the policies hold one. Members are public: use the simulation, the sources and the
/// function directly. A rig is not copyable or movable.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/core/simulation.hpp>
#include <esm/lambda/function.hpp>
#include <esm/pollers/destination.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>
#include <esm/testing/discards.hpp>
#include <esm/testing/invariants.hpp>
#include <esm/testing/recorder.hpp>

namespace esm::testing {

/// Settings of a queue rig.
struct queue_rig_options {
  /// Name of the queue (a FIFO rig appends `.fifo`). Default `queue`.
  std::string name = "queue";
  /// `VisibilityTimeout` of the queue, in [0 s, 12 h]. Default 30 s.
  duration visibility_timeout = std::chrono::seconds{30};
  /// `RedrivePolicy.maxReceiveCount` to the rig's DLQ, in [1, 1000]; 0: no redrive policy. Default 0.
  int max_receive_count = 0;
  /// Standard queues: duplicates and reordering (spec §8). Default none.
  at_least_once delivery{};
  /// FIFO: content-based deduplication. Default true (sends need no deduplication id).
  bool content_based_deduplication = true;
  /// The function. Default: `consumer`, timeout 3 s, 10 ms per invocation.
  function_config function{.name = "consumer"};
  /// The simulation's seed. Default 1.
  std::uint64_t seed = 1;
};

/// A queue (standard, or FIFO with `Fifo`), its DLQ, a function, a recorder.
template <class Body = std::string, bool Fifo = false>
class queue_rig {
public:
  using queue_type = std::conditional_t<Fifo, sqs_fifo_queue<Body>, sqs_queue<Body>>; ///< the queues
  using batch_type = queue_batch<typename queue_type::message_type>;                  ///< what a handler receives

  /// A rig with these settings. Throws `config_error` for a setting outside AWS's range.
  explicit queue_rig(queue_rig_options o = {})
      : sim{{.seed = o.seed}}, dlq{sim, make_config(o, true)}, queue{sim, make_config(o, false)}, fn{sim, o.function},
        rec{sim} {
    if (o.max_receive_count > 0) queue.set_redrive_policy(dlq, o.max_receive_count);
  }
  queue_rig(const queue_rig&) = delete;
  queue_rig& operator=(const queue_rig&) = delete;

  simulation sim;   ///< the simulation
  queue_type dlq;   ///< the dead-letter queue (the redrive target when `max_receive_count` > 0)
  queue_type queue; ///< the queue the mappings read
  function fn;      ///< the function they invoke
  recorder rec;     ///< every invocation of the handlers given to `map`

  /// A mapping of `queue` to `fn` with `rec.wrap(h)` and these policies and options.
  template <class H, class... Policies>
  auto& map(H h, Policies... policies) {
    using poller_t = queue_poller<queue_type, decltype(rec.wrap(std::move(h))), Policies...>;
    auto p = std::make_shared<poller_t>(queue, fn, rec.wrap(std::move(h)), std::move(policies)...);
    auto& ref = *p;
    pollers_.push_back(std::move(p));
    return ref;
  }

  /// Runs the simulation until nothing is pending, or for at most `limit` of virtual time.
  void run(duration limit = std::chrono::hours{24}) { sim.run_until(saturating_add(sim.now(), limit)); }

  /// `no_loss` on the queue and the DLQ, and `at_least_once` against the DLQ's arrivals, now.
  [[nodiscard]] invariant_report check() {
    invariants inv{sim, rec};
    inv.no_loss(queue).no_loss(dlq).at_least_once([this] { return dlq.metrics().redriven_in; });
    return inv.check();
  }

private:
  static auto make_config(const queue_rig_options& o, bool is_dlq) {
    const std::string base = is_dlq ? o.name + "-dlq" : o.name;
    if constexpr (Fifo) {
      return sqs_fifo_queue_config{.name = base + ".fifo",
                                   .visibility_timeout = o.visibility_timeout,
                                   .content_based_deduplication = o.content_based_deduplication};
    } else {
      return sqs_queue_config{.name = base, .visibility_timeout = o.visibility_timeout, .delivery = o.delivery};
    }
  }

  std::vector<std::shared_ptr<void>> pollers_; // destroyed first: before the sources and the function
};

/// A FIFO queue rig.
template <class Body = std::string>
using fifo_rig = queue_rig<Body, true>;

/// Settings of a stream rig.
struct stream_rig_options {
  /// Name of the stream (or table). Default `stream`.
  std::string name = "stream";
  /// Kinesis: shards; DynamoDB: partitions (each with its open shard). Range [1, 500]. Default 1.
  int shards = 1;
  /// The function. Default: `consumer`, timeout 3 s, 10 ms per invocation.
  function_config function{.name = "consumer"};
  /// The simulation's seed. Default 1.
  std::uint64_t seed = 1;
};

/// A stream (`kinesis_stream<P>` or `dynamodb_stream<I>`), a function, a recorder, a discard log.
template <class Stream>
class stream_rig {
  static constexpr bool dynamodb = requires(Stream & s) { s.roll_over(); };

public:
  using stream_type = Stream;                                    ///< the stream
  using batch_type = stream_batch<typename Stream::record_type>; ///< what a handler receives

  /// A rig with these settings. Throws `config_error` for a setting outside AWS's range.
  explicit stream_rig(stream_rig_options o = {})
      : sim{{.seed = o.seed}}, stream{sim, make_config(o)}, fn{sim, o.function}, rec{sim} {}
  stream_rig(const stream_rig&) = delete;
  stream_rig& operator=(const stream_rig&) = delete;

  simulation sim;         ///< the simulation
  Stream stream;          ///< the stream the mappings read
  function fn;            ///< the function they invoke
  recorder rec;           ///< every invocation of the handlers given to `map`
  discard_log<> discards; ///< every discard with its exact records (the default destination)

  /// A mapping of `stream` to `fn` with `rec.wrap(h)` and these policies; TRIM_HORIZON unless a
  /// starting position (or `stream_options` with one) is given; `discards` as the destination
  /// unless one is given.
  template <class H, class... Policies>
  auto& map(H h, Policies... policies) {
    constexpr bool has_start =
        (std::is_same_v<Policies, starting_position> || ...) || (std::is_same_v<Policies, stream_options> || ...);
    constexpr bool has_destination = (esm::detail::is_destination<Policies>::value || ...);
    if constexpr (!has_start) {
      return map(std::move(h), std::move(policies)..., starting_position::trim_horizon());
    } else if constexpr (!has_destination) {
      return map(std::move(h), std::move(policies)..., discards);
    } else {
      using poller_t = stream_poller<Stream, decltype(rec.wrap(std::move(h))), Policies...>;
      auto p = std::make_shared<poller_t>(stream, fn, rec.wrap(std::move(h)), std::move(policies)...);
      auto& ref = *p;
      pollers_.push_back(std::move(p));
      return ref;
    }
  }

  /// Runs the simulation until nothing is pending, or for at most `limit` of virtual time.
  void run(duration limit = std::chrono::hours{24}) { sim.run_until(saturating_add(sim.now(), limit)); }

private:
  static auto make_config(const stream_rig_options& o) {
    if constexpr (dynamodb) {
      return dynamodb_stream_config{.name = o.name, .partitions = o.shards};
    } else {
      return kinesis_stream_config{.name = o.name, .shard_count = o.shards};
    }
  }

  std::vector<std::shared_ptr<void>> pollers_; // destroyed first: before the stream and the function
};

} // namespace esm::testing
