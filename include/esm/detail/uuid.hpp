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

/// A message id that looks random and is reproducible: the UUID v4 made from `seq` mixed with
/// `salt` (SplitMix64's finalizer, applied twice).
constexpr void format_message_id(std::uint64_t salt, std::uint64_t seq, std::array<char, 36>& out) noexcept {
  auto mix = [](std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  const std::uint64_t hi = mix(salt ^ seq);
  format_uuid_v4(hi, mix(hi ^ seq), out);
}

} // namespace esm::detail
