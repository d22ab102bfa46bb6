#pragma once
/// \file esm/lambda/function.hpp
/// The Lambda function model: timeout, concurrency (reserved, or the account's unreserved
/// pool shared by every function of the simulation), throttling, cold starts, a duration model,
/// and the function metrics (Invocations, Errors, Throttles, ConcurrentExecutions, Duration).
///
/// In the simulation a handler runs at the invocation's start; its outcome takes effect at
/// start + cold start + modelled duration (capped at the timeout), when the completion callback
/// runs and the concurrency slot is released.

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/random.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/detail/uuid.hpp>
#include <esm/lambda/handler.hpp>

namespace esm {

/// How long a handler runs when it does not say so itself with `invocation_context::elapse`.
/// A value type: pick a shape with a factory, optionally add a per-item cost.
/// ```cpp
/// auto m = esm::duration_model::normal(120ms, 20ms).plus_per_item(2ms);
/// ```
class duration_model {
public:
  /// Signature of a custom model: (random stream of the function, items in the event) → duration.
  using custom_fn = std::function<duration(random_stream&, std::size_t)>;

  /// Always `d` (≥ 0). The default model is `fixed(10ms)`.
  [[nodiscard]] static duration_model fixed(duration d) {
    check_non_negative("duration_model::fixed", d);
    return duration_model{kind::fixed, d, {}};
  }
  /// Uniform in [lo, hi] (0 ≤ lo ≤ hi).
  [[nodiscard]] static duration_model uniform(duration lo, duration hi) {
    check_non_negative("duration_model::uniform lo", lo);
    if (hi < lo)
      throw config_error("duration_model::uniform hi", "[lo, +inf) = [" + esm::to_string(lo) + ", +inf)",
                         esm::to_string(hi));
    return duration_model{kind::uniform, lo, hi};
  }
  /// Exponential with the given mean (> 0).
  [[nodiscard]] static duration_model exponential(duration mean) {
    if (mean <= duration::zero())
      throw config_error("duration_model::exponential mean", "(0, +inf)", esm::to_string(mean));
    return duration_model{kind::exponential, mean, {}};
  }
  /// Approximately normal (mean ± 6 stddev at most), clamped at zero (mean ≥ 0, stddev ≥ 0).
  [[nodiscard]] static duration_model normal(duration mean, duration stddev) {
    check_non_negative("duration_model::normal mean", mean);
    check_non_negative("duration_model::normal stddev", stddev);
    return duration_model{kind::normal, mean, stddev};
  }
  /// A user model, called once per invocation with the function's random stream.
  [[nodiscard]] static duration_model custom(custom_fn f) {
    if (!f) throw config_error("duration_model::custom", "a callable", "an empty std::function");
    duration_model m{kind::custom, {}, {}};
    m.custom_ = std::move(f);
    return m;
  }

  /// Adds `d` (≥ 0) per item of the event (e.g. per record of a batch). Returns `*this`.
  duration_model& plus_per_item(duration d) {
    check_non_negative("duration_model::plus_per_item", d);
    per_item_ = d;
    return *this;
  }

  /// Draws a duration for an event of `items` items. Never negative.
  [[nodiscard]] duration sample(random_stream& rng, std::size_t items) const {
    duration base{};
    switch (kind_) {
    case kind::fixed:
      base = a_;
      break;
    case kind::uniform:
      base = rng.uniform_duration(a_, b_);
      break;
    case kind::exponential:
      base = rng.exponential_duration(a_);
      break;
    case kind::normal:
      base = duration{
          static_cast<duration::rep>(rng.normal(static_cast<double>(a_.count()), static_cast<double>(b_.count())))};
      break;
    case kind::custom:
      base = custom_(rng, items);
      break;
    }
    base += per_item_ * static_cast<duration::rep>(items);
    return std::max(base, duration::zero());
  }

private:
  enum class kind : std::uint8_t { fixed, uniform, exponential, normal, custom };
  duration_model(kind k, duration a, duration b) : kind_(k), a_(a), b_(b) {}
  static void check_non_negative(const char* what, duration d) {
    if (d < duration::zero()) throw config_error(what, "[0s, +inf)", esm::to_string(d));
  }

  kind kind_;
  duration a_{};
  duration b_{};
  duration per_item_{};
  custom_fn custom_;
};

/// Cold starts: a new execution environment pays an init duration before the handler runs.
/// An environment becomes idle when its invocation ends and is reused (most recently idle
/// first) by the next invocation; one idle longer than `keep_warm` has been reclaimed.
struct cold_start_model {
  /// Init duration of a new environment (AWS `Init Duration`). Default: fixed 250 ms.
  duration_model init = duration_model::fixed(std::chrono::milliseconds{250});
  /// How long an idle environment stays warm. AWS does not document it; observed values are
  /// minutes. Unit: nanoseconds. Range: [0s, 24h]. Default: 5 min.
  duration keep_warm = std::chrono::minutes{5};
};

/// Settings of a function (AWS `CreateFunction` / `PutFunctionConcurrency`).
struct function_config {
  /// Function name (AWS `FunctionName`): 1–64 characters of `a-z A-Z 0-9 - _`. Default `function`.
  std::string name = "function";
  /// Timeout (AWS `Timeout`): whole seconds in [1s, 900s]. Default 3 s.
  duration timeout = std::chrono::seconds{3};
  /// Reserved concurrency (AWS `ReservedConcurrentExecutions`): [0, what the account can
  /// reserve]: account limit − unreserved minimum − other reservations (900 with the default
  /// account). 0 throttles every invocation. Unset (default): the function shares the
  /// account's unreserved pool with every other unreserved function of the simulation.
  std::optional<int> reserved_concurrency{};
  /// Memory (AWS `MemorySize`), MB: [128, 10240]. Default 128. Shown to the handler; it does
  /// not scale the duration model.
  int memory_mb = 128;
  /// Cold-start model; unset (default) means every invocation runs warm.
  std::optional<cold_start_model> cold_start{};
  /// Duration of an invocation whose handler does not call `ctx.elapse`. Default: fixed 10 ms.
  duration_model default_duration = duration_model::fixed(std::chrono::milliseconds{10});
};

/// Settings of the account that functions share (AWS account-level concurrency quota).
struct account_config {
  /// Concurrent executions of all functions together (AWS "Concurrent executions" quota).
  /// Range [1, 1000000]. Default 1000.
  int concurrency_limit = 1000;
  /// Concurrency that reservations must leave to unreserved functions (AWS keeps 100).
  /// Range [0, concurrency_limit]. Default 100.
  int unreserved_minimum = 100;
};

class function;

/// What a function tells the pollers that invoke it: it is being destroyed. A poller registers
/// with `function::add_listener`; on this call it stops for good (it must not use the function
/// again) and unregisters nothing. Called from the function's destructor.
class function_listener {
public:
  /// The function is being destroyed; its invocations in flight will never complete.
  virtual void on_function_destroyed() noexcept = 0;

protected:
  function_listener() = default;
  function_listener(const function_listener&) = default;
  function_listener& operator=(const function_listener&) = default;
  ~function_listener() = default;
};

/// The account of a simulation: the concurrency that every function shares. One per
/// simulation (`account::of(sim)`), created with default settings on first use; configure it
/// with `account::configure(sim, cfg)` before creating a function. Not thread-safe.
class account {
public:
  /// An account with the given settings. Throws `config_error` for a setting out of range.
  explicit account(simulation& sim, account_config cfg = {}) : sim_(sim), cfg_(cfg) {
    detail::check_range("concurrency_limit", cfg_.concurrency_limit, 1, 1'000'000, "account");
    detail::check_range("unreserved_minimum", cfg_.unreserved_minimum, 0, cfg_.concurrency_limit, "account");
  }
  account(const account&) = delete;
  account& operator=(const account&) = delete;

  /// The simulation's account (created with defaults on first use).
  static account& of(simulation& sim) { return sim.service<account>(); }
  /// Creates the simulation's account with `cfg`. Throws `usage_error` if it exists already
  /// (a function was created first, or `configure` was called twice).
  static account& configure(simulation& sim, account_config cfg) { return sim.make_service<account>(sim, cfg); }

  /// The simulation this account belongs to.
  [[nodiscard]] simulation& sim() const noexcept { return sim_; }
  /// The settings.
  [[nodiscard]] const account_config& config() const noexcept { return cfg_; }
  /// Concurrency reserved by functions.
  [[nodiscard]] int reserved() const noexcept { return reserved_; }
  /// Size of the unreserved pool: limit − reservations.
  [[nodiscard]] int unreserved_pool() const noexcept { return cfg_.concurrency_limit - reserved_; }
  /// Executions running now in the unreserved pool.
  [[nodiscard]] int unreserved_in_use() const noexcept { return unreserved_in_use_; }
  /// Executions running now, all functions together.
  [[nodiscard]] int concurrent_executions() const noexcept { return in_use_; }
  /// Most executions ever running at once, all functions together.
  [[nodiscard]] int max_concurrent_executions() const noexcept { return max_in_use_; }

private:
  friend class function;

  void reserve(int n, std::string_view who) {
    const int available = cfg_.concurrency_limit - cfg_.unreserved_minimum - reserved_;
    if (n < 0 || n > available) {
      throw config_error("reserved_concurrency", "[0, " + std::to_string(std::max(available, 0)) + "]",
                         std::to_string(n),
                         std::string{who} + " (account limit " + std::to_string(cfg_.concurrency_limit) + ", " +
                             std::to_string(cfg_.unreserved_minimum) + " kept unreserved, " +
                             std::to_string(reserved_) + " reserved by other functions)");
    }
    reserved_ += n;
  }
  void unreserve(int n) noexcept { reserved_ -= n; }
  bool try_acquire_unreserved() noexcept {
    if (unreserved_in_use_ >= unreserved_pool()) return false;
    ++unreserved_in_use_;
    return true;
  }
  void release_unreserved() noexcept { --unreserved_in_use_; }
  void started() noexcept { max_in_use_ = std::max(max_in_use_, ++in_use_); }
  void finished() noexcept { --in_use_; }

  simulation& sim_;
  account_config cfg_;
  int reserved_ = 0;
  int unreserved_in_use_ = 0;
  int in_use_ = 0;
  int max_in_use_ = 0;
};

/// Running statistics of durations.
struct duration_stats {
  std::uint64_t count = 0;        ///< samples
  duration sum{};                 ///< total
  duration min = duration::max(); ///< smallest sample (duration::max() when none)
  duration max{};                 ///< largest sample

  /// Adds a sample.
  void add(duration d) noexcept {
    ++count;
    sum += d;
    min = std::min(min, d);
    max = std::max(max, d);
  }
  /// Mean of the samples (0 when none).
  [[nodiscard]] duration mean() const noexcept {
    return count == 0 ? duration::zero() : sum / static_cast<duration::rep>(count);
  }
};

/// The function's CloudWatch metrics, cumulative since it was created.
struct function_metrics {
  std::uint64_t invocations = 0;     ///< `Invocations`: the handler ran (errors included, throttles excluded)
  std::uint64_t errors = 0;          ///< `Errors`: function errors and timeouts
  std::uint64_t timeouts = 0;        ///< the part of `errors` that were timeouts
  std::uint64_t throttles = 0;       ///< `Throttles`: invocations refused for lack of concurrency
  std::uint64_t cold_starts = 0;     ///< invocations that started a new execution environment
  int concurrent_executions = 0;     ///< `ConcurrentExecutions` now
  int max_concurrent_executions = 0; ///< `ConcurrentExecutions` maximum so far
  duration_stats duration;           ///< `Duration`: handler run time (capped at the timeout; init excluded)
  duration_stats init_duration;      ///< init time of cold starts
};

/// How one invocation ended; passed to the completion callback of `function::invoke`.
struct invocation_result {
  outcome kind = outcome::success;        ///< how it ended
  int attempt = 1;                        ///< attempt number given to `invoke`
  time_point start{};                     ///< when `invoke` was called
  time_point end{};                       ///< when the outcome took effect (= start for a throttle)
  duration run_time{};                    ///< handler run time, capped at the timeout
  duration init_duration{};               ///< cold-start init time (0 when warm or throttled)
  bool cold_start = false;                ///< a new execution environment was started
  std::optional<batch_response> response; ///< what a partial-batch handler returned
  std::string
      error_type; ///< function error: exception type; timeout: `Sandbox.Timedout`; throttle: `TooManyRequestsException`
  std::string error_message;               ///< human-readable reason
  std::array<char, 36> request_id_chars{}; ///< storage of `request_id()`

  /// The request id (UUID-shaped, deterministic for a seed); empty for a throttle.
  [[nodiscard]] std::string_view request_id() const noexcept {
    return kind == outcome::throttled ? std::string_view{}
                                      : std::string_view{request_id_chars.data(), request_id_chars.size()};
  }
};

/// Per-invocation options of `function::invoke`.
struct invoke_options {
  /// Attempt number shown to the handler (`ctx.attempt()`); 1 = first try. Range ≥ 1.
  int attempt = 1;
  /// Number of items in the event (records of a batch), for per-item duration models.
  std::size_t items = 1;
};

/// A completion callback of `function::invoke`: called once, at the outcome's time, with the
/// result. Captures up to 32 bytes are stored without a heap allocation.
template <class F>
concept invocation_callback = std::invocable < std::decay_t<F>
&, const invocation_result& > &&std::move_constructible<std::decay_t<F>>;

/// A Lambda function on a simulation. Owns its concurrency, throttles beyond it, models cold
/// starts and durations, times out invocations, runs handlers and counts metrics. Shared by
/// every poller that invokes it. Not copyable or movable; not thread-safe.
///
/// Destroying a function first tells its listeners (the pollers that invoke it stop, their
/// mappings become `Disabled`), then cancels the completions of invocations in flight (the
/// callbacks are destroyed without being called).
class function {
public:
  /// A function on `sim`, in the simulation's account. Throws `config_error` for a setting
  /// outside AWS's range (the message names it, the range and the value).
  function(simulation& sim, function_config cfg) : function(account::of(sim), std::move(cfg)) {}

  /// A function in `acct`. Throws `config_error` for a setting outside AWS's range.
  function(account& acct, function_config cfg)
      : acct_(acct), sim_(acct.sim()), cfg_(std::move(cfg)), component_("function/" + cfg_.name),
        rng_(sim_.rng(component_)), id_rng_(sim_.rng(component_ + "/request-id")) {
    validate();
    if (cfg_.reserved_concurrency) acct_.reserve(*cfg_.reserved_concurrency, where());
  }
  function(const function&) = delete;
  function& operator=(const function&) = delete;

  ~function() {
    const auto listeners = std::move(listeners_);
    listeners_.clear();
    for (function_listener* l : listeners) l->on_function_destroyed();
    for (auto& f : flights_) {
      if (f.used) sim_.cancel(f.timer);
    }
    if (cfg_.reserved_concurrency) acct_.unreserve(*cfg_.reserved_concurrency);
    acct_.in_use_ -= running_;
    if (!cfg_.reserved_concurrency) acct_.unreserved_in_use_ -= running_;
  }

  /// The settings.
  [[nodiscard]] const function_config& config() const noexcept { return cfg_; }
  /// The function's name.
  [[nodiscard]] const std::string& name() const noexcept { return cfg_.name; }
  /// The simulation it runs on.
  [[nodiscard]] simulation& sim() const noexcept { return sim_; }
  /// The account it belongs to.
  [[nodiscard]] account& owner() const noexcept { return acct_; }
  /// Executions running now.
  [[nodiscard]] int concurrent_executions() const noexcept { return running_; }
  /// How many more executions could start now without a throttle.
  [[nodiscard]] int available_concurrency() const noexcept {
    if (cfg_.reserved_concurrency) return *cfg_.reserved_concurrency - running_;
    return acct_.unreserved_pool() - acct_.unreserved_in_use();
  }
  /// Cumulative metrics.
  [[nodiscard]] const function_metrics& metrics() const noexcept { return metrics_; }

  /// Registers a poller, told when the function is destroyed. It must unregister before it is
  /// destroyed itself (unless it was told).
  void add_listener(function_listener* l) { listeners_.push_back(l); }
  /// Unregisters a listener.
  void remove_listener(function_listener* l) noexcept { std::erase(listeners_, l); }

  /// Invokes the function synchronously (as an event source mapping does) on `event`.
  ///
  /// - No concurrency available: the outcome is `throttled`, the handler does not run, and
  ///   `done` is called at `now()` (after the current event). Returns false.
  /// - Otherwise a concurrency slot is taken, an execution environment is picked (cold start
  ///   when none is warm), and `h` runs now with an `invocation_context`. Its modelled duration
  ///   is what it `elapse`d, else the duration model's draw. Above the timeout the outcome is
  ///   `timeout` at start + init + timeout; a thrown exception is `function_error`; a returned
  ///   `batch_response` with failures is `partial`; else `success`. `done(result)` runs when
  ///   the outcome takes effect, after the slot is released. Returns true.
  ///
  /// `event` and `h` are used only during this call. Never throws for anything the handler
  /// does; throws `usage_error` for `opts.attempt < 1`.
  template <class Event, handler<Event> H, invocation_callback Done>
  bool invoke(Event& event, H& h, Done&& done, invoke_options opts = {}) {
    if (opts.attempt < 1)
      throw usage_error("function::invoke: attempt must be >= 1, got " + std::to_string(opts.attempt));
    const std::uint32_t index = allocate_flight();
    flight& f = flights_[index];
    invocation_result& r = f.result;
    r.attempt = opts.attempt;
    r.start = sim_.now();
    r.response.reset();
    r.error_type.clear();
    r.error_message.clear();
    r.cold_start = false;
    r.init_duration = duration::zero();
    r.run_time = duration::zero();

    if (!try_acquire()) {
      ++metrics_.throttles;
      r.kind = outcome::throttled;
      r.end = r.start;
      r.error_type = "TooManyRequestsException";
      r.error_message = cfg_.reserved_concurrency ? "Rate Exceeded. (ReservedFunctionConcurrentInvocationLimitExceeded)"
                                                  : "Rate Exceeded. (ConcurrentInvocationLimitExceeded)";
      auto& tr = sim_.trace();
      tr.emit(r.start, component_, "throttle", [&] {
        return std::array{trace_field{"attempt", r.attempt}, trace_field{"items", opts.items},
                          trace_field{"concurrency", running_}};
      });
      schedule_completion(index, r.start, std::forward<Done>(done));
      return false;
    }

    ++metrics_.invocations;
    metrics_.max_concurrent_executions = std::max(metrics_.max_concurrent_executions, running_);
    metrics_.concurrent_executions = running_;
    make_request_id(r.request_id_chars);
    if (cfg_.cold_start) {
      const time_point now = sim_.now();
      while (!warm_.empty() && now - warm_.front() > cfg_.cold_start->keep_warm) warm_.pop_front();
      if (warm_.empty()) {
        r.cold_start = true;
        r.init_duration = cfg_.cold_start->init.sample(rng_, opts.items);
        ++metrics_.cold_starts;
        metrics_.init_duration.add(r.init_duration);
      } else {
        warm_.pop_back();
      }
    }

    const time_point handler_start = saturating_add(r.start, r.init_duration);
    invocation_context ctx{cfg_.name, r.request_id(), handler_start, cfg_.timeout, cfg_.memory_mb, opts.attempt};
    handler_return ret = detail::run_handler(h, event, ctx);
    const duration modelled = ctx.duration_stated() ? ctx.elapsed() : cfg_.default_duration.sample(rng_, opts.items);

    if (modelled > cfg_.timeout) {
      r.kind = outcome::timeout;
      r.run_time = cfg_.timeout;
      r.error_type = "Sandbox.Timedout";
      r.error_message = "Task timed out after " + timeout_text() + " seconds";
    } else if (ret.threw) {
      r.kind = outcome::function_error;
      r.run_time = modelled;
      r.error_type = std::move(ret.error_type);
      r.error_message = std::move(ret.error_message);
    } else {
      r.run_time = modelled;
      r.response = std::move(ret.response);
      r.kind = (r.response && !r.response->empty()) ? outcome::partial : outcome::success;
    }
    r.end = saturating_add(handler_start, r.run_time);

    auto& tr = sim_.trace();
    tr.emit(r.start, component_, "invoke", [&] {
      return std::array{trace_field{"request_id", r.request_id()}, trace_field{"attempt", r.attempt},
                        trace_field{"items", opts.items}, trace_field{"cold_start", r.cold_start},
                        trace_field{"concurrency", running_}};
    });
    schedule_completion(index, r.end, std::forward<Done>(done));
    return true;
  }

private:
  struct flight {
    invocation_result result;
    timer_id timer;
    std::uint32_t next_free = 0;
    bool used = false;
  };
  static constexpr std::uint32_t no_flight = 0xffffffffU;

  std::string where() const { return "function '" + cfg_.name + "'"; }

  void validate() const {
    const auto& n = cfg_.name;
    const bool name_ok = !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
    if (!name_ok) {
      throw config_error("name", "1-64 characters of [a-zA-Z0-9-_]", "'" + n + "'", "function");
    }
    detail::check_range<duration>("timeout", cfg_.timeout, std::chrono::seconds{1}, std::chrono::seconds{900}, where());
    if (cfg_.timeout % std::chrono::seconds{1} != duration::zero()) {
      throw config_error("timeout", "a whole number of seconds in [1s, 900s]", esm::to_string(cfg_.timeout), where());
    }
    detail::check_range("memory_mb", cfg_.memory_mb, 128, 10240, where());
    if (cfg_.reserved_concurrency) {
      detail::check_range("reserved_concurrency", *cfg_.reserved_concurrency, 0, 1'000'000, where());
    }
    if (cfg_.cold_start) {
      detail::check_range<duration>("cold_start.keep_warm", cfg_.cold_start->keep_warm, duration::zero(),
                                    std::chrono::hours{24}, where());
    }
  }

  std::string timeout_text() const {
    // AWS prints e.g. "Task timed out after 3.00 seconds".
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(cfg_.timeout).count()) + ".00";
  }

  bool try_acquire() noexcept {
    if (cfg_.reserved_concurrency) {
      if (running_ >= *cfg_.reserved_concurrency) return false;
    } else if (!acct_.try_acquire_unreserved()) {
      return false;
    }
    ++running_;
    acct_.started();
    return true;
  }
  void release() noexcept {
    --running_;
    metrics_.concurrent_executions = running_;
    acct_.finished();
    if (!cfg_.reserved_concurrency) acct_.release_unreserved();
  }

  std::uint32_t allocate_flight() {
    if (free_flight_ != no_flight) {
      const auto i = free_flight_;
      free_flight_ = flights_[i].next_free;
      flights_[i].used = true;
      return i;
    }
    flights_.emplace_back();
    flights_.back().used = true;
    return static_cast<std::uint32_t>(flights_.size() - 1);
  }
  void free_flight(std::uint32_t i) noexcept {
    flights_[i].used = false;
    flights_[i].next_free = free_flight_;
    free_flight_ = i;
  }

  template <class Done>
  void schedule_completion(std::uint32_t index, time_point at, Done&& done) {
    flights_[index].timer =
        sim_.schedule_at(at, [this, index, cb = std::decay_t<Done>(std::forward<Done>(done))]() mutable {
          flight& f = flights_[index];
          const bool ran = f.result.kind != outcome::throttled;
          if (ran) {
            release();
            if (is_error(f.result.kind)) ++metrics_.errors;
            if (f.result.kind == outcome::timeout) ++metrics_.timeouts;
            metrics_.duration.add(f.result.run_time);
            if (cfg_.cold_start) warm_.push_back(sim_.now());
            sim_.trace().emit(sim_.now(), component_, "complete", [&] {
              return std::array{trace_field{"request_id", f.result.request_id()},
                                trace_field{"outcome", to_string(f.result.kind)},
                                trace_field{"duration", f.result.run_time}, trace_field{"concurrency", running_}};
            });
          }
          struct release_flight {
            function& fn;
            std::uint32_t i;
            ~release_flight() { fn.free_flight(i); }
          } guard{*this, index};
          std::invoke(cb, std::as_const(f.result));
        });
  }

  void make_request_id(std::array<char, 36>& out) noexcept {
    const std::uint64_t hi = id_rng_();
    const std::uint64_t lo = id_rng_();
    detail::format_uuid_v4(hi, lo, out);
  }

  account& acct_;
  simulation& sim_;
  function_config cfg_;
  std::string component_;
  random_stream rng_;
  random_stream id_rng_;
  int running_ = 0;
  function_metrics metrics_;
  std::deque<time_point> warm_; // idle environments, oldest first
  std::deque<flight> flights_;  // deque: stable while a completion callback invokes again
  std::vector<function_listener*> listeners_; // pollers that invoke it
  std::uint32_t free_flight_ = no_flight;
};

} // namespace esm
