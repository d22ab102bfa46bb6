#pragma once
/// \file esm/policies/roles.hpp
/// The roles a policy can play in an event source mapping, and how a poller tells them apart.
///
/// A poller takes its policies in any order and finds each by the concept it satisfies. A
/// policy may also say which role it plays:
/// ```cpp
/// struct my_retry {
///   using esm_role = esm::retry_role;   // optional: the compiler then names a missing member
///   esm::retry_decision on_failure(const esm::stream_failure& f);
///   std::optional<esm::duration> record_age_limit() const { return std::nullopt; }
///   void validate() const {}
/// };
/// ```
/// A type that declares a role must satisfy that role's concept (a `static_assert` says which
/// requirement fails); a type that declares none is matched by concept and must fit exactly one
/// role; a type that fits none is rejected with its name in the error.

#include <concepts>
#include <type_traits>

namespace esm {

/// Role tag: when to cut a batch (`esm::batching_policy`).
struct batching_role {};
/// Role tag: lanes of a stream shard (`esm::parallelization_policy`).
struct parallelization_role {};
/// Role tag: what a stream mapping does with a failed batch (`esm::stream_retry_policy`).
struct retry_role {};
/// Role tag: the delay after a throttled invocation (`esm::throttle_policy`).
struct throttle_role {};
/// Role tag: what an SQS poller does after a function error (`esm::error_backoff_policy`).
struct error_backoff_role {};
/// Role tag: concurrent batches of an SQS mapping (`esm::scaling_policy`).
struct scaling_role {};
/// Role tag: when a failed SQS message is visible again (`esm::visibility_policy`).
struct visibility_role {};
/// Role tag: tumbling windows of a stream mapping (`esm::window_policy`).
struct window_role {};
/// Role tag: where a stream mapping sends discarded batches (`esm::failure_destination`).
struct destination_role {};

/// True when `P` says which role it plays (`using esm_role = ...;`).
template <class P>
concept declares_role = requires { typename P::esm_role; };

/// True when `P` declares the role `Role`.
template <class P, class Role>
concept declares_role_of = declares_role<P> && std::same_as<typename P::esm_role, Role>;

namespace detail {

/// `P` plays `Role`: it declares that role, or declares none and satisfies `Concept`.
template <class P, class Role, bool Concept>
inline constexpr bool plays_role = declares_role_of<P, Role> || (!declares_role<P> && Concept);

/// Instantiated for a type that fits no role of a poller: the error names the type.
template <class P>
struct unknown_policy_type {
  static_assert(sizeof(P) == 0,
                "esm: this type (named in 'unknown_policy_type<...>' above) fits no policy role of the poller; "
                "declare `using esm_role = esm::<role>_role;` in it to have the compiler name the missing member");
};
/// Instantiated for a type that fits several roles by concept: the error names the type.
template <class P>
struct ambiguous_policy_type {
  static_assert(sizeof(P) == 0,
                "esm: this type (named in 'ambiguous_policy_type<...>' above) fits more than one policy role; "
                "declare `using esm_role = esm::<role>_role;` in it");
};

} // namespace detail
} // namespace esm
