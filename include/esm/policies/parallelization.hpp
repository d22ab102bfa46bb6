#pragma once
/// \file esm/policies/parallelization.hpp
/// `ParallelizationFactor` (spec §2.1): up to N concurrent batches per shard. Records go to
/// lanes by partition key (Kinesis) or item key (DynamoDB), so order is kept per key, and
/// concurrency ≤ shards × N.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <esm/core/error.hpp>
#include <esm/core/random.hpp>
#include <esm/policies/roles.hpp>

namespace esm {

/// The default parallelization policy: `factor` lanes per shard, a key's lane fixed by a hash.
struct parallelization {
  using esm_role = parallelization_role; ///< plays the parallelization role
  /// `ParallelizationFactor`: concurrent batches per shard, [1, 10]. Default 1.
  int factor = 1;

  /// The lane (in [0, factor)) of a record with this key. The same key always gets the same lane.
  [[nodiscard]] constexpr std::size_t lane_of(std::string_view key) const noexcept {
    return factor <= 1 ? 0 : static_cast<std::size_t>(make_stream_id(key) % static_cast<std::uint64_t>(factor));
  }
  /// Lanes per shard.
  [[nodiscard]] constexpr std::size_t lanes() const noexcept { return static_cast<std::size_t>(factor); }
  /// Throws `config_error` unless factor is in [1, 10].
  void validate() const { detail::check_range("parallelization_factor", factor, 1, 10, "a stream event source mapping"); }
};

/// A parallelization policy: a number of lanes and a key → lane function that keeps a key on
/// one lane. `lane_of` is the one policy call made per record (inlined: no indirect call).
/// ```cpp
/// static_assert(esm::parallelization_policy<esm::parallelization>);
/// static_assert(!esm::parallelization_policy<esm::batching>); // (see batching.hpp)
/// ```
template <class P>
concept parallelization_policy = requires(const P& p, std::string_view key) {
  { p.lanes() } -> std::convertible_to<std::size_t>;
  { p.lane_of(key) } -> std::convertible_to<std::size_t>;
  p.validate();
};

namespace detail {
/// True for a parallelization policy.
template <class P>
struct is_parallelization : std::bool_constant<plays_role<P, parallelization_role, parallelization_policy<P>>> {};
} // namespace detail

} // namespace esm
