#pragma once
/// \file esm/sources/detail/sqs_waiters.hpp
/// Internal (SQS queues): long polls (`ReceiveMessage` with `WaitTimeSeconds`) waiting for
/// messages. Each waits until messages can be received or its wait runs out; when messages may
/// have become receivable, one pass (a zero-delay event, so never inside the call that made them
/// receivable) serves the waiters oldest first while messages remain.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm::detail {

/// The pending long polls of one queue of `Message`. Not copyable (its events capture it).
template <class Message>
class sqs_waiters {
public:
  /// What a served long poll is called with.
  using callback = std::function<void(std::vector<Message>)>;
  /// One pending long poll.
  struct waiter {
    std::uint64_t id;      ///< its serial
    int max;               ///< messages it asked for (1–10)
    receive_options opts;  ///< its receive options
    callback done;         ///< called once, with the messages received (none on timeout)
    timer_id timer;        ///< its timeout
  };

  sqs_waiters() = default;
  sqs_waiters(const sqs_waiters&) = delete;
  sqs_waiters& operator=(const sqs_waiters&) = delete;

  /// Adds a long poll that times out after `wait`: then `serve(id, true)` runs. Returns its id.
  template <class Serve>
  std::uint64_t add(simulation& sim, int max, receive_options opts, callback done, duration wait, Serve serve) {
    const std::uint64_t id = ++serial_;
    waiters_.push_back({id, max, opts, std::move(done), {}});
    waiters_.back().timer = sim.schedule_after(wait, [serve, id] { serve(id, true); });
    return id;
  }
  /// Removes and returns the long poll `id` (cancelling its timeout unless it `timed_out`), or
  /// nothing when it was served already.
  std::optional<waiter> take(simulation& sim, std::uint64_t id, bool timed_out) {
    const auto it = std::find_if(waiters_.begin(), waiters_.end(), [id](const waiter& w) { return w.id == id; });
    if (it == waiters_.end()) return std::nullopt;
    waiter w = std::move(*it);
    waiters_.erase(it);
    if (!timed_out) sim.cancel(w.timer);
    return w;
  }
  /// Schedules one pass (unless one is pending or nobody waits): while `receivable()`, the oldest
  /// waiter is served with `serve(id, false)`.
  template <class Receivable, class Serve>
  void request_pass(simulation& sim, Receivable receivable, Serve serve) {
    if (waiters_.empty() || pass_pending_) return;
    pass_pending_ = true;
    pass_ = sim.schedule_after(duration::zero(), [this, receivable, serve] {
      pass_pending_ = false;
      while (!waiters_.empty() && receivable()) serve(waiters_.front().id, false);
    });
  }
  /// Cancels every pending event (the queue is going away); the callbacks are not called.
  void cancel_all(simulation& sim) noexcept {
    sim.cancel(pass_);
    for (auto& w : waiters_) sim.cancel(w.timer);
  }
  /// Long polls pending.
  [[nodiscard]] std::size_t size() const noexcept { return waiters_.size(); }

private:
  std::deque<waiter> waiters_;
  std::uint64_t serial_ = 0;
  bool pass_pending_ = false;
  timer_id pass_{}; // the pending pass
};

} // namespace esm::detail
