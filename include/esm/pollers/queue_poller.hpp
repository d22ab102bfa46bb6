#pragma once
/// \file esm/pollers/queue_poller.hpp
/// The SQS event source mapping (spec §1, §3, §6): pollers that long-poll a standard or FIFO
/// queue, assemble batches from receives of up to 10 messages, invoke a function synchronously,
/// delete what succeeded, leave what failed to return after its visibility timeout, honour
/// partial batch responses, and scale the number of concurrent batches.
///
/// ```cpp
/// esm::queue_poller poller{orders, fn, handler,
///                          esm::batching{.batch_size = 10},
///                          esm::sqs_scaling{.maximum_concurrency = 50},
///                          esm::queue_options{.report_batch_item_failures = true}};
/// ```
/// Policies come in any order; each is found by the concept it satisfies, and a missing one gets
/// AWS's default.
///
/// The model of a poller: the mapping runs as many workers as its scaling target. A worker
/// receives (up to 10 messages per call) until the batch is full, the 6 MB payload is reached or
/// the window expires, invokes, waits for the outcome, deletes, and starts again. A worker with
/// nothing to receive long-polls: it waits, without simulation events, until the queue says
/// messages arrived. Throttled invokes are retried with backoff (1 s, doubling to 8 s) while the
/// batch's visibility timeout lasts, then abandoned (the messages return).

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/detail/policy_pack.hpp>
#include <esm/lambda/function.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/policies/batching.hpp>
#include <esm/policies/scaling.hpp>
#include <esm/policies/visibility.hpp>
#include <esm/pollers/metrics.hpp>
#include <esm/pollers/record_filter.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm {

/// Settings of an SQS event source mapping that are not policies.
struct queue_options {
  /// `FunctionResponseTypes = ["ReportBatchItemFailures"]`: honour partial batch responses.
  /// Default false: a returned `batch_response` is ignored and the batch deleted (spec §3.5).
  bool report_batch_item_failures = false;
  /// `Enabled`. Default true.
  bool enabled = true;
  /// Name of the mapping in traces (`esm/<name>`). Default `esm`.
  std::string name = "esm";
};

/// A batch of SQS messages as a handler receives it (the `Records` of §4.3). A view: valid only
/// during the handler's call.
template <class Message>
class queue_batch {
public:
  /// Iterates the messages.
  class iterator {
  public:
    using value_type = Message;                          ///< a message
    using difference_type = std::ptrdiff_t;              ///< distance
    using reference = const Message&;                    ///< what * gives
    using iterator_category = std::forward_iterator_tag; ///< forward
    iterator() = default;
    reference operator*() const noexcept { return **p_; }
    const Message* operator->() const noexcept { return *p_; }
    iterator& operator++() noexcept {
      ++p_;
      return *this;
    }
    iterator operator++(int) noexcept {
      auto c = *this;
      ++p_;
      return c;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.p_ == b.p_; }

  private:
    friend class queue_batch;
    explicit iterator(const Message* const* p) : p_(p) {}
    const Message* const* p_ = nullptr;
  };

  /// A view of the messages `msgs` points to, from the queue named `queue_name`.
  queue_batch(const std::vector<const Message*>& msgs, std::string_view queue_name) noexcept
      : msgs_(&msgs), queue_name_(queue_name) {}

  /// Messages in the batch.
  [[nodiscard]] std::size_t size() const noexcept { return msgs_->size(); }
  /// True when empty (never, for a batch a handler receives).
  [[nodiscard]] bool empty() const noexcept { return msgs_->empty(); }
  /// The i-th message.
  [[nodiscard]] const Message& operator[](std::size_t i) const noexcept { return *(*msgs_)[i]; }
  /// The first message.
  [[nodiscard]] const Message& front() const noexcept { return *msgs_->front(); }
  /// The last message.
  [[nodiscard]] const Message& back() const noexcept { return *msgs_->back(); }
  /// Iteration.
  [[nodiscard]] iterator begin() const noexcept { return iterator{msgs_->data()}; }
  /// Iteration.
  [[nodiscard]] iterator end() const noexcept { return iterator{msgs_->data() + msgs_->size()}; }
  /// The queue's name.
  [[nodiscard]] std::string_view queue_name() const noexcept { return queue_name_; }

private:
  const std::vector<const Message*>* msgs_;
  std::string_view queue_name_;
};

namespace detail {
template <class P>
struct is_scaling : std::bool_constant<scaling_policy<P>> {};
template <class P>
struct is_visibility : std::bool_constant<visibility_policy<P>> {};
template <class P>
struct is_queue_options : std::is_same<P, queue_options> {};
} // namespace detail

/// An event source mapping from an SQS queue to a function.
///
/// Template parameters: `Queue` (`esm::sqs_queue<Body>` or `esm::sqs_fifo_queue<Body>`),
/// `Handler` (an `esm::handler` of `esm::queue_batch<Queue::message_type>`), and `Policies...` in
/// any order: a `batching_policy` (default 10 messages, no window), a `scaling_policy` (default
/// `esm::sqs_scaling{}`), a `visibility_policy` (default `esm::queue_visibility{}`),
/// a filter (`esm::filter_criteria`, or a predicate: `esm::record_filter` / `esm::message_filter`),
/// and `esm::queue_options`. Each may appear once.
///
/// Lifetime: the queue and the function must outlive the poller. Not thread-safe.
template <class Queue, class Handler, class... Policies>
class queue_poller final : private queue_listener {
public:
  using message_type = typename Queue::message_type; ///< what the queue stores
  using batch_type = queue_batch<message_type>;      ///< what the handler receives
  using batching_type = typename detail::policy_type<detail::is_batching, batching, Policies...>::type;
  using scaling_type = typename detail::policy_type<detail::is_scaling, sqs_scaling, Policies...>::type;
  using visibility_type = typename detail::policy_type<detail::is_visibility, queue_visibility, Policies...>::type;
  using filter_type = typename detail::policy_type<detail::is_record_filter, detail::keep_all, Policies...>::type;

  static_assert(!is_stream(Queue::kind), "esm::queue_poller reads SQS queues (use esm::stream_poller for streams)");
  static_assert(handler<Handler, batch_type>,
                "esm::queue_poller: the handler must be callable as h(const esm::queue_batch<Message>&) or "
                "h(batch, esm::invocation_context&), returning void or esm::batch_response");
  static_assert(((detail::is_batching<Policies>::value + detail::is_scaling<Policies>::value +
                      detail::is_visibility<Policies>::value + detail::is_queue_options<Policies>::value +
                      detail::is_record_filter<Policies>::value ==
                  1) &&
                 ...),
                "esm::queue_poller: every policy must be exactly one of batching, a scaling policy, a visibility "
                "policy, a filter (filter_criteria, record_filter, message_filter) or queue_options");
  static_assert(detail::count_policies<detail::is_batching, Policies...> <= 1,
                "esm::queue_poller: two batching policies");
  static_assert(detail::count_policies<detail::is_scaling, Policies...> <= 1,
                "esm::queue_poller: two scaling policies");
  static_assert(detail::count_policies<detail::is_visibility, Policies...> <= 1,
                "esm::queue_poller: two visibility policies");
  static_assert(detail::count_policies<detail::is_record_filter, Policies...> <= 1, "esm::queue_poller: two filters");
  static_assert(detail::count_policies<detail::is_queue_options, Policies...> <= 1,
                "esm::queue_poller: two queue_options");

  /// A mapping from `queue` to `fn` running `h`. Validates every parameter against AWS's ranges
  /// (`config_error`), including that the function timeout does not exceed the queue's
  /// visibility timeout, and starts polling if enabled.
  queue_poller(Queue& queue, function& fn, Handler h, Policies... policies)
      : queue_(queue), fn_(fn), sim_(queue.sim()), handler_(std::move(h)), policies_(std::move(policies)...),
        filter_(queue, filter_ref(), where()) {
    const std::string where = this->where();
    batching_ref().validate(Queue::kind);
    scaling_ref().validate(Queue::kind);
    visibility_ref().validate();
    if (scaling_ref().interval() <= duration::zero()) {
      throw config_error("scaling interval", "(0s, +inf)", esm::to_string(scaling_ref().interval()), where);
    }
    const duration vt = queue_.config().visibility_timeout;
    if (fn_.config().timeout > vt) {
      throw config_error("function timeout", "at most the queue's visibility timeout (" + esm::to_string(vt) + ")",
                         esm::to_string(fn_.config().timeout), where + " on '" + queue_.name() + "'");
    }
    batch_size_ = static_cast<std::size_t>(batching_ref().effective_batch_size(Queue::kind));
    window_ = batching_ref().effective_window(Queue::kind);
    // DG-2023 (spec §3.3): with a window, when window + timeout exceeds the visibility timeout,
    // the messages are received with window + timeout + 30 s.
    if (window_ > duration::zero() && window_ + fn_.config().timeout > vt) {
      visibility_override_ =
          std::min<duration>(window_ + fn_.config().timeout + std::chrono::seconds{30}, std::chrono::hours{12});
    }
    component_ = "esm/" + options().name;
    enabled_ = options().enabled;
    target_ = std::max(1, static_cast<int>(scaling_ref().initial_concurrency()));
    metrics_.target_concurrency = target_;
    metrics_.max_target_concurrency = target_;
    last_tick_ = sim_.now();
    queue_.add_listener(this);
    if (enabled_) schedule_wake();
  }

  queue_poller(const queue_poller&) = delete;
  queue_poller& operator=(const queue_poller&) = delete;

  /// Stops listening and cancels timers; invocations in flight complete without effect (their
  /// messages return after the visibility timeout).
  ~queue_poller() {
    queue_.remove_listener(this);
    for (auto& w : workers_) sim_.cancel(w.timer);
    sim_.cancel(tick_timer_);
    sim_.cancel(wake_timer_);
  }

  /// Cumulative metrics (spec §6).
  [[nodiscard]] const esm_metrics& metrics() const noexcept { return metrics_; }
  /// `State`.
  [[nodiscard]] esm_state state() const noexcept { return enabled_ ? esm_state::enabled : esm_state::disabled; }
  /// `LastProcessingResult`: `No records processed`, `OK` or `PROBLEM: Function call failed`.
  [[nodiscard]] std::string_view last_processing_result() const noexcept { return last_result_; }
  /// The batch size in effect.
  [[nodiscard]] std::size_t batch_size() const noexcept { return batch_size_; }
  /// Concurrent batches the scaling policy allows now.
  [[nodiscard]] int target_concurrency() const noexcept { return target_; }
  /// The visibility timeout the mapping receives with (the queue's, or the DG-2023 extension).
  [[nodiscard]] duration receive_visibility_timeout() const noexcept {
    return visibility_override_.value_or(queue_.config().visibility_timeout);
  }

  /// Resumes polling (`Enabled = true`).
  void enable() {
    if (enabled_) return;
    enabled_ = true;
    last_tick_ = sim_.now();
    for (std::uint32_t i = 0; i < workers_.size(); ++i) {
      if (workers_[i].ph == phase::idle) wait(i);
    }
    schedule_wake();
  }
  /// Pauses polling and invocation (`Enabled = false`). Invocations in flight complete (and
  /// delete what succeeded); batches being gathered are dropped, their messages return after
  /// the visibility timeout.
  void disable() {
    if (!enabled_) return;
    enabled_ = false;
    for (std::uint32_t i = 0; i < workers_.size(); ++i) {
      worker& w = workers_[i];
      if (w.ph == phase::gathering || w.ph == phase::backoff || w.ph == phase::idle) {
        sim_.cancel(w.timer);
        w.batch.clear();
        w.carry.clear();
        w.bytes = 0;
        w.ph = phase::idle;
      }
    }
    waiting_.clear();
    waiting_gathering_.clear();
    sim_.cancel(tick_timer_);
    tick_set_ = false;
  }

private:
  enum class phase : std::uint8_t { retired, idle, gathering, invoking, backoff };
  struct worker {
    phase ph = phase::retired;
    std::vector<receipt_handle> batch;     // the batch being gathered or invoked
    std::vector<receipt_handle> carry;     // received, left for the next batch by the payload cut
    std::vector<const message_type*> view; // what the handler sees
    std::size_t bytes = 0;                 // payload of `batch`
    time_point window_start{};
    time_point first_receive{}; // when the batch's first message was received
    timer_id timer{};
    int throttle_retries = 0;
    std::uint32_t wait_gen = 0;
    bool waiting = false;
  };
  struct waiting_entry {
    std::uint32_t worker;
    std::uint32_t gen;
  };

  // --- policies -------------------------------------------------------------------------------
  batching_type& batching_ref() { return pick<detail::is_batching>(default_batching_); }
  scaling_type& scaling_ref() { return pick<detail::is_scaling>(default_scaling_); }
  visibility_type& visibility_ref() { return pick<detail::is_visibility>(default_visibility_); }
  filter_type& filter_ref() { return pick<detail::is_record_filter>(default_filter_); }
  const queue_options& options() { return pick<detail::is_queue_options>(default_options_); }
  template <template <class> class Pred, class Default>
  decltype(auto) pick(Default& fallback) {
    return std::apply([&](auto&... ps) -> decltype(auto) { return detail::pick_policy<Pred>(fallback, ps...); },
                      policies_);
  }
  static constexpr bool has_filter = !std::is_same_v<filter_type, detail::keep_all>;
  static std::string where() { return std::string{"a "} + to_string(Queue::kind) + " event source mapping"; }

  // --- waking ---------------------------------------------------------------------------------
  void on_messages_available() override {
    if (!enabled_) return;
    if (waiting_.empty() && waiting_gathering_.empty() && active_ >= target_) return;
    schedule_wake();
  }
  void schedule_wake() {
    if (wake_set_) return;
    wake_set_ = true;
    wake_timer_ = sim_.schedule_after(duration::zero(), [this] {
      wake_set_ = false;
      wake();
    });
  }
  // Starts workers up to the target and lets waiting workers receive while the queue can deliver.
  void wake() {
    if (!enabled_) return;
    resume_ticks();
    while (active_ < target_) spawn();
    // Workers holding a partial batch (a window is open) receive first, then idle ones.
    for (auto* list : {&waiting_gathering_, &waiting_}) {
      std::size_t budget = list->size();
      while (budget-- > 0 && !list->empty() && queue_.receivable_now()) {
        const waiting_entry e = list->front();
        list->pop_front();
        worker& w = workers_[e.worker];
        if (!w.waiting || w.wait_gen != e.gen) continue;
        w.waiting = false;
        advance(e.worker);
      }
    }
  }
  void wait(std::uint32_t i) {
    worker& w = workers_[i];
    if (w.waiting) return;
    w.waiting = true;
    ++w.wait_gen;
    (w.batch.empty() ? waiting_ : waiting_gathering_).push_back({i, w.wait_gen});
  }
  void spawn() {
    std::uint32_t i = 0;
    if (!retired_.empty()) {
      i = retired_.back();
      retired_.pop_back();
    } else {
      workers_.emplace_back();
      i = static_cast<std::uint32_t>(workers_.size() - 1);
    }
    worker& w = workers_[i];
    w.ph = phase::idle;
    w.window_start = sim_.now();
    ++active_;
    wait(i);
  }
  void retire(std::uint32_t i) {
    worker& w = workers_[i];
    w.ph = phase::retired;
    w.waiting = false;
    --active_;
    retired_.push_back(i);
  }

  // --- scaling --------------------------------------------------------------------------------
  bool busy() const noexcept { return in_flight_ > 0 || gathering_or_backoff(); }
  bool gathering_or_backoff() const noexcept {
    for (const auto& w : workers_)
      if (w.ph == phase::gathering || w.ph == phase::backoff) return true;
    return false;
  }
  // Ticks run only while the mapping works; an idle stretch is accounted for when work resumes.
  void resume_ticks() {
    if (tick_set_) return;
    const duration iv = scaling_ref().interval();
    const time_point now = sim_.now();
    if (iv > duration::zero() && now > last_tick_) {
      auto idle_steps = (now - last_tick_) / iv;
      for (; idle_steps > 0; --idle_steps) {
        const scaling_observation o{target_, in_flight_, false, false, 0, 0, options().report_batch_item_failures};
        const int t = clamp_target(scaling_ref().next_target(o));
        if (t == target_) break;
        set_target(t);
      }
    }
    last_tick_ = now;
    schedule_tick();
  }
  void schedule_tick() {
    if (tick_set_) return;
    tick_set_ = true;
    tick_timer_ = sim_.schedule_at(last_tick_ + scaling_ref().interval(), [this] {
      tick_set_ = false;
      tick();
    });
  }
  void tick() {
    last_tick_ = sim_.now();
    const scaling_observation o{
        target_,          in_flight_,          interval_backlog_ || queue_.receivable_now(), interval_received_,
        interval_errors_, interval_throttles_, options().report_batch_item_failures};
    interval_backlog_ = false;
    interval_received_ = false;
    interval_errors_ = 0;
    interval_throttles_ = 0;
    const int before = target_;
    set_target(clamp_target(scaling_ref().next_target(o)));
    if (active_ < target_) schedule_wake();
    // Ticks go on while there is work, and after it while the target still moves (back toward
    // its idle floor), then stop: an idle mapping schedules nothing.
    if (enabled_ && (busy() || o.backlog || target_ != before)) schedule_tick();
  }
  int clamp_target(int t) {
    if (const auto cap = scaling_ref().concurrency_cap()) t = std::min(t, *cap);
    return std::max(t, 1);
  }
  void set_target(int t) {
    if (t == target_) return;
    trace("scale", {{"from", target_}, {"to", t}});
    target_ = t;
    metrics_.target_concurrency = t;
    metrics_.max_target_concurrency = std::max(metrics_.max_target_concurrency, t);
  }

  // --- the worker loop ------------------------------------------------------------------------
  bool full(const worker& w) const noexcept { return w.batch.size() >= batch_size_ || !w.carry.empty(); }

  void advance(std::uint32_t i) {
    worker& w = workers_[i];
    if (!enabled_) {
      w.ph = phase::idle;
      return;
    }
    if (w.batch.empty() && w.carry.empty() && active_ > target_) {
      retire(i);
      return;
    }
    gather(w);
    const time_point now = sim_.now();
    if (!w.batch.empty() && (full(w) || window_ == duration::zero() || now >= w.window_start + window_)) {
      invoke(i);
      return;
    }
    // Nothing to send yet: long-poll, and with a partial batch wait for the window's end too.
    if (w.batch.empty()) {
      w.ph = phase::idle;
    } else if (w.ph != phase::gathering) {
      w.ph = phase::gathering;
      w.timer = sim_.schedule_at(w.window_start + window_, [this, i] {
        worker& x = workers_[i];
        x.waiting = false;
        advance(i);
      });
    }
    wait(i);
  }

  // Receives until the batch is full, the payload limit is reached or the queue has nothing.
  void gather(worker& w) {
    while (!w.carry.empty() && w.batch.size() < batch_size_) {
      const receipt_handle r = w.carry.front();
      const message_type* m = queue_.message(r);
      if (m == nullptr) {
        ++metrics_.stale_receipts;
        w.carry.erase(w.carry.begin());
        continue;
      }
      const std::size_t b = m->bytes() + sqs_message_overhead_bytes;
      if (!w.batch.empty() && w.bytes + b > max_invoke_payload_bytes) return;
      if (w.batch.empty()) w.first_receive = sim_.now();
      w.batch.push_back(r);
      w.bytes += b;
      w.carry.erase(w.carry.begin());
    }
    if (!w.carry.empty()) return;
    while (w.batch.size() < batch_size_) {
      const int want = static_cast<int>(std::min<std::size_t>(Queue::max_receive, batch_size_ - w.batch.size()));
      scratch_.clear();
      const std::size_t got = queue_.receive_handles(scratch_, want, visibility_override_);
      metrics_.polled_event_count += got;
      if (got > 0) {
        interval_received_ = true;
        if (w.batch.empty()) w.first_receive = sim_.now();
        trace("receive", {{"messages", got}});
      }
      for (const receipt_handle r : scratch_) {
        const message_type* mp = queue_.message(r);
        if (mp == nullptr) { // cannot happen with esm's queues; a custom queue might
          ++metrics_.stale_receipts;
          continue;
        }
        const message_type& m = *mp;
        if constexpr (has_filter) {
          if (!filter_.keeps(m)) {
            ++metrics_.filtered_out_event_count;
            queue_.try_delete(r); // messages failing the filter are deleted (spec §3.4)
            continue;
          }
        }
        const std::size_t b = m.bytes() + sqs_message_overhead_bytes;
        if (!w.carry.empty() || (!w.batch.empty() && w.bytes + b > max_invoke_payload_bytes)) {
          w.carry.push_back(r); // the 6 MB cut: these start the next batch
          continue;
        }
        w.batch.push_back(r);
        w.bytes += b;
      }
      if (got < static_cast<std::size_t>(want) || !w.carry.empty()) break;
    }
    // Messages remain that this worker did not take: a backlog (FIFO: an unlocked group waits).
    if (queue_.receivable_now()) interval_backlog_ = true;
  }

  void invoke(std::uint32_t i) {
    worker& w = workers_[i];
    sim_.cancel(w.timer);
    w.waiting = false;
    // A receipt that went stale while the batch waited (visibility expired and the message was
    // received again, or it expired) is left out: its message is another batch's now.
    w.view.clear();
    std::size_t kept = 0;
    for (const receipt_handle r : w.batch) {
      if (const message_type* m = queue_.message(r)) {
        w.batch[kept++] = r;
        w.view.push_back(m);
      } else {
        ++metrics_.stale_receipts;
      }
    }
    w.batch.resize(kept);
    if (w.batch.empty()) {
      finish(i);
      return;
    }
    w.ph = phase::invoking;
    ++in_flight_;
    ++metrics_.batches;
    metrics_.concurrency = in_flight_;
    metrics_.max_concurrency = std::max(metrics_.max_concurrency, in_flight_);
    const std::size_t n = w.batch.size();
    trace("invoke", {{"worker", i}, {"messages", n}, {"attempt", w.throttle_retries + 1}});
    batch_type batch{w.view, queue_.name()};
    auto done = [this, alive = std::weak_ptr<char>(alive_), i](const invocation_result& r) {
      if (!alive.expired()) complete(i, r);
    };
    const bool started = fn_.invoke(batch, handler_, std::move(done), {.attempt = w.throttle_retries + 1, .items = n});
    if (started) metrics_.invoked_event_count += n;
  }

  void complete(std::uint32_t i, const invocation_result& r) {
    worker& w = workers_[i];
    --in_flight_;
    metrics_.concurrency = in_flight_;
    const std::size_t n = w.batch.size();
    if (r.kind == outcome::throttled) {
      ++metrics_.throttles;
      ++interval_throttles_;
      metrics_.failed_invoke_event_count += n;
      // Lambda retries a throttled batch until its visibility timeout passes, then drops it: the
      // messages return to the queue (spec §3.4, §3.7).
      const duration backoff = std::min<duration>(std::chrono::seconds{1} * (1LL << std::min(w.throttle_retries, 3)),
                                                  std::chrono::seconds{8});
      const time_point deadline = w.first_receive + receive_visibility_timeout();
      if (enabled_ && sim_.now() + backoff < deadline) {
        ++w.throttle_retries;
        w.ph = phase::backoff;
        trace("throttled", {{"worker", i}, {"messages", n}, {"retry_in", backoff}});
        w.timer = sim_.schedule_after(backoff, [this, i] { invoke(i); });
        return;
      }
      trace("abandon", {{"worker", i}, {"messages", n}});
      last_result_ = "PROBLEM: Function call failed";
      finish(i);
      return;
    }
    const bool rbif = options().report_batch_item_failures;
    if (is_error(r.kind)) {
      ++interval_errors_;
      fail_all(w, r.kind);
    } else if (r.kind == outcome::partial && rbif) {
      settle_partial(w, *r.response);
    } else {
      delete_range(w, 0, n);
      last_result_ = "OK";
    }
    finish(i);
  }

  void finish(std::uint32_t i) {
    worker& w = workers_[i];
    w.batch.clear();
    w.view.clear();
    w.bytes = 0;
    w.throttle_retries = 0;
    w.window_start = sim_.now();
    w.ph = phase::idle;
    advance(i);
  }

  void fail_all(worker& w, outcome why) {
    metrics_.failed_invoke_event_count += w.batch.size();
    last_result_ = "PROBLEM: Function call failed";
    for (const receipt_handle r : w.batch) return_message(r, why);
  }

  // Applies the visibility policy to a failed message (by default it returns when its
  // visibility timeout expires).
  void return_message(receipt_handle r, outcome why) {
    const message_type* m = queue_.message(r);
    if (m == nullptr) return;
    const failed_message f{m->receive_count, queue_.config().visibility_timeout, why};
    if (const auto d = visibility_ref().on_failure(f)) {
      queue_.try_change_visibility(r, std::clamp<duration>(*d, duration::zero(), std::chrono::hours{12}));
    }
  }

  void delete_range(worker& w, std::size_t from, std::size_t to) {
    std::size_t deleted = 0;
    for (std::size_t k = from; k < to; ++k) {
      if (queue_.try_delete(w.batch[k]) == delete_status::deleted) {
        ++deleted;
      } else {
        ++metrics_.failed_deletes; // received again elsewhere meanwhile: AWS's delete fails too
      }
    }
    metrics_.deleted_event_count += deleted;
    metrics_.processed_event_count += deleted;
    if (deleted > 0) trace("delete", {{"messages", deleted}});
  }

  // Partial batch response (spec §3.5): the listed messages return, the rest are deleted. An
  // identifier that is null, empty or not a messageId of the batch fails the whole batch.
  void settle_partial(worker& w, const batch_response& resp) {
    const std::size_t n = w.batch.size();
    failed_flags_.assign(n, 0);
    std::size_t failed = 0;
    for (const auto& f : resp.batch_item_failures) {
      if (!f.item_identifier || f.item_identifier->empty()) {
        trace("invalid_response", {{"reason", std::string_view{"null or empty itemIdentifier"}}});
        fail_all(w, outcome::partial);
        return;
      }
      std::size_t k = 0;
      while (k < n && w.view[k]->message_id() != *f.item_identifier) ++k;
      if (k == n) {
        trace("invalid_response", {{"reason", std::string_view{"itemIdentifier is not a messageId of the batch"}}});
        fail_all(w, outcome::partial);
        return;
      }
      if (failed_flags_[k] == 0) {
        failed_flags_[k] = 1;
        ++failed;
      }
    }
    metrics_.failed_invoke_event_count += failed;
    last_result_ = failed > 0 ? "PROBLEM: Function call failed" : "OK";
    std::size_t deleted = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (failed_flags_[k] != 0) {
        return_message(w.batch[k], outcome::partial);
      } else if (queue_.try_delete(w.batch[k]) == delete_status::deleted) {
        ++deleted;
      } else {
        ++metrics_.failed_deletes;
      }
    }
    metrics_.deleted_event_count += deleted;
    metrics_.processed_event_count += deleted;
    if (deleted > 0) trace("delete", {{"messages", deleted}});
  }

  void trace(std::string_view kind, std::initializer_list<trace_field> fields) {
    auto& tr = sim_.trace();
    if (!tr.active()) return;
    tr.emit(sim_.now(), component_, kind, [&] { return std::span<const trace_field>{fields.begin(), fields.size()}; });
  }

  Queue& queue_;
  function& fn_;
  simulation& sim_;
  Handler handler_;
  std::tuple<Policies...> policies_;
  batching default_batching_{};
  sqs_scaling default_scaling_{};
  queue_visibility default_visibility_{};
  detail::keep_all default_filter_{};
  queue_options default_options_{};
  detail::poller_filter<Queue, filter_type> filter_;
  std::size_t batch_size_ = 10;
  duration window_{};
  std::optional<duration> visibility_override_{};
  std::string component_;
  bool enabled_ = true;
  std::deque<worker> workers_; // deque: stable while a completion starts another worker
  std::vector<std::uint32_t> retired_;
  std::deque<waiting_entry> waiting_;           // idle workers, long-polling
  std::deque<waiting_entry> waiting_gathering_; // workers with a partial batch, window open
  int active_ = 0;
  int target_ = 5;
  int in_flight_ = 0;
  timer_id wake_timer_{};
  bool wake_set_ = false;
  timer_id tick_timer_{};
  bool tick_set_ = false;
  time_point last_tick_{};
  bool interval_backlog_ = false;
  bool interval_received_ = false;
  std::uint64_t interval_errors_ = 0;
  std::uint64_t interval_throttles_ = 0;
  std::vector<receipt_handle> scratch_;
  std::vector<unsigned char> failed_flags_;
  esm_metrics metrics_;
  std::string_view last_result_ = "No records processed";
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

template <class Queue, class Handler, class... Policies>
queue_poller(Queue&, function&, Handler, Policies...) -> queue_poller<Queue, Handler, Policies...>;

} // namespace esm
