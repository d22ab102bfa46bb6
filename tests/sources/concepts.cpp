// Tests of esm/sources/concepts.hpp: the library's sources satisfy stream_source / queue_source,
// types missing a member or of the other family do not, and a user-written source that satisfies
// the concept is polled like the library's own (spec §2.1 for streams, §3.1 for queues).
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/concepts.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <string>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using kstream = esm::kinesis_stream<std::string>;
using dstream = esm::dynamodb_stream<std::string>;
using squeue = esm::sqs_queue<std::string>;
using fqueue = esm::sqs_fifo_queue<std::string>;

namespace {

/// A user's stream: forwards to a Kinesis stream and counts what the poller asks of it.
class counting_stream {
public:
  using record_type = kstream::record_type;
  using shard_type = kstream::shard_type;
  static constexpr esm::source_kind kind = kstream::kind;
  static constexpr esm::duration poll_interval = kstream::poll_interval;
  static constexpr esm::duration min_read_interval = kstream::min_read_interval;
  static constexpr std::size_t max_get_records = kstream::max_get_records;
  static constexpr std::size_t max_get_records_bytes = kstream::max_get_records_bytes;
  static constexpr std::uint64_t max_read_bytes_per_second = kstream::max_read_bytes_per_second;

  explicit counting_stream(kstream& s) : s_(s) {}
  static std::string sequence_text(std::uint64_t seq) { return kstream::sequence_text(seq); }
  static std::optional<std::uint64_t> parse_sequence(std::string_view t) noexcept { return kstream::parse_sequence(t); }
  [[nodiscard]] esm::simulation& sim() const noexcept { return s_.sim(); }
  [[nodiscard]] const std::string& name() const noexcept { return s_.name(); }
  [[nodiscard]] std::string arn() const { return s_.arn(); }
  [[nodiscard]] std::size_t shard_count() const noexcept { return s_.shard_count(); }
  [[nodiscard]] shard_type& shard_at(std::uint32_t ordinal) noexcept { return s_.shard_at(ordinal); }
  void add_listener(esm::stream_listener* l) { s_.add_listener(l); }
  void remove_listener(esm::stream_listener* l) noexcept { s_.remove_listener(l); }
  esm::reader_id register_reader() { return s_.register_reader(); }
  void unregister_reader(esm::reader_id r) noexcept { s_.unregister_reader(r); }
  void checkpoint(esm::reader_id r, std::uint32_t shard, std::uint64_t position) {
    checkpoints.push_back(position);
    s_.checkpoint(r, shard, position);
  }
  void trim(shard_type& s) { s_.trim(s); }

  std::vector<std::uint64_t> checkpoints; ///< positions the poller checkpointed, in order

private:
  kstream& s_;
};

/// A user's queue: forwards to an SQS queue and counts deletes.
class counting_queue {
public:
  using message_type = squeue::message_type;
  static constexpr esm::source_kind kind = squeue::kind;
  static constexpr int max_receive = squeue::max_receive;

  explicit counting_queue(squeue& q) : q_(q) {}
  [[nodiscard]] esm::simulation& sim() const noexcept { return q_.sim(); }
  [[nodiscard]] const std::string& name() const noexcept { return q_.name(); }
  [[nodiscard]] std::string arn() const { return q_.arn(); }
  [[nodiscard]] const squeue::config_type& config() const noexcept { return q_.config(); }
  bool receivable_now() { return q_.receivable_now(); }
  std::size_t receive_handles(std::vector<esm::receipt_handle>& out, int max, std::optional<esm::duration> v) {
    return q_.receive_handles(out, max, v);
  }
  [[nodiscard]] const message_type* message(esm::receipt_handle h) const noexcept { return q_.message(h); }
  esm::delete_status try_delete(esm::receipt_handle h) {
    ++deletes;
    return q_.try_delete(h);
  }
  bool try_change_visibility(esm::receipt_handle h, esm::duration t) { return q_.try_change_visibility(h, t); }
  void add_listener(esm::queue_listener* l) { q_.add_listener(l); }
  void remove_listener(esm::queue_listener* l) noexcept { q_.remove_listener(l); }

  int deletes = 0; ///< delete calls the poller made

private:
  squeue& q_;
};

/// Like counting_stream but without `trim`: not a stream source.
struct stream_without_trim {
  using record_type = kstream::record_type;
  using shard_type = kstream::shard_type;
  static constexpr esm::source_kind kind = esm::source_kind::kinesis;
  static constexpr esm::duration poll_interval = 1s;
  static constexpr esm::duration min_read_interval = 0s;
  static constexpr std::size_t max_get_records = 1;
  static constexpr std::size_t max_get_records_bytes = 0;
  static constexpr std::uint64_t max_read_bytes_per_second = 0;
  static std::string sequence_text(std::uint64_t);
  static std::optional<std::uint64_t> parse_sequence(std::string_view) noexcept;
  esm::simulation& sim() const noexcept;
  std::string name() const;
  std::string arn() const;
  std::size_t shard_count() const noexcept;
  shard_type& shard_at(std::uint32_t) noexcept;
  void add_listener(esm::stream_listener*);
  void remove_listener(esm::stream_listener*) noexcept;
  esm::reader_id register_reader();
  void unregister_reader(esm::reader_id) noexcept;
  void checkpoint(esm::reader_id, std::uint32_t, std::uint64_t);
};

/// Has every member a stream source needs, but says it is an SQS queue.
struct stream_of_sqs_kind : stream_without_trim {
  static constexpr esm::source_kind kind = esm::source_kind::sqs_standard;
  void trim(shard_type&);
};

/// A complete stream source built from the same pieces (the positive control of the two above).
struct stream_with_trim : stream_without_trim {
  void trim(shard_type&);
};

/// counting_queue whose `try_delete` throws on a stale handle (returns void): not a queue source.
struct queue_with_void_delete {
  using message_type = squeue::message_type;
  static constexpr esm::source_kind kind = esm::source_kind::sqs_standard;
  static constexpr int max_receive = 10;
  esm::simulation& sim() const noexcept;
  std::string name() const;
  std::string arn() const;
  const squeue::config_type& config() const noexcept;
  bool receivable_now();
  std::size_t receive_handles(std::vector<esm::receipt_handle>&, int, std::optional<esm::duration>);
  const message_type* message(esm::receipt_handle) const noexcept;
  void try_delete(esm::receipt_handle);
  bool try_change_visibility(esm::receipt_handle, esm::duration);
  void add_listener(esm::queue_listener*);
  void remove_listener(esm::queue_listener*) noexcept;
};

/// A record without an ordering key.
struct keyless_record {
  std::uint64_t sequence = 0;
  esm::time_point arrival{};
  [[nodiscard]] std::size_t bytes() const noexcept { return 0; }
};

} // namespace

TEST_CASE("the library's sources satisfy their poller's concept and not the other's", "[sources][concepts]") {
  STATIC_REQUIRE(esm::stream_source<kstream>);
  STATIC_REQUIRE(esm::stream_source<dstream>);
  STATIC_REQUIRE(esm::stream_source<esm::kinesis_stream<std::vector<char>>>);
  STATIC_REQUIRE(esm::queue_source<squeue>);
  STATIC_REQUIRE(esm::queue_source<fqueue>);
  STATIC_REQUIRE_FALSE(esm::stream_source<squeue>);
  STATIC_REQUIRE_FALSE(esm::stream_source<fqueue>);
  STATIC_REQUIRE_FALSE(esm::queue_source<kstream>);
  STATIC_REQUIRE_FALSE(esm::queue_source<dstream>);
  STATIC_REQUIRE_FALSE(esm::stream_source<int>);
  STATIC_REQUIRE_FALSE(esm::queue_source<int>);
  STATIC_REQUIRE(esm::stream_record_type<kstream::record_type>);
  STATIC_REQUIRE(esm::stream_record_type<dstream::record_type>);
  STATIC_REQUIRE_FALSE(esm::stream_record_type<keyless_record>);
  STATIC_REQUIRE(esm::queue_message_type<squeue::message_type>);
  STATIC_REQUIRE_FALSE(esm::queue_message_type<kstream::record_type>);
}

TEST_CASE("a type missing one member, or of the wrong kind, is not a source", "[sources][concepts]") {
  STATIC_REQUIRE(esm::stream_source<stream_with_trim>);
  STATIC_REQUIRE_FALSE(esm::stream_source<stream_without_trim>);
  STATIC_REQUIRE_FALSE(esm::stream_source<stream_of_sqs_kind>);
  STATIC_REQUIRE(esm::queue_source<counting_queue>);
  STATIC_REQUIRE_FALSE(esm::queue_source<queue_with_void_delete>);
}

TEST_CASE("a user-written stream source is polled like a Kinesis stream (§2.1)", "[sources][concepts][spec-2.1]") {
  esm::simulation sim;
  kstream inner{sim, {.name = "orders"}};
  counting_stream s{inner};
  STATIC_REQUIRE(esm::stream_source<counting_stream>);
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::string> seen;
  esm::stream_poller poller{s, fn,
                            [&](const esm::stream_batch<kstream::record_type>& b) {
                              for (const auto& r : b) seen.push_back(r.data);
                            },
                            esm::starting_position::trim_horizon()};
  for (int i = 0; i < 5; ++i) inner.put("k", "r" + std::to_string(i));
  sim.run_until(esm::time_point{} + 10s);
  CHECK(seen == std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"});
  REQUIRE_FALSE(s.checkpoints.empty());
  CHECK(s.checkpoints.back() == inner.shard_at(0).end_position()); // past the fifth record (positions from 0)
  CHECK(poller.metrics().processed_event_count == 5);
}

TEST_CASE("a user-written queue source is polled like an SQS queue (§3.1)", "[sources][concepts][spec-3.1]") {
  esm::simulation sim;
  squeue inner{sim, {.name = "jobs"}};
  counting_queue q{inner};
  STATIC_REQUIRE(esm::queue_source<counting_queue>);
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::string> seen;
  esm::queue_poller poller{q, fn, [&](const esm::queue_batch<squeue::message_type>& b) {
                             for (const auto& m : b) seen.push_back(m.body);
                           }};
  for (int i = 0; i < 3; ++i) inner.send("m" + std::to_string(i));
  sim.run_until(esm::time_point{} + 10s);
  CHECK(seen.size() == 3);
  CHECK(q.deletes == 3);
  CHECK(inner.size() == 0);
}
