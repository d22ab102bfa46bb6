#pragma once
/// \file esm/sources/sqs_message.hpp
/// What SQS queues store and hand out (spec §4.3, §8): messages with their attributes, receipt
/// handles, the settings of a queue, and the counters a queue keeps.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>
#include <esm/sources/stream_record.hpp>

namespace esm {

/// A message attribute (`MessageAttributes` entry): a name, a data type (`String`, `Number`,
/// `Binary`, optionally with a custom suffix such as `String.json`) and the value (string value,
/// or the raw bytes of a binary value).
struct message_attribute {
  std::string name;                 ///< 1–256 characters
  std::string data_type = "String"; ///< `String`, `Number` or `Binary`, optionally `.suffix`
  std::string value;                ///< the string value, or the bytes of a binary value

  /// Bytes the attribute counts for in the message size (name, type and value, as SQS counts).
  [[nodiscard]] std::size_t bytes() const noexcept { return name.size() + data_type.size() + value.size(); }
  friend bool operator==(const message_attribute&, const message_attribute&) = default;
};

/// A receipt handle: names one receipt of one message. Only the most recent receipt of a message
/// can delete it or change its visibility. `text()` renders it as SQS's opaque string.
struct receipt_handle {
  std::uint32_t queue_tag = 0;  ///< identifies the queue that issued it
  std::uint32_t slot = 0;       ///< where the message is stored
  std::uint32_t generation = 0; ///< which message stored there (slots are reused)
  std::uint32_t receive = 0;    ///< which receipt of it (its receive count then); 0 = never received

  /// The opaque text (`AQEB` then 32 hex digits).
  [[nodiscard]] std::string text() const {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "AQEB";
    out.reserve(36);
    auto put = [&](std::uint64_t v, int nibbles) {
      for (int i = nibbles - 1; i >= 0; --i) out.push_back(hex[(v >> (4 * i)) & 0xF]);
    };
    put(queue_tag, 8);
    put(slot, 8);
    put(generation, 8);
    put(receive, 8);
    return out;
  }
  /// Parses what `text()` renders; nullopt for anything else.
  [[nodiscard]] static std::optional<receipt_handle> parse(std::string_view t) noexcept {
    if (t.size() != 36 || t.substr(0, 4) != "AQEB") return std::nullopt;
    std::uint64_t parts[4] = {0, 0, 0, 0};
    std::size_t pos = 4;
    for (int p = 0; p < 4; ++p) {
      for (int i = 0; i < 8; ++i, ++pos) {
        const char c = t[pos];
        std::uint64_t d = 0;
        if (c >= '0' && c <= '9')
          d = static_cast<std::uint64_t>(c - '0');
        else if (c >= 'a' && c <= 'f')
          d = static_cast<std::uint64_t>(c - 'a' + 10);
        else
          return std::nullopt;
        parts[p] = parts[p] * 16 + d;
      }
    }
    return receipt_handle{static_cast<std::uint32_t>(parts[0]), static_cast<std::uint32_t>(parts[1]),
                          static_cast<std::uint32_t>(parts[2]), static_cast<std::uint32_t>(parts[3])};
  }
  friend bool operator==(const receipt_handle&, const receipt_handle&) = default;
};

/// How content-based deduplication (FIFO queues) reads a message body: AWS hashes the body with
/// SHA-256. Built in, with no specialization: bodies that are text or bytes (convertible to
/// `std::string_view`, or a `data()`/`size()` container of 1-byte elements such as
/// `std::vector<std::byte>`) and bodies whose bytes are their value
/// (`std::has_unique_object_representations_v`: integers, padding-free structs of them).
/// Specialize it for any other body, writing the bytes that make two bodies "the same message":
/// ```cpp
/// template <> struct esm::sqs_body_bytes<order> {
///   static void write(const order& o, std::string& out) { out = o.id + '/' + std::to_string(o.qty); }
/// };
/// ```
/// A FIFO queue of a body with neither works whenever each send gives a deduplication id; asking
/// it for content-based deduplication is a `config_error` at construction.
template <class Body>
struct sqs_body_bytes;

/// True when content-based deduplication can hash a `Body` (see `sqs_body_bytes`).
template <class Body>
concept sqs_hashable_body = requires(const Body& b, std::string& out) {
  sqs_body_bytes<Body>::write(b, out);
}
|| std::is_convertible_v<const Body&, std::string_view> || requires(const Body& b) {
  b.data();
  b.size();
  requires sizeof(*b.data()) == 1;
}
|| (std::is_trivially_copyable_v<Body> && std::has_unique_object_representations_v<Body>);

namespace detail {
/// The bytes content-based deduplication hashes (`scratch` holds them when they are written).
template <sqs_hashable_body Body>
std::string_view sqs_content_bytes(const Body& b, std::string& scratch) {
  if constexpr (requires { sqs_body_bytes<Body>::write(b, scratch); }) {
    scratch.clear();
    sqs_body_bytes<Body>::write(b, scratch);
    return scratch;
  } else if constexpr (std::is_convertible_v<const Body&, std::string_view>) {
    return std::string_view{b};
  } else if constexpr (requires { b.data(); }) {
    return std::string_view{reinterpret_cast<const char*>(b.data()), b.size()};
  } else {
    return std::string_view{reinterpret_cast<const char*>(&b), sizeof(Body)};
  }
}
} // namespace detail

/// An SQS message as a queue stores it and a handler receives it (the `Records[]` entry of §4.3).
/// `Body` is the user's body type: default-constructible and movable; its size is counted with
/// `esm::payload_traits<Body>` (bytes of a `std::string`, `sizeof` of a plain struct).
template <class Body>
struct sqs_message {
  Body body{};                                ///< `body`
  std::vector<message_attribute> attributes;  ///< `messageAttributes` (at most 10)
  time_point sent{};                          ///< `SentTimestamp`
  std::optional<time_point> first_received{}; ///< `ApproximateFirstReceiveTimestamp` (after the first receive)
  int receive_count = 0;                      ///< `ApproximateReceiveCount`: receives so far
  std::uint64_t sequence = 0;                 ///< order of sending in the queue (FIFO `SequenceNumber`)
  std::string group_id;                       ///< `MessageGroupId` (FIFO; empty on a standard queue)
  std::string deduplication_id;               ///< `MessageDeduplicationId` (FIFO)
  esm::receipt_handle receipt{};              ///< the most recent receipt (`receiptHandle`)
  std::array<char, 36> id_chars{};            ///< storage of `message_id()`
  /// Bytes of the body, FIFO ids and message attributes in the event JSON (`esm::event_size`),
  /// stored by the queue at send so that a receive does not scan the body; 0: not stored
  /// (counted when needed).
  std::size_t content_event_bytes = 0;

  /// `messageId`: UUID-shaped, unique in the queue, deterministic for a seed. Kept when the
  /// message moves to a dead-letter queue.
  [[nodiscard]] std::string_view message_id() const noexcept { return {id_chars.data(), id_chars.size()}; }
  /// `receiptHandle` of the most recent receipt.
  [[nodiscard]] std::string receipt_handle_text() const { return receipt.text(); }
  /// FIFO `SequenceNumber` as SQS renders it: 20 decimal digits.
  [[nodiscard]] std::string sequence_number() const {
    std::string out;
    detail::append_zero_padded(out, 10'000'000'000'000'000'000ULL + sequence, 20);
    return out;
  }
  /// Bytes the message counts for (body and attributes): the 1 MiB message limit.
  [[nodiscard]] std::size_t bytes() const noexcept {
    std::size_t n = payload_traits<Body>::size(body);
    for (const auto& a : attributes) n += a.bytes();
    return n;
  }
};

/// Per-message options of `send` (`SendMessage` parameters).
struct send_options {
  /// `DelaySeconds`: [0s, 900s], whole seconds. Unset: the queue's delay. Standard queues only
  /// (FIFO queues have a queue-level delay only).
  std::optional<duration> delay{};
  /// `MessageAttributes`: at most 10.
  std::vector<message_attribute> attributes{};
  /// `MessageGroupId`: required by FIFO queues, 1–128 characters; ignored by standard queues.
  std::string group_id{};
  /// `MessageDeduplicationId` (FIFO): 1–128 characters. Unset: SHA-256 of the body when the
  /// queue has content-based deduplication, else the send is rejected.
  std::optional<std::string> deduplication_id{};
};

namespace detail {
/// Checks a message about to be sent: at most `max_attributes` attributes, each named with 1–256
/// characters, and body plus attributes within `maximum_size` bytes. Throws `input_error`
/// prefixed by `where()`, the queue (called only then: a send that passes allocates nothing).
template <class Body, class Where>
void check_send(const Body& body, const send_options& opts, std::size_t max_attributes, std::size_t maximum_size,
                const Where& where) {
  if (opts.attributes.size() > max_attributes) {
    throw input_error(where() + ": a message has at most " + std::to_string(max_attributes) + " attributes, got " +
                      std::to_string(opts.attributes.size()));
  }
  std::size_t bytes = payload_traits<Body>::size(body);
  for (const auto& a : opts.attributes) {
    if (a.name.empty() || a.name.size() > 256) {
      throw input_error(where() + ": an attribute name must be 1-256 characters, got " + std::to_string(a.name.size()));
    }
    bytes += a.bytes();
  }
  if (bytes > maximum_size) {
    throw input_error(where() + ": message of " + std::to_string(bytes) + " bytes exceeds the maximum size of " +
                      std::to_string(maximum_size) + " bytes");
  }
}
} // namespace detail

/// A `messageId` held inline (36 characters, no allocation). Converts to `std::string_view` and
/// `std::string`, and compares with both.
struct message_id_text {
  std::array<char, 36> chars{}; ///< the characters

  /// The id as a view (valid while this object lives).
  [[nodiscard]] std::string_view view() const noexcept { return {chars.data(), chars.size()}; }
  /// The id as a string.
  [[nodiscard]] std::string str() const { return std::string{view()}; }
  /// Same as `view()`.
  operator std::string_view() const noexcept { return view(); }
  /// Same as `str()`.
  operator std::string() const { return str(); }
  friend bool operator==(const message_id_text&, const message_id_text&) = default;
  /// Compares the characters with a string.
  friend bool operator==(const message_id_text& a, std::string_view b) noexcept { return a.view() == b; }
};

/// What `send` returns (`SendMessage` response).
struct send_result {
  message_id_text message_id; ///< `MessageId` (of the original message for a deduplicated send)
  std::uint64_t sequence = 0; ///< the message's sequence (FIFO `SequenceNumber`)
  bool duplicate = false;     ///< FIFO: accepted but not enqueued, deduplicated within 5 minutes
};

/// Options of `receive` (`ReceiveMessage` parameters besides the count).
struct receive_options {
  /// `VisibilityTimeout` for these messages: [0s, 12h]. Unset: the queue's.
  std::optional<duration> visibility_timeout{};
};

namespace detail {
/// Checks a visibility timeout given to a receive or `ChangeMessageVisibility`: [0s, 12h].
/// Throws `input_error` prefixed by `where()`, the queue.
template <class Where>
void check_visibility(duration v, const Where& where) {
  if (v < duration::zero() || v > std::chrono::hours{12}) {
    throw input_error(where() + ": visibility timeout must be in [0s, 12h], got " + esm::to_string(v));
  }
}
/// Checks a receive's count (1–10) and options.
template <class Where>
void check_receive(int max, const receive_options& opts, const Where& where) {
  if (max < 1 || max > 10) throw input_error(where() + ": a receive takes 1-10 messages, got " + std::to_string(max));
  if (opts.visibility_timeout) check_visibility(*opts.visibility_timeout, where);
}
/// The receipt handle a text names; throws `input_error` for a malformed one.
template <class Where>
receipt_handle parse_handle(std::string_view text, const Where& where) {
  const auto r = receipt_handle::parse(text);
  if (!r) throw input_error(where() + ": malformed receipt handle '" + std::string{text} + "'");
  return *r;
}
} // namespace detail

/// What `try_delete` found.
enum class delete_status : std::uint8_t {
  deleted,         ///< the message was deleted
  already_deleted, ///< the message is gone already (deleted, expired or moved to the DLQ): accepted, as SQS's delete is
                   ///< idempotent
  stale_handle,    ///< the message is still stored but was received again since (or the handle was never issued)
};

/// Counters of a queue (cumulative). Conservation: `sent + redriven_in` = messages in the
/// queue + `deleted` + `redriven_out` + `expired`.
struct sqs_queue_metrics {
  std::uint64_t sent = 0;                 ///< messages accepted and enqueued (`NumberOfMessagesSent`)
  std::uint64_t deduplicated = 0;         ///< FIFO sends accepted but not enqueued (duplicate id within 5 min)
  std::uint64_t received = 0;             ///< message receipts (`NumberOfMessagesReceived`), duplicates included
  std::uint64_t receive_calls = 0;        ///< `ReceiveMessage` calls
  std::uint64_t empty_receives = 0;       ///< calls that returned nothing (`NumberOfEmptyReceives`)
  std::uint64_t over_limit_receives = 0;  ///< calls refused by the in-flight limit (OverLimit)
  std::uint64_t deleted = 0;              ///< `NumberOfMessagesDeleted`
  std::uint64_t returned = 0;             ///< in-flight messages made visible again by their visibility timeout
  std::uint64_t redriven_out = 0;         ///< moved to the dead-letter queue (maxReceiveCount exceeded)
  std::uint64_t redriven_in = 0;          ///< received from a source queue's redrive (this is a DLQ)
  std::uint64_t expired = 0;              ///< removed by the retention period
  std::uint64_t duplicate_deliveries = 0; ///< standard queues: extra deliveries made by the at-least-once model
};

/// Something told when messages may have become receivable (sent, visibility expired, a FIFO
/// group unlocked). Pollers implement it; it must not receive from inside the call.
class queue_listener {
public:
  /// Called after messages may have become receivable.
  virtual void on_messages_available() = 0;
  /// The queue is being destroyed: the listener must not use it again (nor unregister).
  virtual void on_source_destroyed() noexcept {}

protected:
  ~queue_listener() = default;
};

} // namespace esm
