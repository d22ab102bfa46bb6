#pragma once
/// \file esm/detail/chunked_log.hpp
/// An append-at-back, remove-at-front log of `T` in fixed chunks of `ChunkSize` elements, with
/// random access. Unlike `std::deque` (512-byte blocks), chunks hold many records, and freed
/// chunks are kept for reuse, so a stream that is written and trimmed at a steady rate stops
/// allocating once warm.

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace esm::detail {

template <class T, std::size_t ChunkSize = 256>
class chunked_log {
  static_assert(ChunkSize > 0 && (ChunkSize & (ChunkSize - 1)) == 0, "ChunkSize must be a power of two");

public:
  chunked_log() = default;
  chunked_log(const chunked_log&) = delete;
  chunked_log& operator=(const chunked_log&) = delete;
  ~chunked_log() {
    while (size_ != 0) pop_front();
    for (std::size_t i = first_chunk_; i < chunks_.size(); ++i) release(chunks_[i]);
    for (auto* c : spare_) release(c);
  }

  /// Elements held.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// True when empty.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The i-th element from the front.
  [[nodiscard]] T& operator[](std::size_t i) noexcept {
    const std::size_t j = head_ + i;
    return *slot(chunks_[first_chunk_ + j / ChunkSize], j % ChunkSize);
  }
  /// The i-th element from the front.
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept {
    const std::size_t j = head_ + i;
    return *slot(chunks_[first_chunk_ + j / ChunkSize], j % ChunkSize);
  }
  /// The oldest element.
  [[nodiscard]] T& front() noexcept { return (*this)[0]; }
  /// The newest element.
  [[nodiscard]] T& back() noexcept { return (*this)[size_ - 1]; }

  /// Appends an element constructed in place from `args`.
  template <class... Args>
  T& emplace_back(Args&&... args) {
    const std::size_t j = head_ + size_;
    const std::size_t c = first_chunk_ + j / ChunkSize;
    if (c == chunks_.size()) chunks_.push_back(acquire());
    T* p = ::new (static_cast<void*>(slot(chunks_[c], j % ChunkSize))) T{std::forward<Args>(args)...};
    ++size_;
    return *p;
  }
  /// Appends an element.
  T& push_back(T&& v) { return emplace_back(std::move(v)); }

  /// Removes the oldest element.
  void pop_front() noexcept {
    slot(chunks_[first_chunk_], head_)->~T();
    --size_;
    if (++head_ == ChunkSize || size_ == 0) {
      // The first chunk is done (or the log is empty): keep it for reuse.
      if (size_ == 0 && head_ != ChunkSize) {
        head_ = 0;
        return; // reuse the same chunk from its start
      }
      spare_.push_back(chunks_[first_chunk_]);
      ++first_chunk_;
      head_ = 0;
      if (first_chunk_ > 64 && first_chunk_ * 2 > chunks_.size()) {
        chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(first_chunk_));
        first_chunk_ = 0;
      }
      while (spare_.size() > 4) {
        release(spare_.back());
        spare_.pop_back();
      }
    }
  }

private:
  struct chunk {
    alignas(T) unsigned char bytes[sizeof(T) * ChunkSize];
  };
  static T* slot(chunk* c, std::size_t i) noexcept {
    return std::launder(reinterpret_cast<T*>(c->bytes + i * sizeof(T)));
  }
  static T* slot(const chunk* c, std::size_t i) noexcept {
    return std::launder(reinterpret_cast<T*>(const_cast<unsigned char*>(c->bytes) + i * sizeof(T)));
  }
  chunk* acquire() {
    if (!spare_.empty()) {
      chunk* c = spare_.back();
      spare_.pop_back();
      return c;
    }
    return new chunk;
  }
  static void release(chunk* c) noexcept { delete c; }

  std::vector<chunk*> chunks_; // [first_chunk_, end) in use
  std::vector<chunk*> spare_;  // freed chunks kept for reuse
  std::size_t first_chunk_ = 0;
  std::size_t head_ = 0; // index of the front element in the first chunk
  std::size_t size_ = 0;
};

} // namespace esm::detail
