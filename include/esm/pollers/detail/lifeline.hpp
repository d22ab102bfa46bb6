#pragma once
/// \file esm/pollers/detail/lifeline.hpp
/// How an invocation's completion finds out whether its poller still exists, without an atomic
/// reference count: the poller owns a small heap cell that in-flight completions share through
/// a non-atomic count; the poller clears it when it dies, and the last holder frees it.
/// Single-threaded, as the simulation is.

#include <cstdint>
#include <utility>

namespace esm::detail {

/// A cell holding the owner's address (null once the owner died) and a holder count.
template <class Owner>
class lifeline {
public:
  /// A reference held by a pending completion. Move-only.
  class ref {
  public:
    ref() = default;
    explicit ref(lifeline* l) noexcept : l_(l) { ++l_->holders_; }
    ref(ref&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
    ref& operator=(ref&& o) noexcept {
      if (this != &o) {
        release();
        l_ = std::exchange(o.l_, nullptr);
      }
      return *this;
    }
    ref(const ref&) = delete;
    ref& operator=(const ref&) = delete;
    ~ref() { release(); }
    /// The owner, or null when it was destroyed.
    [[nodiscard]] Owner* get() const noexcept { return l_ == nullptr ? nullptr : l_->owner_; }

  private:
    void release() noexcept {
      if (l_ != nullptr && --l_->holders_ == 0 && l_->owner_ == nullptr) delete l_;
      l_ = nullptr;
    }
    lifeline* l_ = nullptr;
  };

  /// A lifeline for `owner`, which must call `sever()` when it dies.
  [[nodiscard]] static lifeline* make(Owner* owner) { return new lifeline(owner); }
  /// A reference for a completion.
  [[nodiscard]] ref hold() noexcept { return ref{this}; }
  /// The owner died: completions see null; the cell is freed by its last holder (now, if none).
  void sever() noexcept {
    owner_ = nullptr;
    if (holders_ == 0) delete this;
  }

private:
  explicit lifeline(Owner* o) noexcept : owner_(o) {}
  Owner* owner_;
  std::uint32_t holders_ = 0;
};

} // namespace esm::detail
