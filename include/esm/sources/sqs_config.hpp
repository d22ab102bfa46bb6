#pragma once
/// \file esm/sources/sqs_config.hpp
/// The settings of SQS queues (`CreateQueue` attributes, spec §3, §8): `esm::sqs_queue_config`
/// (standard), `esm::sqs_fifo_queue_config` (FIFO) and the at-least-once model of a standard
/// queue, `esm::at_least_once`. Each config's `validate()` throws `esm::config_error` for a value
/// outside AWS's range; a queue calls it when it is built.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <esm/core/error.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>

namespace esm {

namespace detail {
// Checks the settings both queue kinds have; a FIFO queue's name ends in `suffix` (".fifo").
template <class Config>
void validate_sqs_config(const Config& c, source_kind kind, std::string_view suffix, const char* name_rule) {
  const std::string& n = c.name;
  const std::string_view base = n.size() > suffix.size() && n.ends_with(suffix)
                                    ? std::string_view{n}.substr(0, n.size() - suffix.size())
                                    : std::string_view{n};
  const bool chars_ok = !base.empty() && std::all_of(base.begin(), base.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
  });
  if (!chars_ok || n.size() > 80 || !n.ends_with(suffix)) throw config_error("name", name_rule, "'" + n + "'", to_string(kind));
  const std::string where = std::string{to_string(kind)} + " '" + n + "'";
  auto seconds_in = [&](const char* what, duration v, duration lo, duration hi) {
    check_range<duration>(what, v, lo, hi, where);
    if (v % std::chrono::seconds{1} != duration::zero()) {
      throw config_error(what, "a whole number of seconds in [" + esm::to_string(lo) + ", " + esm::to_string(hi) + "]",
                         esm::to_string(v), where);
    }
  };
  using std::chrono::seconds;
  seconds_in("visibility_timeout", c.visibility_timeout, seconds{0}, std::chrono::hours{12});
  seconds_in("delay", c.delay, seconds{0}, seconds{900});
  seconds_in("retention", c.retention, seconds{60}, std::chrono::hours{24 * 14});
  seconds_in("receive_wait", c.receive_wait, seconds{0}, seconds{20});
  check_range<std::size_t>("maximum_message_size", c.maximum_message_size, 1024, 1'048'576, where);
}
} // namespace detail

/// At-least-once delivery and best-effort ordering of a standard queue (spec §8), off by
/// default so a test opts in to check that its handler is idempotent and order-independent.
struct at_least_once {
  /// Probability that a receipt is followed by a duplicate delivery of the same message (it is
  /// left receivable once more while in flight). Range [0, 1]. Default 0.
  double duplicate_rate = 0.0;
  /// Probability that a receive takes a message from among the 16 oldest visible ones instead
  /// of the oldest. Range [0, 1]. Default 0.
  double reorder_rate = 0.0;
};

/// Settings of a standard queue (`CreateQueue` attributes).
struct sqs_queue_config {
  /// `QueueName`: 1–80 characters of `a-z A-Z 0-9 - _` (a FIFO queue's ends in `.fifo`). Default `queue`.
  std::string name = "queue";
  /// `VisibilityTimeout`: whole seconds in [0s, 12h]. Default 30 s.
  duration visibility_timeout = std::chrono::seconds{30};
  /// `DelaySeconds`: whole seconds in [0s, 900s]. Default 0.
  duration delay = duration::zero();
  /// `MessageRetentionPeriod`: whole seconds in [60s, 14 days]. Default 4 days.
  duration retention = std::chrono::hours{24 * 4};
  /// `MaximumMessageSize`, bytes: [1024, 1048576]. Default 1 MiB (256 KiB before 2025).
  std::size_t maximum_message_size = 1'048'576;
  /// `ReceiveMessageWaitTimeSeconds`: the default long-poll wait of `receive_async`, whole
  /// seconds in [0s, 20s]. Default 0.
  duration receive_wait = duration::zero();
  /// At-least-once model (duplicates, reordering). Default off. Standard queues only.
  at_least_once delivery{};

  /// Throws `config_error` naming the setting, its range and the value when one is outside
  /// AWS's range (the queue's constructor calls it).
  void validate() const {
    detail::validate_sqs_config(*this, source_kind::sqs_standard, "", "1-80 characters of [a-zA-Z0-9-_]");
    const std::string where = std::string{to_string(source_kind::sqs_standard)} + " '" + name + "'";
    for (const auto& [what, rate] : {std::pair{"delivery.duplicate_rate", delivery.duplicate_rate},
                                     std::pair{"delivery.reorder_rate", delivery.reorder_rate}}) {
      if (std::isnan(rate)) throw config_error(what, "[0, 1]", "nan", where); // NaN passes check_range
      detail::check_range(what, rate, 0.0, 1.0, where);
    }
  }
};

/// Settings of a FIFO queue: those of a standard queue, except the at-least-once model (a FIFO
/// queue delivers exactly once, in order), plus content-based deduplication. An aggregate, so
/// `{.name = "orders.fifo", .content_based_deduplication = true}` works.
struct sqs_fifo_queue_config {
  /// `QueueName`: 1–80 characters of `a-z A-Z 0-9 - _`, ending in `.fifo`. Default `queue.fifo`.
  std::string name = "queue.fifo";
  /// `VisibilityTimeout`: whole seconds in [0s, 12h]. Default 30 s.
  duration visibility_timeout = std::chrono::seconds{30};
  /// `DelaySeconds` (queue-level only on FIFO queues): whole seconds in [0s, 900s]. Default 0.
  duration delay = duration::zero();
  /// `MessageRetentionPeriod`: whole seconds in [60s, 14 days]. Default 4 days.
  duration retention = std::chrono::hours{24 * 4};
  /// `MaximumMessageSize`, bytes: [1024, 1048576]. Default 1 MiB.
  std::size_t maximum_message_size = 1'048'576;
  /// `ReceiveMessageWaitTimeSeconds`: default long-poll wait of `receive_async`, whole seconds in
  /// [0s, 20s]. Default 0.
  duration receive_wait = duration::zero();
  /// `ContentBasedDeduplication`: a send without a deduplication id uses the SHA-256 of the
  /// body (its bytes as `esm::sqs_body_bytes` defines them; a body type with none refuses
  /// `true` at the queue's construction). Default false.
  bool content_based_deduplication = false;

  /// Throws `config_error` naming the setting, its range and the value when one is outside
  /// AWS's range (the queue's constructor calls it).
  void validate() const {
    detail::validate_sqs_config(*this, source_kind::sqs_fifo, ".fifo", "1-80 characters of [a-zA-Z0-9-_] ending in .fifo");
  }
};

} // namespace esm
