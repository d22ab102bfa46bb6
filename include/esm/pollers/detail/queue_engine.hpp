#pragma once
/// \file esm/pollers/detail/queue_engine.hpp
/// The state machine of an SQS event source mapping, once per queue type: workers that
/// long-poll, gather batches, invoke, delete, return failed messages and follow the scaling
/// target. The facade `esm::queue_poller` owns the policies and the handler and reaches them
/// through `queue_hooks`: one indirect call per decision, receive or invocation (and one per
/// failed message for a visibility policy that acts), never per delivered message.
///
/// The model of a poller: the mapping runs as many workers as its scaling target. A worker
/// receives (up to 10 messages per call) until the batching policy cuts (the batch is full, the
/// payload limit is reached or the window expires), invokes, waits for the outcome, deletes,
/// and starts again. A worker with nothing to receive long-polls: it waits, without simulation
/// events, until the queue says messages arrived. Throttled invokes are retried as the throttle
/// policy says (AWS: 1 s, doubling to 8 s) while the batch's visibility timeout lasts, then
/// abandoned (the messages return).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/outcome.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/lambda/function.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/policies/batching.hpp>
#include <esm/policies/scaling.hpp>
#include <esm/policies/throttle.hpp>
#include <esm/policies/visibility.hpp>
#include <esm/pollers/detail/lifeline.hpp>
#include <esm/pollers/mapping_identity.hpp>
#include <esm/pollers/metrics.hpp>
#include <esm/pollers/queue_batch.hpp>
#include <esm/sources/event_size.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm::detail {

/// The handler of a queue mapping as the engine calls it: one indirect call per invocation.
template <class Batch>
struct queue_handler_ref {
  void* self = nullptr;
  batch_response (*call)(void*, Batch&, invocation_context&) = nullptr;
  batch_response operator()(Batch& b, invocation_context& ctx) const { return call(self, b, ctx); }
};

/// The facade's side of a queue engine.
template <class Queue>
struct queue_hooks {
  using batch_type = queue_batch<typename Queue::message_type>;
  void* self = nullptr;
  batch_decision (*decide)(void*, const batch_candidate&) = nullptr;
  std::optional<duration> (*on_throttle)(void*, const throttle_event&) = nullptr;
  int (*next_target)(void*, const scaling_observation&) = nullptr;
  /// Null for a visibility policy that never acts (AWS's).
  std::optional<duration> (*on_failed_message)(void*, const failed_message&) = nullptr;
  /// Removes (and deletes from the queue) the received messages the filter drops; null: no filter.
  std::size_t (*filter)(void*, Queue&, std::vector<receipt_handle>&) = nullptr;
  batch_response (*call)(void*, batch_type&, invocation_context&) = nullptr;
  /// The function or the queue was destroyed (the reason says which): the engine stopped.
  void (*lost)(void*, std::string_view reason) noexcept = nullptr;
};

/// The settings of a queue engine that `update()` can change.
struct queue_settings {
  batch_limits limits{.max_records = 10};   ///< from the batching policy
  std::optional<duration> visibility_override{}; ///< DG-2023: window + timeout + 30 s when over the queue's
  bool report_batch_item_failures = false;  ///< FunctionResponseTypes
  int initial_concurrency = 5;              ///< from the scaling policy
  duration interval = std::chrono::seconds{1}; ///< the scaling policy's interval
  std::optional<int> concurrency_cap{};     ///< `MaximumConcurrency`
};

template <class Queue>
class queue_engine final : private queue_listener, private function_listener {
public:
  using message_type = typename Queue::message_type;
  using batch_type = queue_batch<message_type>;

  queue_engine(Queue& queue, function& fn, queue_hooks<Queue> hooks, queue_settings settings,
               const queue_options& options)
      : queue_(queue), fn_(&fn), sim_(queue.sim()), hooks_(hooks), settings_(settings), sizes_(queue),
        identity_(mapping_identity::next(queue.sim(), queue.arn())), component_("esm/" + options.name),
        start_enabled_(options.enabled), source_arn_(queue.arn()), function_name_(fn.name()),
        life_(lifeline<queue_engine>::make(this)) {
    target_ = std::max(1, settings_.initial_concurrency);
    metrics_.target_concurrency = target_;
    metrics_.max_target_concurrency = target_;
    last_tick_ = sim_.now();
    queue_.add_listener(this);
    fn_->add_listener(this);
  }
  queue_engine(const queue_engine&) = delete;
  queue_engine& operator=(const queue_engine&) = delete;

  /// Stops listening and cancels timers; invocations in flight complete without effect (their
  /// messages return after the visibility timeout).
  ~queue_engine() {
    stop();
    if (source_alive_) queue_.remove_listener(this);
    if (fn_ != nullptr) fn_->remove_listener(this);
  }

  /// Starts polling if created enabled: when the mapping's `Creating` ends. Before, it reads nothing.
  void start() {
    enabled_ = start_enabled_;
    last_tick_ = sim_.now();
    if (enabled_) schedule_wake();
  }

  [[nodiscard]] const esm_metrics& metrics() const noexcept { return metrics_; }
  [[nodiscard]] const mapping_identity& identity() const noexcept { return identity_; }
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }
  [[nodiscard]] std::string_view last_processing_result() const noexcept { return last_result_; }
  [[nodiscard]] const queue_settings& settings() const noexcept { return settings_; }
  [[nodiscard]] int target_concurrency() const noexcept { return target_; }
  /// The function invoked; only while `lost()` is empty.
  [[nodiscard]] function& target() const noexcept { return *fn_; }
  /// `FunctionName` (kept when the function is destroyed).
  [[nodiscard]] const std::string& function_name() const noexcept { return function_name_; }
  /// `EventSourceArn` (kept when the queue is destroyed).
  [[nodiscard]] const std::string& source_arn() const noexcept { return source_arn_; }
  /// Why the engine stopped for good (its function or queue was destroyed); empty while not.
  [[nodiscard]] std::string_view lost() const noexcept { return lost_; }
  [[nodiscard]] duration receive_visibility_timeout() const noexcept {
    return settings_.visibility_override.value_or(queue_.config().visibility_timeout);
  }

  void enable() {
    if (enabled_ || !lost_.empty()) return;
    enabled_ = true;
    last_tick_ = sim_.now();
    for (std::uint32_t i = 0; i < workers_.size(); ++i) {
      if (workers_[i].ph == phase::idle) wait(i);
    }
    schedule_wake();
  }
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
        w.waiting = false; // the lists below are cleared: enable() puts it back
      }
    }
    waiting_.clear();
    waiting_gathering_.clear();
    sim_.cancel(tick_timer_);
    tick_set_ = false;
  }

  /// New settings for the batches gathered from now on; a lower cap lowers the target at once.
  void apply(const queue_settings& s, function* fn) {
    settings_ = s;
    if (fn != nullptr && fn != fn_ && fn_ != nullptr) {
      fn->add_listener(this);
      fn_->remove_listener(this);
      fn_ = fn;
      function_name_ = fn->name();
    }
    const int t = clamp_target(target_);
    set_target(t);
    if (enabled_) schedule_wake();
  }

private:
  // Cancels every timer; completions still in flight find no engine (the lifeline is cut), and
  // their messages return when the visibility timeout ends.
  void stop() noexcept {
    enabled_ = false;
    if (life_ != nullptr) std::exchange(life_, nullptr)->sever();
    for (auto& w : workers_) sim_.cancel(w.timer);
    sim_.cancel(tick_timer_);
    tick_set_ = false;
    sim_.cancel(wake_timer_);
    wake_set_ = false;
  }
  // The function or the queue is being destroyed: stop for good and tell the facade.
  void lose(std::string reason) noexcept {
    stop();
    lost_ = std::move(reason);
    if (auto& tr = sim_.trace(); tr.active()) {
      const trace_field fields[] = {{"reason", std::string_view{lost_}}};
      tr.emit(sim_.now(), component_, "detached", [&] { return std::span<const trace_field>{fields}; });
    }
    if (hooks_.lost != nullptr) hooks_.lost(hooks_.self, lost_);
  }
  void on_source_destroyed() noexcept override {
    source_alive_ = false;
    lose("its event source " + source_arn_ + " was destroyed");
  }
  void on_function_destroyed() noexcept override {
    fn_ = nullptr;
    lose("its function '" + function_name_ + "' was destroyed");
  }

  enum class phase : std::uint8_t { retired, idle, gathering, invoking, backoff };
  struct worker {
    phase ph = phase::retired;
    std::vector<receipt_handle> batch;     // the batch being gathered or invoked
    std::vector<receipt_handle> carry;     // received, left for the next batch by the payload cut
    std::vector<const message_type*> view; // what the handler sees
    std::size_t bytes = 0;                 // event JSON bytes of `batch` (0 when empty)
    time_point window_start{};
    time_point first_receive{}; // when the batch's first message was received
    time_point due{};           // when the batching policy's wait ends (phase gathering)
    timer_id timer{};
    int throttle_retries = 0;
    std::uint32_t wait_gen = 0;
    bool waiting = false;
  };
  struct waiting_entry {
    std::uint32_t worker;
    std::uint32_t gen;
  };

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
    const duration iv = settings_.interval;
    const time_point now = sim_.now();
    if (iv > duration::zero() && now > last_tick_) {
      auto idle_steps = (now - last_tick_) / iv;
      for (; idle_steps > 0; --idle_steps) {
        const scaling_observation o{target_, in_flight_, false, false, 0, 0, settings_.report_batch_item_failures};
        const int t = clamp_target(hooks_.next_target(hooks_.self, o));
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
    tick_timer_ = sim_.schedule_at(saturating_add(last_tick_, settings_.interval), [this] {
      tick_set_ = false;
      tick();
    });
  }
  void tick() {
    last_tick_ = sim_.now();
    const scaling_observation o{target_,          in_flight_,
                                interval_backlog_ || queue_.receivable_now(),
                                interval_received_, interval_errors_,
                                interval_throttles_, settings_.report_batch_item_failures};
    interval_backlog_ = false;
    interval_received_ = false;
    interval_errors_ = 0;
    interval_throttles_ = 0;
    const int before = target_;
    set_target(clamp_target(hooks_.next_target(hooks_.self, o)));
    if (active_ < target_) schedule_wake();
    // Ticks go on while there is work, and after it while the target still moves (back toward
    // its idle floor), then stop: an idle mapping schedules nothing.
    if (enabled_ && (busy() || o.backlog || target_ != before)) schedule_tick();
  }
  int clamp_target(int t) const {
    if (settings_.concurrency_cap) t = std::min(t, *settings_.concurrency_cap);
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
  batch_candidate candidate(const worker& w) const {
    batch_candidate c;
    c.kind = Queue::kind;
    c.records = w.batch.size();
    c.bytes = w.bytes;
    c.full = w.batch.size() >= settings_.limits.max_records || !w.carry.empty();
    c.now = sim_.now();
    c.gathering_since = w.window_start;
    c.first_arrival = w.first_receive;
    return c;
  }

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
    if (!w.batch.empty()) {
      const batch_decision d = hooks_.decide(hooks_.self, candidate(w));
      if (d.cuts() || d.until() <= sim_.now()) {
        invoke(i);
        return;
      }
      // Wait for more messages (long-poll), and for the policy's time.
      if (w.ph != phase::gathering || w.due != d.until()) {
        if (w.ph == phase::gathering) sim_.cancel(w.timer);
        w.ph = phase::gathering;
        w.due = d.until();
        if (d.until() != time_point::max()) {
          w.timer = sim_.schedule_at(d.until(), [this, i] {
            worker& x = workers_[i];
            x.waiting = false;
            x.due = time_point::min(); // the timer fired: a new wait sets a new one
            advance(i);
          });
        }
      }
    } else {
      w.ph = phase::idle;
    }
    wait(i);
  }

  // What a message adds to the batch's event JSON (spec §1: the 6 MB is the event's): its
  // record, and the envelope (first message) or a separator.
  std::size_t message_bytes(const message_type& m, const worker& w) const noexcept {
    return sizes_.record(m) + (w.batch.empty() ? sizes_.envelope : sizes_.separator);
  }

  // Receives until the batch reaches the policy's limits or the queue has nothing.
  void gather(worker& w) {
    const std::size_t max_records = settings_.limits.max_records;
    const std::size_t max_bytes = settings_.limits.max_bytes;
    while (!w.carry.empty() && w.batch.size() < max_records) {
      const receipt_handle r = w.carry.front();
      const message_type* m = queue_.message(r);
      if (m == nullptr) {
        ++metrics_.stale_receipts;
        w.carry.erase(w.carry.begin());
        continue;
      }
      const std::size_t b = message_bytes(*m, w);
      if (!w.batch.empty() && w.bytes + b > max_bytes) return;
      if (w.batch.empty()) w.first_receive = sim_.now();
      w.batch.push_back(r);
      w.bytes += b;
      w.carry.erase(w.carry.begin());
    }
    if (!w.carry.empty()) return;
    while (w.batch.size() < max_records) {
      const int want = static_cast<int>(std::min<std::size_t>(Queue::max_receive, max_records - w.batch.size()));
      scratch_.clear();
      const std::size_t got = queue_.receive_handles(scratch_, want, settings_.visibility_override);
      metrics_.polled_event_count += got;
      if (got > 0) {
        interval_received_ = true;
        if (w.batch.empty()) w.first_receive = sim_.now();
        trace("receive", {{"messages", got}});
      }
      if (hooks_.filter != nullptr && !scratch_.empty()) {
        // Messages failing the filter are deleted (spec §3.4).
        metrics_.filtered_out_event_count += hooks_.filter(hooks_.self, queue_, scratch_);
      }
      for (const receipt_handle r : scratch_) {
        const message_type* mp = queue_.message(r);
        if (mp == nullptr) { // cannot happen with esm's queues; a custom queue might
          ++metrics_.stale_receipts;
          continue;
        }
        const std::size_t b = message_bytes(*mp, w);
        if (!w.carry.empty() || (!w.batch.empty() && w.bytes + b > max_bytes)) {
          w.carry.push_back(r); // the payload cut: these start the next batch
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

  struct completion {
    typename lifeline<queue_engine>::ref life;
    std::uint32_t worker;
    void operator()(const invocation_result& r) {
      if (queue_engine* e = life.get()) e->complete(worker, r);
    }
  };

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
    queue_handler_ref<batch_type> h{hooks_.self, hooks_.call};
    const bool started =
        fn_->invoke(batch, h, completion{life_->hold(), i}, {.attempt = w.throttle_retries + 1, .items = n});
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
      const time_point deadline = saturating_add(w.first_receive, receive_visibility_timeout());
      const std::optional<duration> backoff =
          enabled_ ? hooks_.on_throttle(hooks_.self, throttle_event{w.throttle_retries + 1, sim_.now(), deadline})
                   : std::nullopt;
      if (backoff) {
        ++w.throttle_retries;
        w.ph = phase::backoff;
        const duration d = std::max(*backoff, duration::zero());
        trace("throttled", {{"worker", i}, {"messages", n}, {"retry_in", d}});
        w.timer = sim_.schedule_after(d, [this, i] { invoke(i); });
        return;
      }
      trace("abandon", {{"worker", i}, {"messages", n}});
      last_result_ = "PROBLEM: Function call failed";
      finish(i);
      return;
    }
    if (is_error(r.kind)) {
      ++interval_errors_;
      fail_all(w, r.kind);
    } else if (r.kind == outcome::partial && settings_.report_batch_item_failures) {
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
    if (hooks_.on_failed_message == nullptr) return;
    const message_type* m = queue_.message(r);
    if (m == nullptr) return;
    const failed_message f{m->receive_count, queue_.config().visibility_timeout, why};
    if (const auto d = hooks_.on_failed_message(hooks_.self, f)) {
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
  function* fn_;
  simulation& sim_;
  queue_hooks<Queue> hooks_;
  queue_settings settings_;
  event_size<std::remove_cv_t<Queue>> sizes_; // the event JSON's bytes: the 6 MB cut (spec §1)
  mapping_identity identity_;
  std::string component_;
  bool enabled_ = false;       // polling (false until start())
  bool start_enabled_ = true;  // `Enabled` at creation
  bool source_alive_ = true;   // false once the queue told of its destruction
  std::string source_arn_;     // the queue's, kept for configuration()
  std::string function_name_;  // the function's, kept for configuration()
  std::string lost_;           // why the engine stopped for good; empty while it works
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
  lifeline<queue_engine>* life_; // null once cut (stop())
};

} // namespace esm::detail
