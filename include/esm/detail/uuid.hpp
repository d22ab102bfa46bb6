#pragma once
/// \file esm/detail/uuid.hpp
/// Renders 128 bits as a version-4-shaped UUID (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`), for the
/// deterministic request ids and message ids of the model.

#include <array>
#include <cstddef>
#include <cstdint>

namespace esm::detail {

/// Writes `hi`:`lo` as a UUID v4 (the version and variant bits are forced) into `out`.
constexpr void format_uuid_v4(std::uint64_t hi, std::uint64_t lo, std::array<char, 36>& out) noexcept {
  constexpr char hex[] = "0123456789abcdef";
  hi = (hi & ~0xF000ULL) | 0x4000ULL;
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);
  std::size_t pos = 0;
  auto put = [&](std::uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) out[pos++] = hex[(v >> (4 * i)) & 0xF];
  };
  put(hi >> 32, 8);
  out[pos++] = '-';
  put((hi >> 16) & 0xFFFF, 4);
  out[pos++] = '-';
  put(hi & 0xFFFF, 4);
  out[pos++] = '-';
  put(lo >> 48, 4);
  out[pos++] = '-';
  put(lo & 0xFFFFFFFFFFFFULL, 12);
}

} // namespace esm::detail
