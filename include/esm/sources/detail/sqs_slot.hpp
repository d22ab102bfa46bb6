#pragma once
/// \file esm/sources/detail/sqs_slot.hpp
/// Internal (SQS queues): where a queue keeps one stored message. Slots are reused: a receipt
/// handle names a slot and its generation (how many messages it held before), so a handle of a
/// removed message never reaches the message stored there after it. Also the counts of stored
/// messages per state.

#include <cstddef>
#include <cstdint>

#include <esm/core/time.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm::detail {

/// What a slot holds: nothing, or a message that is visible, delayed or in flight.
enum class sqs_slot_state : std::uint8_t { free, visible, delayed, in_flight };

/// How many stored messages are in each state (free slots are not counted).
struct sqs_state_counts {
  std::size_t visible = 0;   ///< receivable
  std::size_t delayed = 0;   ///< sent with a delay, not yet visible
  std::size_t in_flight = 0; ///< received, not deleted, not visible again

  /// A message moved from `from` to `to`.
  void move(sqs_slot_state from, sqs_slot_state to) noexcept {
    if (auto* c = of(from)) --*c;
    if (auto* c = of(to)) ++*c;
  }
  /// Messages stored.
  [[nodiscard]] std::size_t total() const noexcept { return visible + delayed + in_flight; }

private:
  std::size_t* of(sqs_slot_state s) noexcept {
    switch (s) {
    case sqs_slot_state::visible:
      return &visible;
    case sqs_slot_state::delayed:
      return &delayed;
    case sqs_slot_state::in_flight:
      return &in_flight;
    case sqs_slot_state::free:
      break;
    }
    return nullptr;
  }
};

/// No slot (the end of the free list).
inline constexpr std::uint32_t sqs_no_slot = 0xffffffffU;

/// A queue's storage for one message of `Body`.
template <class Body>
struct sqs_slot {
  sqs_message<Body> msg;              ///< the message (its receipt is the most recent one)
  time_point enqueued{};              ///< when it entered this queue (retention counts from here)
  std::uint32_t generation = 0;       ///< messages stored here before the current one
  std::uint32_t expiry_serial = 0;    ///< bumped when the slot's pending expiries become invalid
  std::uint32_t epoch = 0;            ///< bumped when ready-queue entries of the slot become invalid
  std::uint32_t group = 0;            ///< FIFO: index of its message group
  std::uint32_t next_free = sqs_no_slot; ///< next free slot while free
  sqs_slot_state state = sqs_slot_state::free; ///< what it holds
  bool ghost = false; ///< standard, at-least-once model: a duplicate delivery is pending
};

/// An entry of a queue's order ring: a stored message, by slot and sequence (a dead entry's slot
/// holds another message, or none).
struct sqs_order_entry {
  std::uint32_t slot;     ///< where the message is stored
  std::uint64_t sequence; ///< its sequence number (tells a live entry from a dead one)
};

} // namespace esm::detail
