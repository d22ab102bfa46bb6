#pragma once
/// \file esm/sources/concepts.hpp
/// What a poller needs of its source, stated as concepts: `esm::stream_source` for
/// `esm::stream_poller` (Kinesis, DynamoDB Streams) and `esm::queue_source` for
/// `esm::queue_poller` (SQS standard and FIFO). A type of your own that satisfies one (say a
/// stream that replays recorded shards) can be polled like the library's sources; a type that
/// does not is rejected where the poller is named, with the failing requirement in the message.
///
/// ```cpp
/// static_assert(esm::stream_source<esm::kinesis_stream<std::string>>);
/// static_assert(esm::queue_source<esm::sqs_fifo_queue<std::string>>);
/// static_assert(!esm::stream_source<esm::sqs_queue<std::string>>);
/// ```

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <esm/core/simulation.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/sources/shard.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm {

/// A record a stream poller can batch: its sequence in the stream, when it arrived, the key
/// that orders it within a shard (the partition key for Kinesis, the item key for DynamoDB;
/// parallelization keeps each key's order) and the bytes it counts for in a batch.
template <class R>
concept stream_record_type = requires(const R& r) {
  { r.sequence } -> std::convertible_to<std::uint64_t>;
  { r.arrival } -> std::convertible_to<time_point>;
  { r.ordering_key() } -> std::convertible_to<std::string_view>;
  { r.bytes() } -> std::convertible_to<std::size_t>;
};

/// A stream `esm::stream_poller` can read: shards of `record_type` addressed by ordinal
/// (closed shards stay readable, with their lineage), listeners told of new records and closed
/// shards, readers whose checkpoints hold records back under `retention::until_consumed()`,
/// and the read limits of the source as constants (`poll_interval` between polls of an idle
/// shard; `max_get_records` records and `max_get_records_bytes` bytes per `GetRecords`, 0 = no
/// byte limit; `min_read_interval` between two reads of a shard and `max_read_bytes_per_second`
/// shared by its readers, 0 = none). `kind` is a stream kind; `sequence_text` and
/// `parse_sequence` render and read the source's sequence numbers.
template <class S>
concept stream_source =
    stream_record_type<typename S::record_type> &&
    std::same_as<typename S::shard_type, stream_shard<typename S::record_type>> &&
    requires(S& s, const S& cs, std::uint32_t ordinal, stream_listener* l, reader_id r, std::uint64_t position,
             typename S::shard_type& shard, std::string_view text) {
      { S::kind } -> std::convertible_to<source_kind>;
      requires is_stream(S::kind);
      { S::poll_interval } -> std::convertible_to<duration>;
      { S::min_read_interval } -> std::convertible_to<duration>;
      { S::max_get_records } -> std::convertible_to<std::size_t>;
      { S::max_get_records_bytes } -> std::convertible_to<std::size_t>;
      { S::max_read_bytes_per_second } -> std::convertible_to<std::uint64_t>;
      { S::sequence_text(position) } -> std::convertible_to<std::string>;
      { S::parse_sequence(text) } -> std::same_as<std::optional<std::uint64_t>>;
      { cs.sim() } -> std::same_as<simulation&>;
      { cs.name() } -> std::convertible_to<std::string_view>;
      { cs.arn() } -> std::convertible_to<std::string>;
      { cs.shard_count() } -> std::convertible_to<std::size_t>;
      { s.shard_at(ordinal) } -> std::same_as<typename S::shard_type&>;
      s.add_listener(l);
      s.remove_listener(l);
      { s.register_reader() } -> std::same_as<reader_id>;
      s.unregister_reader(r);
      s.checkpoint(r, ordinal, position);
      s.trim(shard);
    };

/// A message a queue poller can batch: its id, `ApproximateReceiveCount` and the bytes it counts
/// for in a batch.
template <class M>
concept queue_message_type = requires(const M& m) {
  { m.message_id() } -> std::convertible_to<std::string_view>;
  { m.receive_count } -> std::convertible_to<int>;
  { m.bytes() } -> std::convertible_to<std::size_t>;
};

/// A queue `esm::queue_poller` can read: SQS's receive (`receive_handles` of up to
/// `max_receive` messages, with an optional visibility timeout for them), `message(handle)`
/// (null once the handle is stale), delete and change-visibility by receipt handle reporting
/// stale handles instead of throwing, `receivable_now()`, listeners told when messages may have
/// become receivable, and `config().visibility_timeout`. `kind` is an SQS kind.
template <class Q>
concept queue_source =
    queue_message_type<typename Q::message_type> &&
    requires(Q& q, const Q& cq, receipt_handle h, std::vector<receipt_handle>& handles, int max,
             std::optional<duration> visibility, duration timeout, queue_listener* l) {
      { Q::kind } -> std::convertible_to<source_kind>;
      requires !is_stream(Q::kind);
      { Q::max_receive } -> std::convertible_to<int>;
      { cq.sim() } -> std::same_as<simulation&>;
      { cq.name() } -> std::convertible_to<std::string_view>;
      { cq.arn() } -> std::convertible_to<std::string>;
      { cq.config().visibility_timeout } -> std::convertible_to<duration>;
      { q.receivable_now() } -> std::convertible_to<bool>;
      { q.receive_handles(handles, max, visibility) } -> std::convertible_to<std::size_t>;
      { cq.message(h) } -> std::same_as<const typename Q::message_type*>;
      { q.try_delete(h) } -> std::same_as<delete_status>;
      { q.try_change_visibility(h, timeout) } -> std::convertible_to<bool>;
      q.add_listener(l);
      q.remove_listener(l);
    };

} // namespace esm
