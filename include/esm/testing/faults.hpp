#pragma once
/// \file esm/testing/faults.hpp
/// `esm::testing::faults`: the dependency through which a test (or the hazard battery) makes a
/// consumer's processing of an item fail, the way a database or an API call fails in
/// production. The consumer calls `faults.check(id)` where it would call its dependency, with
/// the item's business id (`esm::testing::business_id(item)`: the body, data or new image):
///
/// ```cpp
/// auto handler = [&](const batch& b) -> esm::batch_response {
///   esm::batch_response r;
///   for (const auto& m : b) {
///     try {
///       faults.check(esm::testing::business_id(m)); // the dependency: may throw injected_fault
///       apply(m);
///     } catch (const esm::testing::injected_fault&) {
///       r.fail(std::string{m.message_id()});
///     }
///   }
///   return r;
/// };
/// ```

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include <esm/testing/detail/items.hpp>

namespace esm::testing {

/// What `faults::check` throws for an item whose processing the test makes fail.
class injected_fault : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// An item's business id: an SQS message's body, a Kinesis record's data, a DynamoDB record's
/// new image (else its old image). Needs text payloads (`std::string`, or anything
/// convertible to `std::string_view`).
template <class Item>
[[nodiscard]] std::string_view business_id(const Item& item) noexcept {
  if constexpr (requires { item.body; }) {
    return std::string_view{item.body};
  } else if constexpr (requires { item.new_image; }) {
    return item.new_image ? std::string_view{*item.new_image}
                          : (item.old_image ? std::string_view{*item.old_image} : std::string_view{});
  } else {
    return std::string_view{item.data};
  }
}

/// Failures to inject, by business id. Not thread-safe.
class faults {
public:
  /// The next `n` checks of `id` throw (`n` < 0: every check, a poison item).
  void fail(std::string id, int n = 1) { plan_[std::move(id)] = n; }
  /// Every check of `id` throws: a poison item.
  void poison(std::string id) { fail(std::move(id), -1); }
  /// Forgets every planned failure.
  void clear() noexcept { plan_.clear(); }

  /// Throws `injected_fault` when a failure is planned for `id`; else returns.
  void check(std::string_view id) {
    ++checks_;
    const auto it = plan_.find(id);
    if (it == plan_.end() || it->second == 0) return;
    if (it->second > 0) --it->second;
    ++injected_;
    throw injected_fault("esm::testing::faults: injected failure of '" + std::string{id} + "'");
  }
  /// `check(business_id(item))`.
  template <class Item>
  requires(!std::is_convertible_v<const Item&, std::string_view>) void check(const Item& item) {
    check(business_id(item));
  }

  /// Checks made so far.
  [[nodiscard]] std::uint64_t checks() const noexcept { return checks_; }
  /// Failures injected so far.
  [[nodiscard]] std::uint64_t injected() const noexcept { return injected_; }

private:
  std::map<std::string, int, std::less<>> plan_;
  std::uint64_t checks_ = 0;
  std::uint64_t injected_ = 0;
};

} // namespace esm::testing
