#pragma once
/// \file esm/sources/sqs_config.hpp
/// The settings of SQS queues (`CreateQueue` attributes, spec §3, §8): `esm::sqs_queue_config`
/// (standard), `esm::sqs_fifo_queue_config` (FIFO) and the at-least-once model of a standard
/// queue, `esm::at_least_once`. Each queue checks its settings when it is built and throws
/// `esm::config_error` for a value outside AWS's range.

#include <chrono>
#include <cstddef>
#include <string>

#include <esm/core/time.hpp>

namespace esm {

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
  /// body. Default false.
  bool content_based_deduplication = false;
};

} // namespace esm
