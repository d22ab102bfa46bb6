#pragma once
/// \file esm/testing/detail/items.hpp
/// Internal: what esm::testing reads of a batch's items (stream records and SQS messages), and
/// calling a handler in either form while keeping its result type.

#include <concepts>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <esm/lambda/handler.hpp>

namespace esm::testing::detail {

/// An SQS message: has a messageId.
template <class T>
concept message_item = requires(const T& m) {
  { m.message_id() } -> std::convertible_to<std::string_view>;
  { m.group_id } -> std::convertible_to<std::string_view>;
  { m.receive_count } -> std::convertible_to<int>;
  { m.sequence } -> std::convertible_to<std::uint64_t>;
};

/// A stream record: has a sequence number and an ordering key.
template <class T>
concept record_item = requires(const T& r) {
  { r.sequence_number() } -> std::convertible_to<std::string>;
  { r.ordering_key() } -> std::convertible_to<std::string_view>;
  { r.sequence } -> std::convertible_to<std::uint64_t>;
}
&&!message_item<T>;

/// An item the test kit can describe.
template <class T>
concept known_item = message_item<T> || record_item<T>;

/// A batch of such items: `esm::stream_batch` (`shard_id()`) or `esm::queue_batch` (`queue_name()`).
template <class E>
concept recordable_event = requires(const E& e) {
  { e.size() } -> std::convertible_to<std::size_t>;
  std::begin(e);
  requires known_item<std::remove_cvref_t<decltype(*std::begin(e))>>;
}
&&(
    requires(const E& e) { e.shard_id(); } || requires(const E& e) { e.queue_name(); });

/// The item's identifier in a partial batch response: sequence number or messageId.
template <known_item T>
[[nodiscard]] std::string item_identifier(const T& item) {
  if constexpr (message_item<T>) {
    return std::string{item.message_id()};
  } else {
    return item.sequence_number();
  }
}

/// Fills the recorder's view of an item.
template <known_item T>
void describe(const T& item, std::string& id, std::uint64_t& sequence, int& receive_count) {
  id = item_identifier(item);
  sequence = item.sequence;
  if constexpr (message_item<T>) {
    receive_count = item.receive_count;
  } else {
    receive_count = 0;
  }
}

/// The default key: ordering key (streams), MessageGroupId (FIFO), else messageId.
struct default_key {
  template <known_item T>
  std::string_view operator()(const T& item) const noexcept {
    if constexpr (message_item<T>) {
      return item.group_id.empty() ? std::string_view{item.message_id()} : std::string_view{item.group_id};
    } else {
      return item.ordering_key();
    }
  }
};

/// A key function's result as text.
template <class K>
[[nodiscard]] std::string_view key_text(const K& k) noexcept {
  static_assert(std::is_convertible_v<const K&, std::string_view>,
                "esm::testing: a key function must return a string or a string_view");
  return std::string_view{k};
}

/// Where a batch came from: the shard id or the queue name.
template <class E>
[[nodiscard]] std::string_view source_of(const E& e) noexcept {
  if constexpr (requires { e.shard_id(); }) {
    return e.shard_id();
  } else {
    return e.queue_name();
  }
}

/// Calls `h` as `h(event, ctx)` or `h(event)`, returning what it returns.
template <class H, class Event>
requires esm::handler<H, Event> handler_result_t<H, Event> call(H& h, Event& event, invocation_context& ctx) {
  if constexpr (contextual_handler<H, Event>) {
    return h(event, ctx);
  } else {
    return h(event);
  }
}

} // namespace esm::testing::detail
