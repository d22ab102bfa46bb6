#pragma once
/// \file esm/sources/hash_key.hpp
/// 128-bit Kinesis hash keys and hash-key ranges. A partition key is hashed with MD5 to a
/// 128-bit unsigned integer; the shard whose `HashKeyRange` contains it receives the record
/// (spec §8). Rendered as decimal strings, as the Kinesis API does.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <esm/detail/md5.hpp>

namespace esm {

/// An unsigned 128-bit hash key (Kinesis `HashKeyRange` / `ExplicitHashKey` values).
struct hash_key {
  std::uint64_t hi = 0; ///< most significant 64 bits
  std::uint64_t lo = 0; ///< least significant 64 bits

  /// The smallest key, 0.
  [[nodiscard]] static constexpr hash_key min() noexcept { return {0, 0}; }
  /// The largest key, 2^128 − 1.
  [[nodiscard]] static constexpr hash_key max() noexcept { return {~std::uint64_t{0}, ~std::uint64_t{0}}; }

  /// The MD5 of a partition key, read as a big-endian 128-bit integer (what Kinesis does).
  [[nodiscard]] static hash_key of_partition_key(std::string_view partition_key) noexcept {
    const auto d = detail::md5(partition_key);
    return {d.high64(), d.low64()};
  }

  /// Parses a decimal string in [0, 2^128 − 1]; nullopt when it is not one.
  [[nodiscard]] static std::optional<hash_key> parse(std::string_view text) noexcept {
    if (text.empty() || text.size() > 39) return std::nullopt;
    hash_key k{};
    for (const char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      // k = k * 10 + digit, detecting overflow.
      const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
      const auto mul_lo = [](std::uint64_t a, std::uint64_t& carry) {
        // a * 10 in 64 bits with the carry out.
        const std::uint64_t lo32 = (a & 0xffffffffULL) * 10;
        const std::uint64_t hi32 = (a >> 32) * 10 + (lo32 >> 32);
        carry = hi32 >> 32;
        return (hi32 << 32) | (lo32 & 0xffffffffULL);
      };
      std::uint64_t carry_lo = 0;
      const std::uint64_t new_lo = mul_lo(k.lo, carry_lo);
      std::uint64_t carry_hi = 0;
      std::uint64_t new_hi = mul_lo(k.hi, carry_hi);
      if (carry_hi != 0) return std::nullopt;
      if (new_hi + carry_lo < new_hi) return std::nullopt;
      new_hi += carry_lo;
      const std::uint64_t sum_lo = new_lo + digit;
      if (sum_lo < new_lo) {
        if (new_hi == ~std::uint64_t{0}) return std::nullopt;
        ++new_hi;
      }
      k = {new_hi, sum_lo};
    }
    return k;
  }

  /// The key as a decimal string (e.g. `340282366920938463463374607431768211455`).
  [[nodiscard]] std::string to_string() const {
    if (hi == 0) return std::to_string(lo);
    // Repeated division by 10^19 on the 128-bit value, in 32-bit limbs.
    std::uint32_t limbs[4] = {static_cast<std::uint32_t>(hi >> 32), static_cast<std::uint32_t>(hi),
                              static_cast<std::uint32_t>(lo >> 32), static_cast<std::uint32_t>(lo)};
    std::string digits;
    auto is_zero = [&] { return limbs[0] == 0 && limbs[1] == 0 && limbs[2] == 0 && limbs[3] == 0; };
    while (!is_zero()) {
      std::uint64_t rem = 0;
      for (auto& limb : limbs) {
        const std::uint64_t cur = (rem << 32) | limb;
        limb = static_cast<std::uint32_t>(cur / 10);
        rem = cur % 10;
      }
      digits.push_back(static_cast<char>('0' + rem));
    }
    return std::string(digits.rbegin(), digits.rend());
  }

  friend constexpr auto operator<=>(const hash_key&, const hash_key&) = default;

  /// `*this + 1` (wraps at max()).
  [[nodiscard]] constexpr hash_key next() const noexcept { return lo == ~std::uint64_t{0} ? hash_key{hi + 1, 0} : hash_key{hi, lo + 1}; }
  /// `*this - 1` (wraps at min()).
  [[nodiscard]] constexpr hash_key prev() const noexcept { return lo == 0 ? hash_key{hi - 1, ~std::uint64_t{0}} : hash_key{hi, lo - 1}; }
  /// The midpoint of [a, b] rounded down, i.e. (a + b) / 2 without overflow.
  [[nodiscard]] static constexpr hash_key midpoint(hash_key a, hash_key b) noexcept {
    // (a + b) / 2 = a/2 + b/2 + (a&1 & b&1)
    const std::uint64_t carry = a.lo & b.lo & 1;
    hash_key ha{a.hi >> 1, (a.lo >> 1) | (a.hi << 63)};
    hash_key hb{b.hi >> 1, (b.lo >> 1) | (b.hi << 63)};
    std::uint64_t lo = ha.lo + hb.lo;
    std::uint64_t hi = ha.hi + hb.hi + (lo < ha.lo ? 1 : 0);
    const std::uint64_t lo2 = lo + carry;
    hi += lo2 < lo ? 1 : 0;
    return {hi, lo2};
  }
};

/// An inclusive range of hash keys: a shard's `HashKeyRange`.
struct hash_key_range {
  hash_key starting; ///< `StartingHashKey`
  hash_key ending;   ///< `EndingHashKey` (inclusive)

  /// True when `k` is in the range.
  [[nodiscard]] constexpr bool contains(hash_key k) const noexcept { return starting <= k && k <= ending; }
  friend constexpr bool operator==(const hash_key_range&, const hash_key_range&) = default;
};

} // namespace esm
