#pragma once
/// \file esm/pollers/stream_poller.hpp
/// The stream event source mapping (spec §1, §2, §6): polls each shard of a Kinesis (or
/// DynamoDB) stream independently, cuts batches, invokes a function synchronously, retries,
/// bisects, honours partial batch responses, discards to an on-failure destination, follows
/// shard lineage and checkpoints.
///
/// ```cpp
/// esm::stream_poller poller{orders, fn, handler,
///                           esm::batching{.batch_size = 100, .window = 2s},
///                           esm::parallelization{.factor = 4},
///                           esm::stream_retry{.max_attempts = 3, .bisect_on_error = true},
///                           esm::on_failure{[&](const esm::stream_failure_record& r) { ... }}};
/// ```
/// Policies come in any order; each is found by the concept it satisfies, and a missing one gets
/// AWS's default. `esm::stream_options` carries the other mapping settings.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
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
#include <esm/detail/ring.hpp>
#include <esm/lambda/function.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/policies/batching.hpp>
#include <esm/policies/parallelization.hpp>
#include <esm/policies/retry.hpp>
#include <esm/policies/tumbling_window.hpp>
#include <esm/pollers/destination.hpp>
#include <esm/pollers/metrics.hpp>
#include <esm/pollers/record_filter.hpp>
#include <esm/sources/shard.hpp>

namespace esm {

/// Settings of a stream event source mapping that are not policies.
struct stream_options {
  /// `StartingPosition`: `trim_horizon()`, `latest()` or `at_timestamp(t)` (Kinesis only; not in
  /// the future). AWS requires it; esm defaults to TRIM_HORIZON, which AWS recommends.
  starting_position start = starting_position::trim_horizon();
  /// `FunctionResponseTypes = ["ReportBatchItemFailures"]`: honour partial batch responses.
  /// Default false: a returned `batch_response` is ignored (spec §2.5).
  bool report_batch_item_failures = false;
  /// `Enabled`. Default true.
  bool enabled = true;
  /// Name of the mapping in traces (`esm/<name>`). Default `esm`.
  std::string name = "esm";
};

/// A batch of stream records, as a handler receives it: records of one shard, in order. A view:
/// valid only during the handler's call.
template <class Record>
class stream_batch {
public:
  /// Iterates the records.
  class iterator {
  public:
    using value_type = Record;                  ///< a record
    using difference_type = std::ptrdiff_t;     ///< distance
    using reference = const Record&;            ///< what * gives
    using iterator_category = std::forward_iterator_tag; ///< forward
    iterator() = default;
    reference operator*() const noexcept { return (*batch_)[i_]; }
    const Record* operator->() const noexcept { return &(*batch_)[i_]; }
    iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    iterator operator++(int) noexcept {
      auto c = *this;
      ++i_;
      return c;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.i_ == b.i_; }

  private:
    friend class stream_batch;
    iterator(const stream_batch* b, std::size_t i) : batch_(b), i_(i) {}
    const stream_batch* batch_ = nullptr;
    std::size_t i_ = 0;
  };

  /// A view of `count` records whose positions are the front of `positions`.
  stream_batch(const stream_shard<Record>& shard, const detail::ring<std::uint64_t>& positions, std::size_t count,
               std::string_view stream_name) noexcept
      : shard_(&shard), positions_(&positions), count_(count), stream_name_(stream_name) {}

  /// Records in the batch.
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  /// True when empty (never, for a batch a handler receives).
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  /// The i-th record.
  [[nodiscard]] const Record& operator[](std::size_t i) const noexcept { return shard_->at((*positions_)[i]); }
  /// The first record.
  [[nodiscard]] const Record& front() const noexcept { return (*this)[0]; }
  /// The last record.
  [[nodiscard]] const Record& back() const noexcept { return (*this)[count_ - 1]; }
  /// Iteration.
  [[nodiscard]] iterator begin() const noexcept { return {this, 0}; }
  /// Iteration.
  [[nodiscard]] iterator end() const noexcept { return {this, count_}; }
  /// The shard the records come from.
  [[nodiscard]] const std::string& shard_id() const noexcept { return shard_->id(); }
  /// The stream's name.
  [[nodiscard]] std::string_view stream_name() const noexcept { return stream_name_; }

private:
  const stream_shard<Record>* shard_;
  const detail::ring<std::uint64_t>* positions_;
  std::size_t count_;
  std::string_view stream_name_;
};

namespace detail {

template <class P>
struct is_parallelization : std::bool_constant<parallelization_policy<P>> {};
template <class P>
struct is_stream_retry : std::bool_constant<stream_retry_policy<P>> {};
template <class P>
struct is_destination : std::bool_constant<failure_destination<P>> {};
template <class P>
struct is_stream_options : std::is_same<P, stream_options> {};
template <class P>
struct is_window : std::bool_constant<window_policy<P>> {};

} // namespace detail

/// An event source mapping from a stream to a function.
///
/// Template parameters: `Stream` (e.g. `esm::kinesis_stream<P>`), `Handler` (an
/// `esm::handler` of `esm::stream_batch<Stream::record_type>`), and `Policies...` in any order:
/// a `batching_policy` (default `esm::batching{}`: 100 records, no window), a
/// `parallelization_policy` (default factor 1), a `stream_retry_policy` (default: infinite
/// retries and age, no bisection, as AWS), a `failure_destination` (default none), a
/// `tumbling_window`, a filter (`esm::filter_criteria`, or a predicate `esm::record_filter`;
/// default none: filtered records are skipped and checkpointed past, spec §5), and
/// `esm::stream_options`. Each may appear once.
///
/// Lifetime: the stream and the function must outlive the poller. Not thread-safe.
template <class Stream, class Handler, class... Policies>
class stream_poller final : private stream_listener {
public:
  using record_type = typename Stream::record_type; ///< what the stream stores
  using batch_type = stream_batch<record_type>;     ///< what the handler receives
  using batching_type = typename detail::policy_type<detail::is_batching, batching, Policies...>::type;
  using parallelization_type = typename detail::policy_type<detail::is_parallelization, parallelization, Policies...>::type;
  using retry_type = typename detail::policy_type<detail::is_stream_retry, stream_retry, Policies...>::type;
  using destination_type = typename detail::policy_type<detail::is_destination, no_destination, Policies...>::type;
  using window_type = typename detail::policy_type<detail::is_window, tumbling_window, Policies...>::type;
  using filter_type = typename detail::policy_type<detail::is_record_filter, detail::keep_all, Policies...>::type;

  /// True for a tumbling-window handler: `window_response h(const batch&, const window_context&)`,
  /// optionally with a trailing `esm::invocation_context&`.
  static constexpr bool windowed_handler =
      std::is_invocable_r_v<window_response, Handler&, const batch_type&, const window_context&> ||
      std::is_invocable_r_v<window_response, Handler&, const batch_type&, const window_context&, invocation_context&>;

  static_assert(windowed_handler || handler<Handler, batch_type>,
                "esm::stream_poller: the handler must be callable as h(const esm::stream_batch<Record>&) or "
                "h(batch, esm::invocation_context&), returning void or esm::batch_response; or, with a "
                "tumbling_window, as h(batch, const esm::window_context&) returning esm::window_response");
  static_assert(!windowed_handler || detail::count_policies<detail::is_window, Policies...> == 1,
                "esm::stream_poller: a tumbling-window handler needs an esm::tumbling_window policy");
  static_assert(((detail::is_batching<Policies>::value + detail::is_parallelization<Policies>::value +
                      detail::is_stream_retry<Policies>::value + detail::is_destination<Policies>::value +
                      detail::is_stream_options<Policies>::value + detail::is_window<Policies>::value +
                      detail::is_record_filter<Policies>::value ==
                  1) &&
                 ...),
                "esm::stream_poller: every policy must be exactly one of batching, parallelization, stream_retry, "
                "an on_failure destination, a tumbling_window, a filter (filter_criteria, record_filter) or "
                "stream_options");
  static_assert(detail::count_policies<detail::is_batching, Policies...> <= 1, "esm::stream_poller: two batching policies");
  static_assert(detail::count_policies<detail::is_parallelization, Policies...> <= 1,
                "esm::stream_poller: two parallelization policies");
  static_assert(detail::count_policies<detail::is_stream_retry, Policies...> <= 1, "esm::stream_poller: two retry policies");
  static_assert(detail::count_policies<detail::is_destination, Policies...> <= 1,
                "esm::stream_poller: two on-failure destinations");
  static_assert(detail::count_policies<detail::is_stream_options, Policies...> <= 1,
                "esm::stream_poller: two stream_options");
  static_assert(detail::count_policies<detail::is_window, Policies...> <= 1, "esm::stream_poller: two tumbling windows");
  static_assert(detail::count_policies<detail::is_record_filter, Policies...> <= 1, "esm::stream_poller: two filters");
  static_assert(is_stream(Stream::kind), "esm::stream_poller reads Kinesis or DynamoDB streams");

  /// A mapping from `stream` to `fn` running `h`. Validates every parameter against AWS's ranges
  /// (`config_error`), registers with the stream, and starts polling if enabled.
  stream_poller(Stream& stream, function& fn, Handler h, Policies... policies)
      : stream_(stream), fn_(fn), sim_(stream.sim()), handler_(std::move(h)), policies_(std::move(policies)...),
        filter_(stream, pick<detail::is_record_filter>(default_filter_),
                std::string{"a "} + to_string(Stream::kind) + " event source mapping") {
    batching_type& b = batching_policy_ref();
    b.validate(Stream::kind);
    parallelization_policy_ref().validate();
    retry_policy_ref().validate();
    window_ref().validate();
    window_size_ = window_ref().tumbling_window_size();
    if (windowed_handler && window_size_ == duration::zero()) {
      throw config_error("tumbling_window", "(0s, 900s] for a tumbling-window handler", "0s",
                         "a stream event source mapping");
    }
    if (!windowed_handler && window_size_ > duration::zero()) {
      throw config_error("tumbling_window", "0s unless the handler takes an esm::window_context",
                         esm::to_string(window_size_), "a stream event source mapping");
    }
    const stream_options& o = options();
    if (o.start.type != iterator_type::trim_horizon && o.start.type != iterator_type::latest &&
        o.start.type != iterator_type::at_timestamp) {
      throw config_error("start", "trim_horizon, latest or at_timestamp", "another iterator type",
                         "a stream event source mapping");
    }
    if (o.start.type == iterator_type::at_timestamp) {
      if (Stream::kind == source_kind::dynamodb) {
        throw config_error("start", "trim_horizon or latest", "at_timestamp", "a dynamodb event source mapping");
      }
      if (o.start.timestamp > sim_.now()) {
        throw config_error("start.timestamp", "not in the future (<= " + esm::to_string(sim_.now()) + ")",
                           esm::to_string(o.start.timestamp), "a kinesis event source mapping");
      }
    }
    batch_size_ = static_cast<std::size_t>(b.effective_batch_size(Stream::kind));
    window_ = b.effective_window(Stream::kind);
    lanes_per_shard_ = parallelization_policy_ref().lanes();
    lane_buffer_cap_ = std::max<std::size_t>(10'000, 2 * batch_size_);
    component_ = "esm/" + o.name;
    enabled_ = o.enabled;
    reader_ = stream_.register_reader();
    stream_.add_listener(this);
    created_ = sim_.now();
    discover_shards(true);
    if (enabled_) {
      for (std::uint32_t i = 0; i < shards_.size(); ++i) pump(i);
    }
  }

  stream_poller(const stream_poller&) = delete;
  stream_poller& operator=(const stream_poller&) = delete;

  /// Stops listening, cancels timers; invocations in flight complete without effect.
  ~stream_poller() {
    stream_.remove_listener(this);
    stream_.unregister_reader(reader_);
    for (auto& s : shards_) {
      sim_.cancel(s.poll_timer);
      for (auto& l : s.lanes) sim_.cancel(l.timer);
    }
  }

  /// Cumulative metrics (spec §6).
  [[nodiscard]] const esm_metrics& metrics() const noexcept { return metrics_; }
  /// `State`.
  [[nodiscard]] esm_state state() const noexcept { return enabled_ ? esm_state::enabled : esm_state::disabled; }
  /// `LastProcessingResult`: `No records processed`, `OK` or `PROBLEM: Function call failed`.
  [[nodiscard]] std::string_view last_processing_result() const noexcept { return last_result_; }
  /// The batch size in effect.
  [[nodiscard]] std::size_t batch_size() const noexcept { return batch_size_; }

  /// The checkpoint of a shard: the position of the first record not yet processed (every
  /// record before it was processed, discarded or expired).
  [[nodiscard]] std::uint64_t checkpoint(std::uint32_t shard_ordinal) const noexcept {
    return shard_checkpoint(shards_[shard_ordinal]);
  }

  /// Resumes polling from the checkpoints (`Enabled = true`).
  void enable() {
    if (enabled_) return;
    enabled_ = true;
    for (std::uint32_t i = 0; i < shards_.size(); ++i) pump(i);
  }
  /// Pauses polling and invocation (`Enabled = false`). Invocations in flight complete and are
  /// checkpointed; nothing new starts until `enable()`.
  void disable() {
    if (!enabled_) return;
    enabled_ = false;
    for (auto& s : shards_) {
      sim_.cancel(s.poll_timer);
      s.poll_scheduled = false;
      for (auto& l : s.lanes) {
        if (sim_.cancel(l.timer)) l.timer_kind = lane_timer::none;
      }
    }
  }

private:
  enum class shard_status : std::uint8_t { waiting_parents, active, finished };
  enum class lane_timer : std::uint8_t { none, window, backoff, window_end };

  struct lane_state {
    detail::ring<std::uint64_t> pending; // positions assigned and not finished, oldest first
    std::size_t current = 0;             // records of the batch being worked on (front of pending)
    struct pending_half {
      std::size_t size;   // records
      int invokes;        // invocations its records already had (as part of the split batch)
    };
    std::vector<pending_half> splits;    // second halves waiting, innermost last
    int retries = 0;                     // retries used by the current batch
    int invokes = 0;                     // invocations of the current records (approximate invoke count)
    bool in_flight = false;
    lane_timer timer_kind = lane_timer::none;
    timer_id timer{};
    time_point window_start{};
    std::string last_request_id;
    std::optional<failure_response_context> last_response;
    // Tumbling window (spec §2.7).
    bool win_active = false;      // a window has started and had no successful final invoke
    time_point win_start{};       // its start
    std::string win_state;        // the state returned by its last successful invoke
    bool win_early = false;       // the next invoke says isWindowTerminatedEarly
    bool win_final = false;       // the batch in flight is the window's final invoke
    std::optional<std::string> win_returned; // what the handler in flight returned as state
  };
  struct shard_state {
    std::uint32_t ordinal = 0;
    shard_status status = shard_status::waiting_parents;
    std::uint64_t read_pos = 0;
    std::vector<lane_state> lanes;
    timer_id poll_timer{};
    bool poll_scheduled = false; // poll_timer is pending (cheaper to test on every put)
    int in_flight = 0;           // lanes with an invocation in flight
    time_point last_poll{};
  };

  // --- policies -------------------------------------------------------------------------------
  batching_type& batching_policy_ref() { return pick<detail::is_batching>(default_batching_); }
  parallelization_type& parallelization_policy_ref() { return pick<detail::is_parallelization>(default_parallel_); }
  retry_type& retry_policy_ref() { return pick<detail::is_stream_retry>(default_retry_); }
  destination_type& destination_ref() { return pick<detail::is_destination>(default_destination_); }
  const stream_options& options() { return pick<detail::is_stream_options>(default_options_); }
  window_type& window_ref() { return pick<detail::is_window>(default_window_); }
  template <template <class> class Pred, class Default>
  decltype(auto) pick(Default& fallback) {
    return std::apply([&](auto&... ps) -> decltype(auto) { return detail::pick_policy<Pred>(fallback, ps...); },
                      policies_);
  }
  static constexpr bool has_destination = !std::is_same_v<destination_type, no_destination>;

  // --- shards ---------------------------------------------------------------------------------
  void discover_shards(bool initial) {
    while (shards_.size() < stream_.shard_count()) {
      const auto ordinal = static_cast<std::uint32_t>(shards_.size());
      const auto& sh = stream_.shard_at(ordinal);
      shard_state st;
      st.ordinal = ordinal;
      st.lanes.resize(lanes_per_shard_);
      for (auto& l : st.lanes) l.window_start = sim_.now();
      st.last_poll = created_;
      // Shards that exist when the mapping starts begin at its starting position; shards created
      // later by resharding are read from their start.
      st.read_pos = initial ? sh.start_of(options().start) : sh.begin_position();
      st.status = parents_finished(sh) ? shard_status::active : shard_status::waiting_parents;
      shards_.push_back(std::move(st));
      if (shards_.back().status == shard_status::active) check_finished(ordinal);
    }
  }

  bool parents_finished(const stream_shard<record_type>& sh) const {
    for (const auto p : sh.parents()) {
      if (p >= shards_.size() || shards_[p].status != shard_status::finished) return false;
    }
    return true;
  }

  std::uint64_t shard_checkpoint(const shard_state& s) const noexcept {
    std::uint64_t cp = s.read_pos;
    for (const auto& l : s.lanes)
      if (!l.pending.empty()) cp = std::min(cp, l.pending.front());
    return cp;
  }

  // A shard is finished when it is closed and every record was read and finished; then its
  // children may start (lineage: parents before children, spec §2.8).
  void check_finished(std::uint32_t ordinal) {
    shard_state& s = shards_[ordinal];
    if (s.status != shard_status::active) return;
    const auto& sh = stream_.shard_at(ordinal);
    if (!sh.closed() || s.read_pos < sh.end_position()) return;
    for (const auto& l : s.lanes)
      if (!l.pending.empty() || l.in_flight || l.win_active) return;
    s.status = shard_status::finished;
    trace("shard_finished", ordinal);
    for (const auto child : sh.children()) {
      if (child < shards_.size() && shards_[child].status == shard_status::waiting_parents &&
          parents_finished(stream_.shard_at(child))) {
        shards_[child].status = shard_status::active;
        pump(child);
      }
    }
  }

  // --- stream notifications -------------------------------------------------------------------
  void on_records(std::uint32_t ordinal) override {
    if (ordinal >= shards_.size()) return;
    shard_state& s = shards_[ordinal];
    if (s.poll_scheduled || s.in_flight > 0 || !enabled_ || s.status != shard_status::active) return;
    // The next of the shard's regular polls (every poll_interval since the last one) sees it.
    const duration since = sim_.now() - s.last_poll;
    const auto ticks = (since.count() + Stream::poll_interval.count() - 1) / Stream::poll_interval.count();
    const time_point at = s.last_poll + Stream::poll_interval * ticks;
    s.poll_scheduled = true;
    s.poll_timer = sim_.schedule_at(at, [this, ordinal] {
      shards_[ordinal].poll_scheduled = false;
      pump(ordinal);
    });
  }
  void on_shard_closed(std::uint32_t ordinal) override {
    discover_shards(false);
    if (ordinal < shards_.size()) pump(ordinal);
  }

  // --- polling and dispatch -------------------------------------------------------------------
  void pump(std::uint32_t ordinal) {
    if (!enabled_) return;
    shard_state& s = shards_[ordinal];
    if (s.status != shard_status::active) return;
    read(s);
    for (std::uint32_t i = 0; i < s.lanes.size(); ++i) dispatch(ordinal, i);
    check_finished(ordinal);
  }

  void read(shard_state& s) {
    auto& sh = stream_.shard_at(s.ordinal);
    stream_.trim(sh);
    s.last_poll = sim_.now();
    if (s.read_pos < sh.begin_position()) s.read_pos = sh.begin_position(); // expired before it was read
    if (s.read_pos >= sh.end_position()) return; // nothing new: no GetRecords call needed
    // GetRecords on a shard is limited for all its readers together (Kinesis: 5 calls and 2 MB
    // per second, spec §8): too soon after the last call, the lanes work from what they hold and
    // the shard is read when allowed.
    if constexpr (Stream::min_read_interval > duration::zero()) {
      if (sim_.now() < sh.next_read_allowed()) {
        if (!s.poll_scheduled) {
          const std::uint32_t ordinal = s.ordinal;
          s.poll_scheduled = true;
          s.poll_timer = sim_.schedule_at(sh.next_read_allowed(), [this, ordinal] {
            shards_[ordinal].poll_scheduled = false;
            pump(ordinal);
          });
        }
        return;
      }
    }
    const std::uint64_t start = s.read_pos;
    const std::uint64_t end = std::min<std::uint64_t>(sh.end_position(), start + Stream::max_get_records);
    const auto& par = parallelization_policy_ref();
    std::size_t bytes = 0;
    std::size_t filtered = 0;
    while (s.read_pos < end) {
      const auto& rec = sh.at(s.read_pos);
      if constexpr (Stream::max_get_records_bytes > 0) {
        const std::size_t b = rec.bytes();
        if (s.read_pos > start && bytes + b > Stream::max_get_records_bytes) break; // 10 MB per call
        bytes += b;
      }
      if constexpr (decltype(filter_)::active) {
        // FilterCriteria (§5): a record no filter keeps is consumed here; the checkpoint moves
        // past it once the records before it are done.
        if (!filter_.keeps(rec, sh.id())) {
          ++metrics_.filtered_out_event_count;
          ++filtered;
          ++s.read_pos;
          continue;
        }
      }
      lane_state& l = s.lanes[lanes_per_shard_ == 1 ? 0 : par.lane_of(rec.ordering_key())];
      if (l.pending.size() >= lane_buffer_cap_) break; // a blocked lane eventually stops the shard
      l.pending.push_back(s.read_pos);
      ++s.read_pos;
    }
    if constexpr (Stream::min_read_interval > duration::zero()) {
      sh.note_read(sim_.now(), bytes, Stream::min_read_interval, Stream::max_read_bytes_per_second);
    }
    const auto n = s.read_pos - start;
    metrics_.polled_event_count += n;
    if (n > 0 || sim_.trace().active()) trace("poll", s.ordinal, {{"records", n}, {"filtered", filtered}});
    if (filtered > 0) stream_.checkpoint(reader_, s.ordinal, shard_checkpoint(s));
  }

  // Drops positions that retention removed while they waited in a lane.
  void drop_expired(const stream_shard<record_type>& sh, lane_state& l) {
    std::size_t n = 0;
    while (n < l.pending.size() && l.pending[n] < sh.begin_position()) ++n;
    if (n == 0) return;
    l.pending.pop_front(n);
    l.current = l.current > n ? l.current - n : 0;
    metrics_.expired_event_count += n;
  }

  void dispatch(std::uint32_t ordinal, std::uint32_t li) {
    shard_state& s = shards_[ordinal];
    lane_state& l = s.lanes[li];
    if (!enabled_ || l.in_flight) return;
    if (l.timer_kind == lane_timer::backoff) return;
    const auto& sh = stream_.shard_at(ordinal);
    drop_expired(sh, l);
    for (;;) {
      if (l.current == 0) {
        if (!l.splits.empty()) {
          l.current = l.splits.back().size;
          l.invokes = l.splits.back().invokes;
          l.splits.pop_back();
          l.retries = 0;
        } else {
          if (window_size_ > duration::zero() && !start_window(ordinal, li)) return;
          const auto [n, full] = cut(sh, l);
          if (window_size_ > duration::zero()) {
            l.win_final = window_complete(s, sh, l, n);
            if (n == 0 && !l.win_final) return;
          } else if (n == 0) {
            return;
          }
          if (!full && !l.win_final && window_ > duration::zero() && sim_.now() < l.window_start + window_) {
            if (l.timer_kind != lane_timer::window) {
              l.timer_kind = lane_timer::window;
              l.timer = sim_.schedule_at(l.window_start + window_, [this, ordinal, li] {
                shards_[ordinal].lanes[li].timer_kind = lane_timer::none;
                pump(ordinal);
              });
            }
            return;
          }
          if (l.timer_kind == lane_timer::window) {
            sim_.cancel(l.timer);
            l.timer_kind = lane_timer::none;
          }
          l.current = n;
          l.retries = 0;
          l.invokes = 0;
          trace("batch", ordinal, {{"lane", li}, {"records", n}});
          if (n == 0) { // the final invoke of a window whose records were all sent already
            invoke(ordinal, li);
            return;
          }
        }
      }
      // MaximumRecordAgeInSeconds: records too old to send are discarded, oldest first.
      std::size_t old = 0;
      const time_point now = sim_.now();
      while (old < l.current && retry_policy_ref().too_old(sh.at(l.pending[old]).arrival, now)) ++old;
      if (old > 0) {
        discard(ordinal, li, old, discard_condition::record_age_exceeded);
        if (l.current == 0) continue;
      }
      invoke(ordinal, li);
      return;
    }
  }

  // --- tumbling windows (spec §2.7) -------------------------------------------------------------

  // The start of the window holding `t`: windows are aligned on multiples of their length in
  // Unix time (as AWS's `window.start` values are), through the simulation's wall epoch.
  time_point window_of(time_point t) const noexcept {
    const auto w = window_size_.count();
    const auto offset = sim_.epoch().start.time_since_epoch().count() % w;
    const auto x = (t.time_since_epoch().count() + offset) % w;
    return t - duration{x};
  }

  // A shard that is closed and fully read ends its window (resharding closes a window).
  bool shard_drained(const shard_state& s, const stream_shard<record_type>& sh) const noexcept {
    return sh.closed() && s.read_pos >= sh.end_position();
  }

  // Picks the window of the lane's next batch. Returns false when nothing is to be sent now; a
  // window whose records were all sent gets its final invoke (with no records) when it ends.
  bool start_window(std::uint32_t ordinal, std::uint32_t li) {
    shard_state& s = shards_[ordinal];
    lane_state& l = s.lanes[li];
    const auto& sh = stream_.shard_at(ordinal);
    const bool next_in_active =
        l.win_active && !l.pending.empty() && window_of(sh.at(l.pending[0]).arrival) == l.win_start;
    if (next_in_active) return true;
    if (l.win_active) {
      // No record of the active window is pending: its final invoke, once it has ended.
      const time_point end = l.win_start + window_size_;
      if (l.pending.empty() && sim_.now() < end && !shard_drained(s, sh)) {
        if (l.timer_kind != lane_timer::window_end) {
          if (l.timer_kind == lane_timer::window) sim_.cancel(l.timer);
          l.timer_kind = lane_timer::window_end;
          l.timer = sim_.schedule_at(end, [this, ordinal, li] {
            shards_[ordinal].lanes[li].timer_kind = lane_timer::none;
            pump(ordinal);
          });
        }
        return false;
      }
      return true; // cut() takes no record of another window: a final invoke with none
    }
    if (l.pending.empty()) return false;
    l.win_active = true;
    l.win_start = window_of(sh.at(l.pending[0]).arrival);
    l.win_state.clear();
    l.win_early = false;
    return true;
  }

  // Whether a batch of the lane's first n records ends its window: the window is over (or the
  // shard is drained) and no record of the window remains unsent or unread.
  bool window_complete(const shard_state& s, const stream_shard<record_type>& sh, const lane_state& l,
                       std::size_t n) const {
    const time_point end = l.win_start + window_size_;
    if (sim_.now() < end && !shard_drained(s, sh)) return false;
    if (n < l.pending.size() && window_of(sh.at(l.pending[n]).arrival) == l.win_start) return false;
    return s.read_pos >= sh.end_position() || sh.at(s.read_pos).arrival >= end;
  }

  // How many records of the lane's pending front make the next batch, and whether the batch is
  // full (size or payload) so the window need not be waited for.
  std::pair<std::size_t, bool> cut(const stream_shard<record_type>& sh, const lane_state& l) const {
    std::size_t n = 0;
    std::size_t bytes = 0;
    const std::size_t limit = std::min(batch_size_, l.pending.size());
    while (n < limit) {
      if (window_size_ > duration::zero() && window_of(sh.at(l.pending[n]).arrival) != l.win_start) return {n, true};
      const std::size_t b = sh.at(l.pending[n]).bytes();
      if (n > 0 && bytes + b > max_invoke_payload_bytes) return {n, true};
      bytes += b;
      ++n;
    }
    return {n, n == batch_size_};
  }

  void invoke(std::uint32_t ordinal, std::uint32_t li) {
    shard_state& s = shards_[ordinal];
    lane_state& l = s.lanes[li];
    const auto& sh = stream_.shard_at(ordinal);
    batch_type batch{sh, l.pending, l.current, stream_.name()};
    l.in_flight = true;
    ++s.in_flight;
    ++metrics_.batches;
    metrics_.max_concurrency = std::max(metrics_.max_concurrency, ++metrics_.concurrency);
    const time_point now = sim_.now();
    const duration age = l.current == 0 ? duration::zero() : now - batch.back().arrival;
    trace("invoke", ordinal, {{"lane", li}, {"records", l.current}, {"attempt", l.retries + 1}, {"iterator_age", age}});
    auto done = [this, alive = std::weak_ptr<char>(alive_), ordinal, li](const invocation_result& r) {
      if (!alive.expired()) complete(ordinal, li, r);
    };
    const invoke_options opts{.attempt = l.retries + 1, .items = l.current};
    bool started = false;
    if constexpr (windowed_handler) {
      // The function runs this adapter at once: it hands the window to the handler and keeps the
      // returned state for the completion.
      l.win_returned.reset();
      const window_context w{l.win_start, l.win_start + window_size_, l.win_state, l.win_final, l.win_early, sh.id()};
      auto adapter = [this, &l, &w](const batch_type& b, invocation_context& ctx) -> batch_response {
        window_response r;
        if constexpr (std::is_invocable_r_v<window_response, Handler&, const batch_type&, const window_context&,
                                            invocation_context&>) {
          r = handler_(b, w, ctx);
        } else {
          r = handler_(b, w);
        }
        l.win_returned = std::move(r.state);
        return batch_response{std::move(r.batch_item_failures)};
      };
      started = fn_.invoke(batch, adapter, std::move(done), opts);
    } else {
      started = fn_.invoke(batch, handler_, std::move(done), opts);
    }
    if (started && l.current > 0) {
      metrics_.invoked_event_count += l.current;
      metrics_.iterator_age = age;
      metrics_.max_iterator_age = std::max(metrics_.max_iterator_age, age);
    }
  }

  void complete(std::uint32_t ordinal, std::uint32_t li, const invocation_result& r) {
    shard_state& s = shards_[ordinal];
    lane_state& l = s.lanes[li];
    l.in_flight = false;
    --s.in_flight;
    --metrics_.concurrency;
    if (r.kind == outcome::throttled) {
      // Throttles never reach the function and use no retry attempt (spec §2.2).
      ++metrics_.throttles;
      metrics_.failed_invoke_event_count += l.current;
      trace("throttled", ordinal, {{"lane", li}, {"records", l.current}});
      l.timer_kind = lane_timer::backoff;
      l.timer = sim_.schedule_after(retry_policy_ref().throttle_backoff, [this, ordinal, li] {
        shards_[ordinal].lanes[li].timer_kind = lane_timer::none;
        pump(ordinal);
      });
      return;
    }
    // Retention may have removed some of the batch's records while it was in flight.
    const std::size_t sent = l.current;
    drop_expired(stream_.shard_at(ordinal), l);
    if (sent > 0 && l.current == 0) {
      pump(ordinal);
      return;
    }
    ++l.invokes;
    l.last_request_id.assign(r.request_id());
    l.last_response = failure_response_context{200, "$LATEST", is_error(r.kind) ? "Unhandled" : ""};
    std::size_t failed_from = l.current; // index of the first record to retry; current = none
    bool failed = is_error(r.kind);
    if (window_size_ > duration::zero() && !failed) {
      if (!l.win_returned) {
        failed = true; // a tumbling-window response without state is a failure (§2.7)
      } else if (l.win_returned->size() > tumbling_window::max_state_bytes) {
        l.win_state.clear(); // over 1 MB: the window ends early; the next invoke starts fresh
        l.win_early = true;
      } else {
        l.win_state = std::move(*l.win_returned);
        l.win_early = false;
      }
    }
    if (failed) {
      failed_from = 0;
    } else if (r.kind == outcome::partial && options().report_batch_item_failures) {
      failed_from = lowest_failed(ordinal, l, *r.response);
    }
    if (failed_from == l.current && l.win_final) {
      l.win_active = false; // the final invoke succeeded: checkpoint and drop the state
      l.win_state.clear();
      l.win_final = false;
      l.win_early = false;
    }
    if (failed_from == l.current) {
      succeed(ordinal, li, l.current);
    } else {
      metrics_.failed_invoke_event_count += l.current - failed_from;
      if (failed_from > 0) succeed(ordinal, li, failed_from); // before the lowest failure: checkpointed
      fail(ordinal, li, is_error(r.kind));
    }
    pump(ordinal);
  }

  // The index in the current batch of the lowest reported failure; 0 (whole batch) when an
  // identifier is null, empty or not in the batch; current (success) for an empty list (§2.5).
  std::size_t lowest_failed(std::uint32_t ordinal, const lane_state& l, const batch_response& resp) const {
    if (resp.batch_item_failures.empty()) return l.current;
    const auto& sh = stream_.shard_at(ordinal);
    std::size_t lowest = l.current;
    for (const auto& f : resp.batch_item_failures) {
      if (!f.item_identifier || f.item_identifier->empty()) return 0;
      const auto seq = Stream::parse_sequence(*f.item_identifier);
      if (!seq) return 0;
      // Records of a lane are in increasing sequence order: binary search.
      std::size_t lo = 0, hi = l.current;
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (sh.at(l.pending[mid]).sequence < *seq) lo = mid + 1; else hi = mid;
      }
      if (lo == l.current || sh.at(l.pending[lo]).sequence != *seq) return 0; // not in the batch
      lowest = std::min(lowest, lo);
    }
    return lowest;
  }

  void succeed(std::uint32_t ordinal, std::uint32_t li, std::size_t n) {
    lane_state& l = shards_[ordinal].lanes[li];
    l.pending.pop_front(n);
    l.current -= n;
    metrics_.processed_event_count += n;
    last_result_ = "OK";
    if (l.current == 0) {
      l.retries = 0;
      l.invokes = 0;
      l.window_start = sim_.now();
    }
    stream_.checkpoint(reader_, ordinal, shard_checkpoint(shards_[ordinal]));
  }

  // The records [0, current) failed: bisect, retry or discard them (spec §2.3, §2.4).
  void fail(std::uint32_t ordinal, std::uint32_t li, bool function_error) {
    lane_state& l = shards_[ordinal].lanes[li];
    last_result_ = "PROBLEM: Function call failed";
    if (function_error && retry_policy_ref().bisect_on_error && l.current > 1 && window_size_ == duration::zero()) {
      const std::size_t first = (l.current + 1) / 2;
      // Both halves keep the invocations their records had: approximateInvokeCount of a
      // discarded half counts its records' invocations in the batches it was split from.
      l.splits.push_back({l.current - first, l.invokes});
      l.current = first;
      l.retries = 0;
      ++metrics_.bisections;
      trace("bisect", ordinal, {{"lane", li}, {"first", first}, {"second", l.splits.back().size}});
      return;
    }
    if (retry_policy_ref().may_retry(l.retries)) {
      ++l.retries;
      ++metrics_.retries;
      trace("retry", ordinal, {{"lane", li}, {"records", l.current}, {"retry", l.retries}});
      return;
    }
    if (l.current == 0) { // a window's final invoke with no records ran out of retries: the window ends
      l.win_active = false;
      l.win_state.clear();
      l.win_final = false;
      l.retries = 0;
      trace("drop", ordinal, {{"lane", li}, {"records", 0}, {"condition", std::string_view{"RetryAttemptsExhausted"}}});
      return;
    }
    discard(ordinal, li, l.current, discard_condition::retry_attempts_exhausted);
  }

  // Discards the first n records of the lane (n ≤ current): to the destination, or dropped.
  void discard(std::uint32_t ordinal, std::uint32_t li, std::size_t n, discard_condition why) {
    shard_state& s = shards_[ordinal];
    lane_state& l = s.lanes[li];
    const auto& sh = stream_.shard_at(ordinal);
    bool delivered = false;
    if constexpr (has_destination) {
      const auto& first = sh.at(l.pending[0]);
      const auto& last = sh.at(l.pending[n - 1]);
      stream_failure_record rec{
          sim_.now(),
          why,
          l.invokes,
          l.last_request_id,
          fn_.name(),
          l.invokes > 0 ? l.last_response : std::nullopt,
          Stream::kind,
          stream_batch_info{sh.id(), Stream::sequence_text(first.sequence), Stream::sequence_text(last.sequence),
                            first.arrival, last.arrival, n, stream_.arn()}};
      try {
        delivered = destination_ref().send(rec);
      } catch (...) {
        delivered = false; // a destination that throws failed to deliver; it never stops the mapping
      }
      if (!delivered) ++metrics_.destination_delivery_failures;
    }
    if (delivered) {
      metrics_.on_failure_destination_delivered_event_count += n;
    } else {
      metrics_.dropped_event_count += n;
    }
    trace("drop", ordinal,
          {{"lane", li}, {"records", n}, {"condition", std::string_view{to_string(why)}}, {"delivered", delivered}});
    l.pending.pop_front(n);
    l.current -= n;
    if (l.current == 0) {
      l.retries = 0;
      l.invokes = 0;
      l.window_start = sim_.now();
    }
    stream_.checkpoint(reader_, ordinal, shard_checkpoint(s));
  }

  void trace(std::string_view kind, std::uint32_t ordinal, std::initializer_list<trace_field> extra = {}) {
    auto& tr = sim_.trace();
    if (!tr.active()) return;
    std::vector<trace_field> fields;
    fields.reserve(extra.size() + 1);
    fields.emplace_back("shard", std::string_view{stream_.shard_at(ordinal).id()});
    fields.insert(fields.end(), extra.begin(), extra.end());
    tr.emit(sim_.now(), component_, kind, [&] { return std::span<const trace_field>{fields}; });
  }

  Stream& stream_;
  function& fn_;
  simulation& sim_;
  Handler handler_;
  std::tuple<Policies...> policies_;
  batching default_batching_{};
  parallelization default_parallel_{};
  stream_retry default_retry_{};
  no_destination default_destination_{};
  stream_options default_options_{};
  tumbling_window default_window_{};
  detail::keep_all default_filter_{};
  detail::poller_filter<Stream, filter_type> filter_;
  duration window_size_{}; // tumbling window length, 0 = off
  std::size_t batch_size_ = 100;
  duration window_{};
  std::size_t lanes_per_shard_ = 1;
  std::size_t lane_buffer_cap_ = 10'000;
  std::string component_;
  bool enabled_ = true;
  time_point created_{};
  reader_id reader_{};
  std::deque<shard_state> shards_; // deque: stable while a handler reshards the stream
  esm_metrics metrics_;
  std::string_view last_result_ = "No records processed";
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

template <class Stream, class Handler, class... Policies>
stream_poller(Stream&, function&, Handler, Policies...) -> stream_poller<Stream, Handler, Policies...>;

} // namespace esm
