#pragma once
/// \file esm/core/random.hpp
/// Seeded, portable randomness. A `random_stream` is keyed by (seed, stream id): each component
/// draws from its own stream, so adding a component never changes another's draws. The
/// generator (xoshiro256**, seeded through splitmix64) and every distribution here are our own
/// code on integers and IEEE doubles, so g++ and clang produce the same values; nothing reads a
/// global generator or the wall clock.

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>

namespace esm {

/// Identifies a random stream within a seed.
using stream_id = std::uint64_t;

/// A stable 64-bit id for a component name (FNV-1a), e.g. `esm::make_stream_id("function/orders")`.
/// The same name gives the same id on every compiler and platform.
[[nodiscard]] constexpr stream_id make_stream_id(std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

namespace detail {
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
} // namespace detail

/// A deterministic random number generator keyed by (seed, stream id), with the distributions
/// the model needs. Satisfies `std::uniform_random_bit_generator`. Not thread-safe; cheap to
/// copy (32 bytes), and a copy continues the same sequence independently.
class random_stream {
public:
  using result_type = std::uint64_t; ///< 64 random bits per call

  /// The stream `id` of `seed`. Different ids give independent-looking sequences.
  constexpr random_stream(std::uint64_t seed, stream_id id) noexcept {
    std::uint64_t sm = seed ^ detail::rotl(id, 17) ^ 0x6a09e667f3bcc909ULL;
    // Mix the id in twice so that (seed, id) and (seed', id') rarely collide by xor alone.
    sm = detail::splitmix64(sm) ^ id;
    for (auto& word : s_) word = detail::splitmix64(sm);
  }

  /// Smallest value `operator()` returns.
  static constexpr result_type min() noexcept { return 0; }
  /// Largest value `operator()` returns.
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  /// The next 64 random bits (xoshiro256**).
  constexpr result_type operator()() noexcept {
    const std::uint64_t result = detail::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = detail::rotl(s_[3], 45);
    return result;
  }

  /// A double uniformly distributed in [0, 1), with 53 random bits.
  constexpr double uniform01() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  /// A double uniformly distributed in [lo, hi). Requires lo <= hi.
  constexpr double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform01(); }

  /// An integer uniformly distributed in [lo, hi], without modulo bias. Requires lo <= hi.
  constexpr std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) noexcept {
    const std::uint64_t range = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
    if (range == std::numeric_limits<std::uint64_t>::max()) return static_cast<std::int64_t>((*this)());
    const std::uint64_t span = range + 1;
    const std::uint64_t limit =
        std::numeric_limits<std::uint64_t>::max() - (std::numeric_limits<std::uint64_t>::max() % span);
    std::uint64_t x = (*this)();
    while (x >= limit) x = (*this)();
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + x % span);
  }

  /// True with probability `p` (clamped to [0, 1]).
  constexpr bool bernoulli(double p) noexcept {
    if (p <= 0.0) return false;
    if (p >= 1.0) return true;
    return uniform01() < p;
  }

  /// An exponentially distributed double with the given mean (> 0), by inversion.
  double exponential(double mean) noexcept { return -mean * std::log1p(-uniform01()); }

  /// An approximately normal double (Irwin–Hall: the sum of 12 uniforms, minus 6, scaled):
  /// mean `mean`, standard deviation `stddev`, support mean ± 6·stddev. Computed exactly on
  /// integers, so it needs no transcendental function and is identical everywhere.
  constexpr double normal(double mean, double stddev) noexcept {
    // Sum twelve 32-bit uniforms exactly in 64-bit integers, then scale once.
    std::uint64_t sum = 0;
    for (int i = 0; i < 6; ++i) {
      const std::uint64_t x = (*this)();
      sum += (x >> 32) + (x & 0xffffffffULL);
    }
    const double z = static_cast<double>(sum) * 0x1.0p-32 - 6.0;
    return mean + stddev * z;
  }

  /// A duration uniformly distributed in [lo, hi] (nanosecond resolution). Requires lo <= hi.
  duration uniform_duration(duration lo, duration hi) noexcept { return duration{uniform_int(lo.count(), hi.count())}; }

  /// An exponentially distributed duration with the given mean, rounded to nanoseconds.
  duration exponential_duration(duration mean) noexcept {
    return duration{static_cast<duration::rep>(std::llround(exponential(static_cast<double>(mean.count()))))};
  }

private:
  std::array<std::uint64_t, 4> s_{};
};

} // namespace esm
