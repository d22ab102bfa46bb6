#pragma once
/// \file esm/pollers/queue_batch.hpp
/// What an SQS handler receives (`esm::queue_batch`) and the SQS mapping's settings that are not
/// policies (`esm::queue_options`).

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <esm/pollers/lifecycle.hpp>

namespace esm {

/// Settings of an SQS event source mapping that are not policies.
struct queue_options {
  /// `FunctionResponseTypes = ["ReportBatchItemFailures"]`: honour partial batch responses.
  /// Default false: a returned `batch_response` is ignored and the batch deleted (spec §3.5).
  bool report_batch_item_failures = false;
  /// `Enabled`. Default true.
  bool enabled = true;
  /// How long creation, enabling, disabling, updating and deletion take, in virtual time: each a
  /// duration in [0s, 1h], default 0 (instant). AWS has no such setting and publishes no figure
  /// ("several minutes"); `esm::mapping_transitions::eventual()` is a slow, illustrative choice
  /// (esm/pollers/lifecycle.hpp).
  mapping_transitions transitions{};
  /// Name of the mapping in traces (`esm/<name>`). Default `esm`.
  std::string name = "esm";
};

/// A batch of SQS messages as a handler receives it (the `Records` of §4.3). A view: valid only
/// during the handler's call.
template <class Message>
class queue_batch {
public:
  /// Iterates the messages.
  class iterator {
  public:
    using value_type = Message;                          ///< a message
    using difference_type = std::ptrdiff_t;              ///< distance
    using reference = const Message&;                    ///< what * gives
    using iterator_category = std::forward_iterator_tag; ///< forward
    iterator() = default;
    reference operator*() const noexcept { return **p_; }
    const Message* operator->() const noexcept { return *p_; }
    iterator& operator++() noexcept {
      ++p_;
      return *this;
    }
    iterator operator++(int) noexcept {
      auto c = *this;
      ++p_;
      return c;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.p_ == b.p_; }

  private:
    friend class queue_batch;
    explicit iterator(const Message* const* p) : p_(p) {}
    const Message* const* p_ = nullptr;
  };

  /// A view of the messages `msgs` points to, from the queue named `queue_name`.
  queue_batch(const std::vector<const Message*>& msgs, std::string_view queue_name) noexcept
      : msgs_(&msgs), queue_name_(queue_name) {}

  /// Messages in the batch.
  [[nodiscard]] std::size_t size() const noexcept { return msgs_->size(); }
  /// True when empty (never, for a batch a handler receives).
  [[nodiscard]] bool empty() const noexcept { return msgs_->empty(); }
  /// The i-th message.
  [[nodiscard]] const Message& operator[](std::size_t i) const noexcept { return *(*msgs_)[i]; }
  /// The first message.
  [[nodiscard]] const Message& front() const noexcept { return *msgs_->front(); }
  /// The last message.
  [[nodiscard]] const Message& back() const noexcept { return *msgs_->back(); }
  /// Iteration.
  [[nodiscard]] iterator begin() const noexcept { return iterator{msgs_->data()}; }
  /// Iteration.
  [[nodiscard]] iterator end() const noexcept { return iterator{msgs_->data() + msgs_->size()}; }
  /// The queue's name.
  [[nodiscard]] std::string_view queue_name() const noexcept { return queue_name_; }

private:
  const std::vector<const Message*>* msgs_;
  std::string_view queue_name_;
};

namespace detail {
template <class P>
struct is_queue_options : std::is_same<P, queue_options> {};
} // namespace detail

} // namespace esm
