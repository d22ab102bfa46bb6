#pragma once
/// \file esm/pollers/detail/bisect_stack.hpp
/// The halves a bisecting stream lane still owes (spec §2.4): when a failing batch is split, its
/// first half is sent and its second waits here; halves of halves nest, innermost last.

#include <cstddef>
#include <vector>

namespace esm::detail {

/// Second halves waiting to be sent, innermost last.
class bisect_stack {
public:
  /// A waiting half.
  struct half {
    std::size_t size; ///< records
    int invokes;      ///< invocations its records already had (as part of the split batch)
  };
  /// Saves a second half.
  void push(half h) { halves_.push_back(h); }
  /// Takes the innermost half (not empty).
  half pop() {
    const half h = halves_.back();
    halves_.pop_back();
    return h;
  }
  /// True when no half waits.
  [[nodiscard]] bool empty() const noexcept { return halves_.empty(); }

private:
  std::vector<half> halves_;
};

} // namespace esm::detail
