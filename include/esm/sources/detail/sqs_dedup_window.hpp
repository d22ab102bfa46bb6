#pragma once
/// \file esm/sources/detail/sqs_dedup_window.hpp
/// Internal (FIFO queues, spec §3.6): the deduplication window. A deduplication id accepted at
/// time t is remembered until t + 5 minutes; a send with a remembered id is accepted but not
/// stored again, and gets the first send's message id and sequence number back.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

#include <esm/core/time.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm::detail {

/// Deduplication ids accepted within the last `interval`.
class sqs_dedup_window {
public:
  /// How long a deduplication id is remembered (SQS: 5 minutes).
  static constexpr duration interval = std::chrono::minutes{5};

  /// What the first send of an id was given.
  struct entry {
    message_id_text message_id; ///< its `MessageId`
    std::uint64_t sequence;     ///< its sequence number
  };

  /// The first send of `id` within the window ending at `now`, or nullptr. Forgets what is older.
  [[nodiscard]] const entry* find(const std::string& id, time_point now) {
    purge(now);
    const auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
  }
  /// Remembers `id`, sent at `now`, until `now + interval`.
  void remember(std::string id, entry e, time_point now) {
    entries_.emplace(id, e);
    expiry_.push_back({saturating_add(now, interval), std::move(id)});
  }
  /// Ids remembered (some possibly past the window until the next `find`).
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

private:
  struct expiry {
    time_point at;
    std::string id;
  };
  void purge(time_point now) {
    while (!expiry_.empty() && expiry_.front().at <= now) {
      entries_.erase(expiry_.front().id);
      expiry_.pop_front();
    }
  }

  std::unordered_map<std::string, entry> entries_;
  std::deque<expiry> expiry_; // in acceptance order, so in expiry order
};

} // namespace esm::detail
