#pragma once
/// \file esm/detail/sha256.hpp
/// A small, portable, one-shot SHA-256 (FIPS 180-4) for the simulator's own use, e.g. deriving
/// stable identifiers from content.
///
/// `sha256()` is `constexpr`, does not allocate, and reads the input's 64-byte blocks in place;
/// only the final one or two padded blocks are built in a local buffer. It is written for
/// clarity and portability (no intrinsics), not for speed or side-channel resistance.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace esm::detail {

/// The 32-byte result of `sha256()`, in output order (`bytes[0]` first), as `sha256sum` prints it.
struct sha256_digest {
  std::array<std::uint8_t, 32> bytes; ///< the digest bytes, most significant first

  /// Two digests are equal when all their bytes are.
  friend constexpr bool operator==(const sha256_digest&, const sha256_digest&) noexcept = default;
};

namespace sha256_impl {
/// Round constants: the first 32 bits of the fractional parts of the cube roots of the first 64
/// primes.
inline constexpr std::array<std::uint32_t, 64> k{
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/// The eight working variables H0..H7.
using state = std::array<std::uint32_t, 8>;

/// Initial hash value: the first 32 bits of the fractional parts of the square roots of the
/// first 8 primes.
inline constexpr state initial{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/// Reads byte `i` of `p` as an unsigned value (portable for signed or unsigned `char`).
constexpr std::uint32_t byte_at(const char* p, std::size_t i) noexcept {
  return static_cast<std::uint8_t>(p[i]);
}

/// Mixes one 64-byte block starting at `block` into `h`.
constexpr void compress(state& h, const char* block) noexcept {
  std::array<std::uint32_t, 64> w{};
  for (std::size_t t = 0; t < 16; ++t) { // SHA-256 words are big-endian
    w[t] = (byte_at(block, 4 * t) << 24) | (byte_at(block, 4 * t + 1) << 16) |
           (byte_at(block, 4 * t + 2) << 8) | byte_at(block, 4 * t + 3);
  }
  for (std::size_t t = 16; t < 64; ++t) {
    const std::uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const std::uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }

  std::uint32_t a = h[0];
  std::uint32_t b = h[1];
  std::uint32_t c = h[2];
  std::uint32_t d = h[3];
  std::uint32_t e = h[4];
  std::uint32_t f = h[5];
  std::uint32_t g = h[6];
  std::uint32_t hh = h[7];
  for (std::size_t t = 0; t < 64; ++t) {
    const std::uint32_t big_s1 = std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
    const std::uint32_t ch = (e & f) ^ (~e & g);
    const std::uint32_t t1 = hh + big_s1 + ch + k[t] + w[t];
    const std::uint32_t big_s0 = std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22);
    const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    const std::uint32_t t2 = big_s0 + maj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}
} // namespace sha256_impl

/// The SHA-256 digest (FIPS 180-4) of `data`, for any length (including empty). Does not allocate.
[[nodiscard]] constexpr sha256_digest sha256(std::string_view data) noexcept {
  sha256_impl::state h = sha256_impl::initial;

  // Whole blocks straight from the input.
  const std::size_t size = data.size();
  const std::size_t rest = size % 64; // bytes after the last whole block, 0..63
  const std::size_t full = size - rest;
  for (std::size_t off = 0; off < full; off += 64) {
    sha256_impl::compress(h, data.data() + off);
  }

  // The tail, the 0x80 marker, zero fill and the 64-bit big-endian bit length: one block when
  // the tail leaves room for the 9 marker/length bytes (tail <= 55), otherwise two.
  std::array<char, 128> tail{};
  for (std::size_t i = 0; i < rest; ++i) {
    tail[i] = data[full + i];
  }
  tail[rest] = static_cast<char>(0x80);
  const std::size_t tail_size = rest < 56 ? 64 : 128;
  const std::uint64_t bits = static_cast<std::uint64_t>(size) << 3; // modulo 2^64
  for (std::size_t i = 0; i < 8; ++i) {
    tail[tail_size - 1 - i] = static_cast<char>(static_cast<std::uint8_t>(bits >> (8 * i)));
  }
  for (std::size_t off = 0; off < tail_size; off += 64) {
    sha256_impl::compress(h, tail.data() + off);
  }

  sha256_digest out{};
  for (std::size_t i = 0; i < 32; ++i) { // H0..H7, each big-endian
    out.bytes[i] = static_cast<std::uint8_t>(h[i / 4] >> (8 * (3 - i % 4)));
  }
  return out;
}

/// The digest as 64 lowercase hexadecimal digits, as `sha256sum` prints it.
[[nodiscard]] inline std::string to_hex(const sha256_digest& d) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string out(2 * d.bytes.size(), '0');
  for (std::size_t i = 0; i < d.bytes.size(); ++i) {
    out[2 * i] = digits[d.bytes[i] >> 4];
    out[2 * i + 1] = digits[d.bytes[i] & 0x0f];
  }
  return out;
}

} // namespace esm::detail
