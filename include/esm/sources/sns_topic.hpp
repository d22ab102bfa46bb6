#pragma once
/// \file esm/sources/sns_topic.hpp
/// An in-model Amazon SNS topic (spec §2.6): `publish` fans a message out, at the same virtual
/// instant, to every subscription: an SQS queue of the model (the standard SNS `Notification`
/// envelope as the message body, or the message itself with raw message delivery) or a callable.
/// A stream mapping sends its on-failure records to a topic with `esm::on_failure_topic`; a FIFO
/// topic is refused there, as AWS refuses FIFO destinations.
/// ```cpp
/// esm::sns_topic alerts{sim, "alerts"};
/// esm::sqs_queue<std::string> inbox{sim, "inbox"};
/// alerts.subscribe(inbox);                                  // envelope: {"Type":"Notification",...}
/// alerts.subscribe([&](const esm::sns_notification& n) { log(n.message); });
/// alerts.publish("disk full", {.subject = "ops"});
/// ```
/// Not thread-safe. A subscribed queue must outlive the topic or be unsubscribed first.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/random.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/detail/base64.hpp>
#include <esm/detail/json_text.hpp>
#include <esm/detail/uuid.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm {

/// Settings of a topic (`CreateTopic`).
struct sns_topic_config {
  /// `Name`: 1–256 characters of `[A-Za-z0-9_-]`; a FIFO topic's ends in `.fifo` (counted).
  std::string name = "topic";
  /// `FifoTopic`. Default false. Publishing to a FIFO topic needs a message group id.
  bool fifo = false;
};

/// What a topic publishes (`Publish`).
struct sns_publish_options {
  /// `Subject`: at most 100 characters; empty: none (the envelope then has no `Subject`).
  std::string subject{};
  /// `MessageAttributes`: at most 10, as SQS's (`String`, `Number`, `Binary` types).
  std::vector<message_attribute> attributes{};
  /// `MessageGroupId`: required by FIFO topics (1–128 characters), ignored by standard ones.
  std::string group_id{};
  /// `MessageDeduplicationId` (FIFO): unset means the message id.
  std::optional<std::string> deduplication_id{};
};

/// One published message, as subscriptions receive it. A view: valid during the delivery.
struct sns_notification {
  std::string_view message_id;                                ///< `MessageId` (seeded UUID)
  std::string_view topic_arn;                                 ///< `TopicArn`
  std::string_view subject;                                   ///< `Subject` (empty: none)
  std::string_view message;                                   ///< `Message`
  time_point timestamp;                                       ///< `Timestamp`: when it was published
  const std::vector<message_attribute>* attributes = nullptr; ///< `MessageAttributes`
  std::string_view group_id;                                  ///< FIFO: `MessageGroupId`
  std::string_view deduplication_id;                          ///< FIFO: `MessageDeduplicationId`
};

/// How a queue subscription delivers.
struct sns_subscription_options {
  /// `RawMessageDelivery`: the message itself is the SQS body and its attributes become SQS
  /// message attributes. Default false: the JSON `Notification` envelope is the body.
  bool raw_message_delivery = false;
};

/// An SNS topic.
class sns_topic {
public:
  /// Maximum size of a message with its attributes, bytes (256 KiB).
  static constexpr std::size_t max_message_bytes = 262'144;

  /// A topic named `name` (standard).
  sns_topic(simulation& sim, std::string name) : sns_topic(sim, sns_topic_config{.name = std::move(name)}) {}
  /// A topic with settings `cfg`. Throws `config_error` for an invalid name.
  sns_topic(simulation& sim, sns_topic_config cfg) : sim_(sim), cfg_(std::move(cfg)) {
    const std::string& n = cfg_.name;
    const std::string_view stem =
        cfg_.fifo && n.ends_with(".fifo") ? std::string_view{n}.substr(0, n.size() - 5) : std::string_view{n};
    bool ok = !n.empty() && n.size() <= 256 && (!cfg_.fifo || n.ends_with(".fifo")) && !stem.empty();
    for (const char c : stem) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
    }
    if (!ok) {
      throw config_error(
          "name", cfg_.fifo ? "1-256 characters of [a-zA-Z0-9_-] ending in .fifo" : "1-256 characters of [a-zA-Z0-9_-]",
          "'" + n + "'", cfg_.fifo ? "sns fifo topic" : "sns topic");
    }
    arn_ = "arn:aws:sns:us-east-1:123456789012:" + n;
    component_ = "sns/" + n;
    salt_ = sim_.rng("sns/" + n)();
  }
  sns_topic(const sns_topic&) = delete;
  sns_topic& operator=(const sns_topic&) = delete;

  /// The simulation.
  [[nodiscard]] simulation& sim() const noexcept { return sim_; }
  /// `TopicArn`: `arn:aws:sns:us-east-1:123456789012:<name>`.
  [[nodiscard]] const std::string& arn() const noexcept { return arn_; }
  /// The name.
  [[nodiscard]] const std::string& name() const noexcept { return cfg_.name; }
  /// True for a FIFO topic.
  [[nodiscard]] bool fifo() const noexcept { return cfg_.fifo; }
  /// Messages published.
  [[nodiscard]] std::uint64_t published() const noexcept { return published_; }
  /// Subscriptions.
  [[nodiscard]] std::size_t subscription_count() const noexcept { return subs_.size(); }

  /// Subscribes a callable `void f(const esm::sns_notification&)`; returns the subscription's
  /// id for `unsubscribe`.
  template <class F>
  requires std::is_invocable_v<F&, const sns_notification&> std::uint64_t subscribe(F f) {
    subs_.push_back({++last_sub_, [f = std::move(f)](const sns_notification& n) mutable { f(n); }});
    return last_sub_;
  }

  /// Subscribes an SQS queue of text bodies (`protocol = sqs`). A FIFO queue may subscribe only
  /// to a FIFO topic (group and deduplication ids are passed on); a standard queue to either.
  /// Throws `config_error` otherwise.
  template <class Queue>
  requires requires(Queue& q) {
    q.send(std::string{}, send_options{});
    Queue::is_fifo;
  }
  std::uint64_t subscribe(Queue& queue, sns_subscription_options o = {}) {
    if constexpr (Queue::is_fifo) {
      if (!cfg_.fifo) {
        throw config_error("subscription endpoint", "a standard queue (a standard topic cannot deliver to FIFO queues)",
                           "'" + queue.name() + "'", "sns topic '" + cfg_.name + "'");
      }
    }
    const std::uint64_t id = ++last_sub_;
    const std::string unsubscribe = arn_ + ":" + subscription_uuid(id);
    subs_.push_back({id, [this, q = &queue, o, unsubscribe](const sns_notification& n) {
                       send_options so;
                       if constexpr (Queue::is_fifo) {
                         so.group_id = std::string{n.group_id};
                         so.deduplication_id = std::string{n.deduplication_id};
                       }
                       if (o.raw_message_delivery) {
                         so.attributes = *n.attributes;
                         q->send(std::string{n.message}, std::move(so));
                       } else {
                         q->send(envelope(n, unsubscribe), std::move(so));
                       }
                     }});
    return id;
  }

  /// Removes a subscription; false when there is none with that id.
  bool unsubscribe(std::uint64_t id) noexcept {
    for (auto it = subs_.begin(); it != subs_.end(); ++it) {
      if (it->id == id) {
        subs_.erase(it);
        return true;
      }
    }
    return false;
  }

  /// `Publish`: delivers `message` to every subscription now, in subscription order, and
  /// returns its `MessageId`. Throws `input_error` for a message and attributes over 256 KiB,
  /// a subject over 100 characters, more than 10 attributes, or a FIFO publish without a group
  /// id. An exception of a subscription (e.g. a queue refusing the body) propagates after the
  /// earlier subscriptions got the message, as a failed delivery.
  std::string publish(std::string_view message, const sns_publish_options& o = {}) {
    std::size_t bytes = message.size();
    for (const auto& a : o.attributes) bytes += a.name.size() + a.data_type.size() + a.value.size();
    const std::string where = "sns topic '" + cfg_.name + "'";
    if (bytes > max_message_bytes) {
      throw input_error("publish: the message and its attributes are " + std::to_string(bytes) +
                        " bytes; at most 262144 for " + where);
    }
    if (o.subject.size() > 100) throw input_error("publish: the subject is longer than 100 characters for " + where);
    if (o.attributes.size() > 10) throw input_error("publish: more than 10 message attributes for " + where);
    if (cfg_.fifo && (o.group_id.empty() || o.group_id.size() > 128)) {
      throw input_error("publish: a FIFO topic needs a MessageGroupId of 1-128 characters for " + where);
    }
    std::array<char, 36> id{};
    detail::format_message_id(salt_, ++published_, id);
    const std::string message_id{id.data(), id.size()};
    const sns_notification n{
        message_id, arn_,
        o.subject,  message,
        sim_.now(), &o.attributes,
        o.group_id, o.deduplication_id ? std::string_view{*o.deduplication_id} : std::string_view{message_id}};
    sim_.trace().emit(sim_.now(), component_, "publish", [&] {
      return std::array{trace_field{"message_id", std::string_view{message_id}},
                        trace_field{"subscriptions", subs_.size()}};
    });
    for (std::size_t i = 0; i < subs_.size(); ++i) subs_[i].deliver(n);
    return message_id;
  }

  /// The JSON `Notification` envelope SNS gives an SQS subscriber without raw delivery:
  /// `Type`, `MessageId`, `TopicArn`, `Subject` (when set), `Message`, `Timestamp` (ISO-8601 with
  /// milliseconds), `SignatureVersion`, `Signature`, `SigningCertURL`, `UnsubscribeURL`, and
  /// `MessageAttributes` (when there are any: `{"name":{"Type":"String","Value":"v"}}`; binary
  /// values in base64). The signature is a fixed placeholder: esm signs nothing.
  [[nodiscard]] std::string envelope(const sns_notification& n, std::string_view subscription_arn) const {
    using detail::append_json_string;
    std::string out;
    out.reserve(n.message.size() + 512);
    out.append(R"({"Type":"Notification","MessageId":)");
    append_json_string(out, n.message_id);
    out.append(R"(,"TopicArn":)");
    append_json_string(out, n.topic_arn);
    if (!n.subject.empty()) {
      out.append(R"(,"Subject":)");
      append_json_string(out, n.subject);
    }
    out.append(R"(,"Message":)");
    append_json_string(out, n.message);
    out.append(R"(,"Timestamp":")");
    out.append(sim_.epoch().iso8601(n.timestamp));
    out.append(R"(","SignatureVersion":"1","Signature":"RVNNLVNJTVVMQVRFRC1TSUdOQVRVUkU=",)"
               R"("SigningCertURL":"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-esm.pem",)"
               R"("UnsubscribeURL":)");
    append_json_string(out, "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" +
                                std::string{subscription_arn});
    if (n.attributes != nullptr && !n.attributes->empty()) {
      out.append(R"(,"MessageAttributes":{)");
      bool first = true;
      for (const auto& a : *n.attributes) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, a.name);
        out.append(R"(:{"Type":)");
        append_json_string(out, a.data_type);
        out.append(R"(,"Value":)");
        if (a.data_type.starts_with("Binary")) {
          std::string b64;
          detail::base64_append(b64, a.value.data(), a.value.size());
          append_json_string(out, b64);
        } else {
          append_json_string(out, a.value);
        }
        out.push_back('}');
      }
      out.push_back('}');
    }
    out.push_back('}');
    return out;
  }

private:
  struct subscription {
    std::uint64_t id;
    std::function<void(const sns_notification&)> deliver;
  };

  [[nodiscard]] std::string subscription_uuid(std::uint64_t id) const {
    std::array<char, 36> u{};
    detail::format_message_id(salt_ ^ 0x5u, id << 32, u);
    return std::string{u.data(), u.size()};
  }

  simulation& sim_;
  sns_topic_config cfg_;
  std::string arn_;
  std::string component_;
  std::uint64_t salt_ = 0;
  std::uint64_t published_ = 0;
  std::uint64_t last_sub_ = 0;
  std::vector<subscription> subs_;
};

} // namespace esm
