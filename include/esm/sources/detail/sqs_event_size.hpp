#pragma once
/// \file esm/sources/detail/sqs_event_size.hpp
/// `esm::event_size` of SQS queues (standard and FIFO): included by `esm/sources/sqs_queue.hpp`
/// after the queue, so the specialization is visible wherever the queue is.

#include <cstddef>
#include <string_view>

#include <esm/sources/event_size.hpp>
#include <esm/sources/sqs_message.hpp>
#include <esm/sources/sqs_queue.hpp>

namespace esm {

/// The event JSON size of SQS messages (spec §4.3), as `esm::aws::event_json` renders them with
/// default options: per message the body escaped (a body that is not bytes counts its
/// `payload_traits` size), the attributes with their current receive count and timestamps, FIFO's
/// group and deduplication ids, the message attributes (binary values in base64) and their MD5
/// (or `null`), and the queue's ARN and region. The 36-character message id and receipt handle
/// and the 32-digit MD5s have fixed sizes.
template <class Body, bool Fifo>
struct event_size<basic_sqs_queue<Body, Fifo>> {
  static constexpr std::size_t envelope = event_envelope_bytes; ///< `{"Records":[` and `]}`
  static constexpr std::size_t separator = 1;                   ///< `,`

  /// Takes the queue's ARN, region and wall epoch.
  explicit event_size(const basic_sqs_queue<Body, Fifo>& queue) : epoch_(queue.sim().epoch()) {
    const auto src = detail::event_source_size::of(queue.arn());
    using detail::lit;
    fixed_ = lit(R"({"messageId":)") + 38 + lit(R"(,"receiptHandle":)") + 38 + lit(R"(,"body":)") +
             lit(R"(,"attributes":)") + lit(R"({"ApproximateReceiveCount":")") + lit(R"(","SentTimestamp":")") +
             lit(R"(","SenderId":)") + detail::json_string_length(default_sqs_sender_id) +
             lit(R"(,"ApproximateFirstReceiveTimestamp":")") + 1 + 1 + lit(R"(,"messageAttributes":)") + 2 +
             lit(R"(,"md5OfBody":")") + 32 + lit(R"(","eventSource":"aws:sqs","eventSourceARN":)") + src.arn +
             lit(R"(,"awsRegion":)") + src.region + 1;
    if constexpr (Fifo) {
      fixed_ +=
          lit(R"(,"SequenceNumber":")") + 20 + lit(R"(","MessageGroupId":)") + lit(R"(,"MessageDeduplicationId":)");
    }
  }
  /// Bytes of `m` as received now (its receive count and first-receive time).
  [[nodiscard]] std::size_t record(const sqs_message<Body>& m, std::string_view = {}) const noexcept {
    return fixed_ + detail::int_digits(m.receive_count) + detail::int_digits(epoch_.unix_millis(m.sent)) +
           detail::int_digits(epoch_.unix_millis(m.first_received.value_or(m.sent))) +
           (m.content_event_bytes != 0 ? m.content_event_bytes : content(m));
  }
  /// Bytes of what a message's record holds that never changes: the escaped body (a body that
  /// is not bytes counts its `payload_traits` size), FIFO ids, the message attributes and their
  /// MD5 (or `null`). The queue stores it in `sqs_message::content_event_bytes` at send.
  [[nodiscard]] static std::size_t content(const sqs_message<Body>& m) noexcept {
    using detail::lit;
    std::size_t n = 0;
    if constexpr (detail::byte_text<Body>) {
      n += detail::json_string_length(detail::as_text(m.body));
    } else {
      n += payload_traits<Body>::size(m.body) + 2;
    }
    if constexpr (Fifo) n += detail::json_string_length(m.group_id) + detail::json_string_length(m.deduplication_id);
    if (m.attributes.empty()) {
      n += lit(R"(,"md5OfMessageAttributes":null)");
    } else {
      n += lit(R"(,"md5OfMessageAttributes":")") + 32 + 1 + (m.attributes.size() - 1); // and the commas between
      for (const auto& a : m.attributes) {
        n += detail::json_string_length(a.name) + 1 +
             (detail::is_binary_type(a.data_type)
                  ? lit(R"({"binaryValue":")") + detail::base64_encoded_size(a.value.size()) + 1
                  : lit(R"({"stringValue":)") + detail::json_string_length(a.value)) +
             lit(R"(,"stringListValues":[],"binaryListValues":[],"dataType":)") +
             detail::json_string_length(a.data_type) + 1;
      }
    }
    return n;
  }

private:
  wall_epoch epoch_;
  std::size_t fixed_ = 0;
};

} // namespace esm
