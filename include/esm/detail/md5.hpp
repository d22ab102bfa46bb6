#pragma once
/// \file esm/detail/md5.hpp
/// A small, portable, one-shot MD5 (RFC 1321) for the simulator's own use: Kinesis maps a record's
/// partition key to a 128-bit hash key by taking the MD5 of the key and reading it as a big-endian
/// unsigned integer (`md5_digest::high64()` / `md5_digest::low64()`).
///
/// MD5 is used here only as the key-to-shard mapping function AWS documents; it is not a
/// cryptographic safeguard. `md5()` is `constexpr`, does not allocate, and reads the input's
/// 64-byte blocks in place; only the final one or two padded blocks are built in a local buffer.

#include <array>
#include <utility>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace esm::detail {

/// The 16-byte result of `md5()`, in the order RFC 1321 outputs it (`bytes[0]` first).
struct md5_digest {
  std::array<std::uint8_t, 16> bytes; ///< the digest bytes, as printed by `md5sum`

  /// The digest read as a big-endian 128-bit integer (`bytes[0]` most significant): its upper
  /// 64 bits, i.e. `bytes[0..7]`.
  [[nodiscard]] constexpr std::uint64_t high64() const noexcept { return load_be64(0); }
  /// The digest read as a big-endian 128-bit integer: its lower 64 bits, i.e. `bytes[8..15]`.
  [[nodiscard]] constexpr std::uint64_t low64() const noexcept { return load_be64(8); }

  /// Two digests are equal when all their bytes are.
  friend constexpr bool operator==(const md5_digest&, const md5_digest&) noexcept = default;

private:
  /// `bytes[first..first+7]` as a big-endian 64-bit integer.
  [[nodiscard]] constexpr std::uint64_t load_be64(std::size_t first) const noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      v = (v << 8) | bytes[first + i];
    }
    return v;
  }
};

namespace md5_impl {
/// Per-step additive constants: the integer part of 2^32 * |sin(i + 1)|, for step i = 0..63.
inline constexpr std::array<std::uint32_t, 64> k{
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/// Left-rotation amounts: four per round, repeated across the round's 16 steps.
inline constexpr std::array<int, 16> shifts{7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

/// Chaining state A, B, C, D.
using state = std::array<std::uint32_t, 4>;

/// Reads byte `i` of `p` as an unsigned value (portable for signed or unsigned `char`).
constexpr std::uint32_t byte_at(const char* p, std::size_t i) noexcept {
  return static_cast<std::uint8_t>(p[i]);
}

/// One of the 64 steps, fully known at compile time (function, message word, rotation), so
/// the compiler unrolls the whole compression without a branch.
template <std::size_t I>
constexpr void step(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c, std::uint32_t& d,
                    const std::array<std::uint32_t, 16>& m) noexcept {
  std::uint32_t f = 0;
  std::size_t g = 0;
  if constexpr (I < 16) {
    f = d ^ (b & (c ^ d)); // (b & c) | (~b & d)
    g = I;
  } else if constexpr (I < 32) {
    f = c ^ (d & (b ^ c)); // (d & b) | (~d & c)
    g = (5 * I + 1) % 16;
  } else if constexpr (I < 48) {
    f = b ^ c ^ d;
    g = (3 * I + 5) % 16;
  } else {
    f = c ^ (b | ~d);
    g = (7 * I) % 16;
  }
  const std::uint32_t sum = a + f + k[I] + m[g];
  a = d;
  d = c;
  c = b;
  b = b + std::rotl(sum, shifts[(I / 16) * 4 + I % 4]);
}

/// Mixes one 64-byte block starting at `block` into `s`.
constexpr void compress(state& s, const char* block) noexcept {
  std::array<std::uint32_t, 16> m{};
  for (std::size_t i = 0; i < 16; ++i) { // MD5 words are little-endian
    m[i] = byte_at(block, 4 * i) | (byte_at(block, 4 * i + 1) << 8) |
           (byte_at(block, 4 * i + 2) << 16) | (byte_at(block, 4 * i + 3) << 24);
  }
  std::uint32_t a = s[0];
  std::uint32_t b = s[1];
  std::uint32_t c = s[2];
  std::uint32_t d = s[3];
  [&]<std::size_t... I>(std::index_sequence<I...>) { (step<I>(a, b, c, d, m), ...); }(std::make_index_sequence<64>{});
  s[0] += a;
  s[1] += b;
  s[2] += c;
  s[3] += d;
}
} // namespace md5_impl

/// The MD5 digest (RFC 1321) of `data`, for any length (including empty). Does not allocate.
[[nodiscard]] constexpr md5_digest md5(std::string_view data) noexcept {
  md5_impl::state s{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

  // Whole blocks straight from the input.
  const std::size_t size = data.size();
  const std::size_t rest = size % 64; // bytes after the last whole block, 0..63
  const std::size_t full = size - rest;
  for (std::size_t off = 0; off < full; off += 64) {
    md5_impl::compress(s, data.data() + off);
  }

  // The tail, the 0x80 marker, zero fill and the 64-bit little-endian bit length: one block when
  // the tail leaves room for the 9 marker/length bytes (tail <= 55), otherwise two.
  std::array<char, 128> tail{};
  for (std::size_t i = 0; i < rest; ++i) {
    tail[i] = data[full + i];
  }
  tail[rest] = static_cast<char>(0x80);
  const std::size_t tail_size = rest < 56 ? 64 : 128;
  const std::uint64_t bits = static_cast<std::uint64_t>(size) << 3; // modulo 2^64, as specified
  for (std::size_t i = 0; i < 8; ++i) {
    tail[tail_size - 8 + i] = static_cast<char>(static_cast<std::uint8_t>(bits >> (8 * i)));
  }
  for (std::size_t off = 0; off < tail_size; off += 64) {
    md5_impl::compress(s, tail.data() + off);
  }

  md5_digest out{};
  for (std::size_t i = 0; i < 16; ++i) { // output is A, B, C, D, each little-endian
    out.bytes[i] = static_cast<std::uint8_t>(s[i / 4] >> (8 * (i % 4)));
  }
  return out;
}

/// The digest as 32 lowercase hexadecimal digits, as `md5sum` prints it.
[[nodiscard]] inline std::string to_hex(const md5_digest& d) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string out(2 * d.bytes.size(), '0');
  for (std::size_t i = 0; i < d.bytes.size(); ++i) {
    out[2 * i] = digits[d.bytes[i] >> 4];
    out[2 * i + 1] = digits[d.bytes[i] & 0x0f];
  }
  return out;
}

} // namespace esm::detail
