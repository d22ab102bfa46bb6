#pragma once
/// \file esm/sources/detail/sqs_redrive.hpp
/// Internal: a queue's end of the redrive link (`RedrivePolicy`). A source queue's link points
/// at its dead-letter queue's link; a DLQ's link knows the links that point at it, so that
/// destroying either end leaves the other consistent: a destroyed DLQ ends the policies naming
/// it (their messages stay, fidelity Q20), a destroyed source leaves its DLQ's list.

#include <algorithm>
#include <vector>

namespace esm::detail {

/// One queue's redrive policy and the policies that name it. Not copyable or movable.
template <class Queue>
class sqs_redrive {
public:
  /// The link of `owner`.
  explicit sqs_redrive(Queue& owner) noexcept : owner_(&owner) {}
  sqs_redrive(const sqs_redrive&) = delete;
  sqs_redrive& operator=(const sqs_redrive&) = delete;
  /// Ends the policies naming this queue and leaves its own DLQ's list.
  ~sqs_redrive() {
    for (sqs_redrive* source : sources_) source->target_ = nullptr;
    clear();
  }

  /// Redrives to `dlq` after `max_receive_count` receives.
  void set(sqs_redrive& dlq, int max_receive_count) {
    if (target_ != &dlq) {
      dlq.sources_.push_back(this);
      clear();
      target_ = &dlq;
    }
    max_ = max_receive_count;
  }
  /// No redrive policy any more.
  void clear() noexcept {
    if (target_ != nullptr) std::erase(target_->sources_, this);
    target_ = nullptr;
  }

  /// The dead-letter queue, or nullptr.
  [[nodiscard]] Queue* dlq() const noexcept { return target_ != nullptr ? target_->owner_ : nullptr; }
  /// The policy's `maxReceiveCount`.
  [[nodiscard]] int max_receive_count() const noexcept { return max_; }
  /// True when a message received `receive_count` times moves to the DLQ instead of a receive.
  [[nodiscard]] bool due(int receive_count) const noexcept { return target_ != nullptr && receive_count >= max_; }

private:
  Queue* owner_;
  sqs_redrive* target_ = nullptr;
  std::vector<sqs_redrive*> sources_;
  int max_ = 0;
};

} // namespace esm::detail
