#pragma once
/// \file esm/detail/policy_pack.hpp
/// Finding a poller's policies in a pack given in any order: each is picked by a predicate (the
/// concept it satisfies), with a default when absent.

#include <cstddef>
#include <type_traits>
#include <utility>

namespace esm::detail {

/// How many of `Ps` satisfy `Pred`.
template <template <class> class Pred, class... Ps>
inline constexpr std::size_t count_policies = (std::size_t{0} + ... + (Pred<Ps>::value ? 1 : 0));

/// The first of `ps` that satisfies `Pred`, or `fallback`.
template <template <class> class Pred, class Default>
Default& pick_policy(Default& fallback) {
  return fallback;
}
template <template <class> class Pred, class Default, class First, class... Rest>
decltype(auto) pick_policy(Default& fallback, First& first, Rest&... rest) {
  if constexpr (Pred<First>::value) {
    return (first);
  } else {
    return pick_policy<Pred>(fallback, rest...);
  }
}

/// The type `pick_policy` yields.
template <template <class> class Pred, class Default, class... Ps>
struct policy_type {
  using type = Default;
};
template <template <class> class Pred, class Default, class First, class... Rest>
struct policy_type<Pred, Default, First, Rest...> {
  using type = std::conditional_t<Pred<First>::value, First, typename policy_type<Pred, Default, Rest...>::type>;
};

/// The policy of `ps` that satisfies `Pred`, moved out, or a default-constructed `T` (the
/// type `policy_type` names).
template <template <class> class Pred, class T>
T take_policy() {
  return T{};
}
template <template <class> class Pred, class T, class First, class... Rest>
T take_policy(First& first, Rest&... rest) {
  if constexpr (Pred<First>::value) {
    return T(std::move(first));
  } else {
    return take_policy<Pred, T>(rest...);
  }
}

} // namespace esm::detail
