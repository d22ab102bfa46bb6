#pragma once
/// \file esm/detail/ring.hpp
/// A growable ring buffer (FIFO with random access from the front), for hot paths: pushes and
/// pops allocate nothing once the capacity has grown to the working size.

#include <cstddef>
#include <memory>
#include <utility>

namespace esm::detail {

/// FIFO of `T` (trivially copyable types intended) with `operator[]` counted from the front.
template <class T>
class ring {
public:
  /// Elements held.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// True when empty.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The i-th element from the front (i < size()).
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return data_[(head_ + i) & (capacity_ - 1)]; }
  /// The i-th element from the front (i < size()).
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_[(head_ + i) & (capacity_ - 1)]; }
  /// The oldest element.
  [[nodiscard]] const T& front() const noexcept { return (*this)[0]; }
  /// Appends at the back, growing (doubling) when full.
  void push_back(const T& v) {
    if (size_ == capacity_) grow();
    data_[(head_ + size_) & (capacity_ - 1)] = v;
    ++size_;
  }
  /// Removes `n` (≤ size()) elements from the front.
  void pop_front(std::size_t n = 1) noexcept {
    head_ = (head_ + n) & (capacity_ - 1);
    size_ -= n;
    if (size_ == 0) head_ = 0;
  }
  /// Removes everything (keeps the capacity).
  void clear() noexcept {
    head_ = 0;
    size_ = 0;
  }

private:
  void grow() {
    const std::size_t cap = capacity_ == 0 ? 16 : capacity_ * 2;
    auto fresh = std::make_unique<T[]>(cap);
    for (std::size_t i = 0; i < size_; ++i) fresh[i] = (*this)[i];
    data_ = std::move(fresh);
    capacity_ = cap;
    head_ = 0;
  }

  std::unique_ptr<T[]> data_;
  std::size_t capacity_ = 0; // a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

} // namespace esm::detail
