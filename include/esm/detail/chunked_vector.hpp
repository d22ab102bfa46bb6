#pragma once
/// \file esm/detail/chunked_vector.hpp
/// A vector of fixed-size chunks: elements never move (references stay valid while it grows),
/// indexing is a shift and a mask, and growth allocates one chunk per `chunk_size` elements.

#include <cstddef>
#include <memory>
#include <vector>

namespace esm::detail {

/// Growable array of default-constructible `T` in chunks of 2^`Shift` elements.
template <class T, unsigned Shift = 8>
class chunked_vector {
public:
  /// Elements per chunk.
  static constexpr std::size_t chunk_size = std::size_t{1} << Shift;

  /// Elements held.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// True when empty.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The i-th element (i < size()).
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return chunks_[i >> Shift][i & (chunk_size - 1)]; }
  /// The i-th element (i < size()).
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return chunks_[i >> Shift][i & (chunk_size - 1)]; }
  /// Appends a default-constructed element (allocating a chunk when the last is full); returns it.
  T& emplace_back() {
    if (size_ == chunks_.size() * chunk_size) chunks_.push_back(std::make_unique<T[]>(chunk_size));
    return (*this)[size_++];
  }
  /// Calls `f` on every element, in order.
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t size_ = 0;
};

} // namespace esm::detail
