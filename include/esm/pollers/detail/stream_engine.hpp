#pragma once
/// \file esm/pollers/detail/stream_engine.hpp
/// The state machine of a stream event source mapping, once per stream type: shards and their
/// lineage, lanes, reading, batch cuts, invocation, partial responses, retries, bisection,
/// discards, checkpoints and tumbling windows. The facade `esm::stream_poller` owns the policies
/// and the handler and reaches the engine's decisions through `stream_hooks`: one indirect call
/// per decision or invocation, never per record. The per-record work (reading, filtering, the
/// lane of a key) runs in `read_range`, which the facade instantiates with its own filter and
/// parallelization types.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
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
#include <esm/detail/ring.hpp>
#include <esm/lambda/function.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/policies/batching.hpp>
#include <esm/policies/retry.hpp>
#include <esm/policies/throttle.hpp>
#include <esm/policies/tumbling_window.hpp>
#include <esm/pollers/destination.hpp>
#include <esm/pollers/detail/bisect_stack.hpp>
#include <esm/pollers/detail/lifeline.hpp>
#include <esm/pollers/detail/window_state.hpp>
#include <esm/pollers/mapping_identity.hpp>
#include <esm/pollers/metrics.hpp>
#include <esm/pollers/stream_batch.hpp>
#include <esm/sources/event_size.hpp>
#include <esm/sources/shard.hpp>

namespace esm::detail {

/// What a windowed handler's adapter reads and writes during its call.
struct window_io {
  const window_context* in = nullptr;          ///< the window the batch belongs to
  std::optional<std::string>* state_out = nullptr; ///< where the returned state goes
};

/// The handler as the engine calls it: one indirect call per invocation.
template <class Batch>
struct handler_ref {
  void* self = nullptr;
  batch_response (*call)(void*, Batch&, invocation_context&, const window_io&) = nullptr;
  window_io window{};
  batch_response operator()(Batch& b, invocation_context& ctx) const { return call(self, b, ctx, window); }
};

template <class Stream>
class stream_engine;

/// The facade's side of a stream engine: its policies and handler, as function pointers on
/// `self` (the facade), each called once per decision or invocation.
template <class Stream>
struct stream_hooks {
  using batch_type = stream_batch<typename Stream::record_type>;
  void* self = nullptr;
  batch_decision (*decide)(void*, const batch_candidate&) = nullptr;
  retry_decision (*on_failure)(void*, const stream_failure&) = nullptr;
  std::optional<duration> (*on_throttle)(void*, const throttle_event&) = nullptr;
  /// Sends an invocation record with the discarded records; null: no destination.
  bool (*deliver)(void*, const stream_failure_record&, const batch_type&) = nullptr;
  /// Reads records [read position, end) of a shard into its lanes (the facade's filter and
  /// lanes, inlined): calls `stream_engine::read_range`.
  void (*read)(void*, stream_engine<Stream>&, std::uint32_t ordinal, std::uint64_t end) = nullptr;
  batch_response (*call)(void*, batch_type&, invocation_context&, const window_io&) = nullptr;
  /// The function or the stream was destroyed (the reason says which): the engine stopped.
  void (*lost)(void*, std::string_view reason) noexcept = nullptr;
};

/// The settings of a stream engine that `update()` can change.
struct stream_settings {
  batch_limits limits{};                   ///< from the batching policy
  std::optional<duration> max_record_age{}; ///< from the retry policy
  duration window_size{};                  ///< tumbling window length (0 = off)
  std::size_t lanes = 1;                   ///< lanes per shard (ParallelizationFactor)
  bool report_batch_item_failures = false; ///< FunctionResponseTypes
};

template <class Stream>
class stream_engine final : private stream_listener, private function_listener {
public:
  using record_type = typename Stream::record_type;
  using batch_type = stream_batch<record_type>;

  stream_engine(Stream& stream, function& fn, stream_hooks<Stream> hooks, stream_settings settings,
                const stream_options& options)
      : stream_(stream), fn_(&fn), sim_(stream.sim()), hooks_(hooks), settings_(settings), sizes_(stream),
        start_(options.start.value_or(starting_position::trim_horizon())),
        identity_(mapping_identity::next(stream.sim(), stream.arn())), component_("esm/" + options.name),
        start_enabled_(options.enabled), source_arn_(stream.arn()), function_name_(fn.name()),
        life_(lifeline<stream_engine>::make(this)) {
    lane_buffer_cap_ = std::max<std::size_t>(10'000, 2 * settings_.limits.max_records);
    reader_ = stream_.register_reader();
    stream_.add_listener(this);
    fn_->add_listener(this);
  }
  stream_engine(const stream_engine&) = delete;
  stream_engine& operator=(const stream_engine&) = delete;

  /// Stops listening, cancels timers; invocations in flight complete without effect.
  ~stream_engine() {
    stop();
    if (source_alive_) {
      stream_.remove_listener(this);
      stream_.unregister_reader(reader_);
    }
    if (fn_ != nullptr) fn_->remove_listener(this);
  }

  /// Discovers the shards and starts polling if created enabled: when the mapping's `Creating`
  /// ends (a LATEST position is the end of each shard at this instant). Before, it reads nothing.
  void start() {
    started_ = true;
    created_ = sim_.now();
    discover_shards(true);
    enabled_ = start_enabled_;
    if (enabled_) {
      for (std::uint32_t i = 0; i < shards_.size(); ++i) pump(i);
    }
  }

  [[nodiscard]] const esm_metrics& metrics() const noexcept { return metrics_; }
  [[nodiscard]] const mapping_identity& identity() const noexcept { return identity_; }
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }
  [[nodiscard]] std::string_view last_processing_result() const noexcept { return last_result_; }
  [[nodiscard]] const stream_settings& settings() const noexcept { return settings_; }
  [[nodiscard]] const starting_position& start_position() const noexcept { return start_; }
  /// The function invoked; only while `lost()` is empty.
  [[nodiscard]] function& target() const noexcept { return *fn_; }
  /// `FunctionName` (kept when the function is destroyed).
  [[nodiscard]] const std::string& function_name() const noexcept { return function_name_; }
  /// `EventSourceArn` (kept when the stream is destroyed).
  [[nodiscard]] const std::string& source_arn() const noexcept { return source_arn_; }
  /// Why the engine stopped for good (its function or stream was destroyed); empty while not.
  [[nodiscard]] std::string_view lost() const noexcept { return lost_; }
  /// The shard's checkpoint; 0 (nothing consumed) for a shard the engine has not discovered yet.
  [[nodiscard]] std::uint64_t checkpoint(std::uint32_t shard_ordinal) const noexcept {
    return shard_ordinal < shards_.size() ? shard_checkpoint(shards_[shard_ordinal]) : 0;
  }

  void enable() {
    if (enabled_ || !lost_.empty()) return;
    enabled_ = true;
    for (std::uint32_t i = 0; i < shards_.size(); ++i) pump(i);
  }
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

  /// New settings for the batches cut from now on (in-flight batches finish as they were). A new
  /// lane count or window length reaches a shard once its lanes hold nothing under the old ones
  /// (so a key's records stay in order); until then the shard reads nothing new.
  void apply(const stream_settings& s, function* fn) {
    const bool reshape = s.lanes != settings_.lanes || s.window_size != settings_.window_size;
    settings_ = s;
    if (fn != nullptr && fn != fn_ && fn_ != nullptr) {
      fn->add_listener(this);
      fn_->remove_listener(this);
      fn_ = fn;
      function_name_ = fn->name();
    }
    lane_buffer_cap_ = std::max<std::size_t>(10'000, 2 * settings_.limits.max_records);
    if (reshape) ++shape_;
    for (std::uint32_t i = 0; i < shards_.size(); ++i) pump(i);
  }

  /// The facade's read loop (see `stream_hooks::read`): records [read position, end) of the
  /// shard, filtered, into the lanes of their keys, within the 10 MB of a GetRecords call and
  /// the lane buffers.
  template <class Filter, class Parallelization>
  void read_range(std::uint32_t ordinal, std::uint64_t end, Filter& filter, const Parallelization& par) {
    shard_state& s = shards_[ordinal];
    auto& sh = stream_.shard_at(ordinal);
    const std::uint64_t start = s.read_pos;
    std::size_t bytes = 0;
    std::size_t filtered = 0;
    const std::size_t lanes = s.lanes.size();
    while (s.read_pos < end) {
      const auto& rec = sh.at(s.read_pos);
      if constexpr (Stream::max_get_records_bytes > 0) {
        const std::size_t b = rec.bytes();
        if (s.read_pos > start && bytes + b > Stream::max_get_records_bytes) break; // 10 MB per call
        bytes += b;
      }
      if constexpr (Filter::active) {
        // FilterCriteria (§5): a record no filter keeps is consumed here; the checkpoint moves
        // past it once the records before it are done.
        bool keep = true;
        try {
          keep = filter.keeps(rec, sh.id());
        } catch (...) {
          // A predicate that throws: the record is not consumed (the next poll reads it again)
          // and the error reaches the caller of the run once this event is done.
          sim_.raise_after_event(std::current_exception());
          read_failed_ = true;
          break;
        }
        if (!keep) {
          ++metrics_.filtered_out_event_count;
          ++filtered;
          ++s.read_pos;
          continue;
        }
      }
      lane_state& l = s.lanes[lanes == 1 ? 0 : par.lane_of(rec.ordering_key()) % lanes];
      if (l.pending.size() >= lane_buffer_cap_) break; // a blocked lane eventually stops the shard
      l.pending.push_back(s.read_pos);
      ++s.read_pos;
    }
    read_bytes_ = bytes;
    read_filtered_ = filtered;
  }

private:
  enum class shard_status : std::uint8_t { waiting_parents, active, finished };
  enum class lane_timer : std::uint8_t { none, window, backoff, window_end };

  struct lane_state {
    ring<std::uint64_t> pending; // positions assigned and not finished, oldest first
    std::size_t current = 0;     // records of the batch being worked on (front of pending)
    bisect_stack splits;         // second halves waiting, innermost last
    int retries = 0;             // retries used by the current batch
    int invokes = 0;             // invocations of the current records (approximate invoke count)
    int throttles = 0;           // consecutive throttles of the current batch
    bool in_flight = false;
    lane_timer timer_kind = lane_timer::none;
    timer_id timer{};
    time_point window_start{};   // when gathering the next batch began (batching window)
    time_point window_due{};     // when the batching policy's wait ends (timer_kind == window)
    std::string last_request_id;
    std::optional<failure_response_context> last_response;
    window_state win;            // tumbling window (spec §2.7)
  };
  struct shard_state {
    std::uint32_t ordinal = 0;
    shard_status status = shard_status::waiting_parents;
    std::uint64_t read_pos = 0;
    std::vector<lane_state> lanes;
    duration window_size{}; // the tumbling window of this shard's lanes
    std::uint32_t shape = 0; // the engine's shape (lanes, window) these lanes were made for
    timer_id poll_timer{};
    bool poll_scheduled = false; // poll_timer is pending (cheaper to test on every put)
    int in_flight = 0;           // lanes with an invocation in flight
    time_point last_poll{};
  };

  // --- shards ---------------------------------------------------------------------------------
  void discover_shards(bool initial) {
    while (shards_.size() < stream_.shard_count()) {
      const auto ordinal = static_cast<std::uint32_t>(shards_.size());
      const auto& sh = stream_.shard_at(ordinal);
      shard_state st;
      st.ordinal = ordinal;
      shape_lanes(st);
      st.last_poll = created_;
      // Shards that exist when the mapping starts begin at its starting position; shards created
      // later by resharding are read from their start.
      st.read_pos = initial ? sh.start_of(start_) : sh.begin_position();
      st.status = parents_finished(sh) ? shard_status::active : shard_status::waiting_parents;
      shards_.push_back(std::move(st));
      if (shards_.back().status == shard_status::active) check_finished(ordinal);
    }
  }

  void shape_lanes(shard_state& s) {
    s.lanes.clear();
    s.lanes.resize(settings_.lanes);
    for (auto& l : s.lanes) l.window_start = sim_.now();
    s.window_size = settings_.window_size;
    s.shape = shape_;
  }

  // A shard made for an older lane count or window takes the new one once its lanes are empty.
  bool reshape_if_idle(shard_state& s) {
    if (s.shape == shape_) return true;
    for (const auto& l : s.lanes) {
      if (!l.pending.empty() || l.in_flight || l.win.active || l.timer_kind != lane_timer::none) return false;
    }
    shape_lanes(s);
    trace("reshape", s.ordinal, {{"lanes", s.lanes.size()}, {"tumbling_window", s.window_size}});
    return true;
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
      if (!l.pending.empty() || l.in_flight || l.win.active) return;
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

  // --- lifetimes ----------------------------------------------------------------------------------
  // Cancels every timer; completions still in flight find no engine (the lifeline is cut).
  void stop() noexcept {
    enabled_ = false;
    if (life_ != nullptr) std::exchange(life_, nullptr)->sever();
    for (auto& s : shards_) {
      sim_.cancel(s.poll_timer);
      s.poll_scheduled = false;
      for (auto& l : s.lanes) sim_.cancel(l.timer);
    }
  }
  // The function or the stream is being destroyed: stop for good and tell the facade.
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

  // --- stream notifications -------------------------------------------------------------------
  void on_records(std::uint32_t ordinal) override {
    if (ordinal >= shards_.size()) return;
    shard_state& s = shards_[ordinal];
    if (s.poll_scheduled || s.in_flight > 0 || !enabled_ || s.status != shard_status::active) return;
    // The next of the shard's regular polls (every poll_interval since the last one) sees it.
    const std::int64_t since = (sim_.now() - s.last_poll).count();
    const std::int64_t interval = Stream::poll_interval.count();
    const std::int64_t ticks = since / interval + (since % interval != 0 ? 1 : 0);
    const time_point at = ticks > time_point::max().time_since_epoch().count() / interval
                              ? time_point::max()
                              : saturating_add(s.last_poll, duration{interval * ticks});
    s.poll_scheduled = true;
    s.poll_timer = sim_.schedule_at(at, [this, ordinal] {
      shards_[ordinal].poll_scheduled = false;
      pump(ordinal);
    });
  }
  void on_shard_closed(std::uint32_t ordinal) override {
    if (!started_) return; // still Creating: start() finds the shards as they are then
    discover_shards(false);
    if (ordinal < shards_.size()) pump(ordinal);
  }

  // --- polling and dispatch -------------------------------------------------------------------
  void pump(std::uint32_t ordinal) {
    if (!enabled_) return;
    shard_state& s = shards_[ordinal];
    if (s.status != shard_status::active) return;
    if (reshape_if_idle(s)) read(s);
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
    read_bytes_ = 0;
    read_filtered_ = 0;
    hooks_.read(hooks_.self, *this, s.ordinal, end);
    if constexpr (Stream::min_read_interval > duration::zero()) {
      sh.note_read(sim_.now(), read_bytes_, Stream::min_read_interval, Stream::max_read_bytes_per_second);
    }
    const auto n = s.read_pos - start;
    metrics_.polled_event_count += n;
    if (n > 0 || sim_.trace().active()) trace("poll", s.ordinal, {{"records", n}, {"filtered", read_filtered_}});
    if (read_filtered_ > 0) stream_.checkpoint(reader_, s.ordinal, shard_checkpoint(s));
    if (read_failed_) { // a filter predicate threw: the shard is polled again as usual
      read_failed_ = false;
      if (!s.poll_scheduled) {
        const std::uint32_t ordinal = s.ordinal;
        s.poll_scheduled = true;
        s.poll_timer = sim_.schedule_at(saturating_add(sim_.now(), Stream::poll_interval), [this, ordinal] {
          shards_[ordinal].poll_scheduled = false;
          pump(ordinal);
        });
      }
    }
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

  void set_lane_timer(std::uint32_t ordinal, std::uint32_t li, lane_timer kind, time_point at) {
    lane_state& l = shards_[ordinal].lanes[li];
    l.timer_kind = kind;
    l.timer = sim_.schedule_at(at, [this, ordinal, li] {
      shards_[ordinal].lanes[li].timer_kind = lane_timer::none;
      pump(ordinal);
    });
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
          const auto half = l.splits.pop();
          l.current = half.size;
          l.invokes = half.invokes;
          l.retries = 0;
        } else if (!cut_batch(ordinal, li)) {
          return;
        } else if (l.current == 0) { // the final invoke of a window whose records were all sent already
          invoke(ordinal, li);
          return;
        }
      }
      // MaximumRecordAgeInSeconds: records too old to send are discarded, oldest first.
      std::size_t old = 0;
      if (settings_.max_record_age) {
        const time_point now = sim_.now();
        while (old < l.current && now - sh.at(l.pending[old]).arrival > *settings_.max_record_age) ++old;
      }
      if (old > 0) {
        discard(ordinal, li, old, discard_condition::record_age_exceeded);
        if (l.current == 0) continue;
      }
      invoke(ordinal, li);
      return;
    }
  }

  // Cuts the lane's next batch (sets `current`); false when nothing is to be sent now.
  bool cut_batch(std::uint32_t ordinal, std::uint32_t li) {
    shard_state& s = shards_[ordinal];
    lane_state& l = s.lanes[li];
    const auto& sh = stream_.shard_at(ordinal);
    const bool windows = s.window_size > duration::zero();
    if (windows && !start_window(ordinal, li)) return false;
    const auto c = candidate(sh, s, l);
    if (windows) {
      l.win.final = window_complete(s, sh, l, c.records);
      if (c.records == 0 && !l.win.final) return false;
    } else if (c.records == 0) {
      return false;
    }
    if (!l.win.final) {
      const batch_decision d = hooks_.decide(hooks_.self, c);
      if (!d.cuts() && d.until() > sim_.now()) {
        if (d.until() != time_point::max() && !(l.timer_kind == lane_timer::window && l.window_due == d.until())) {
          if (l.timer_kind == lane_timer::window) sim_.cancel(l.timer);
          l.window_due = d.until();
          set_lane_timer(ordinal, li, lane_timer::window, d.until());
        }
        return false;
      }
    }
    if (l.timer_kind == lane_timer::window) {
      sim_.cancel(l.timer);
      l.timer_kind = lane_timer::none;
    }
    l.current = c.records;
    l.retries = 0;
    l.invokes = 0;
    l.throttles = 0;
    trace("batch", ordinal, {{"lane", li}, {"records", c.records}});
    return true;
  }

  // The candidate batch: the lane's pending front within the policy's limits (records, bytes)
  // and the tumbling window; full when a limit or the window's boundary stopped it.
  batch_candidate candidate(const stream_shard<record_type>& sh, const shard_state& s, const lane_state& l) const {
    batch_candidate c;
    c.kind = Stream::kind;
    c.now = sim_.now();
    c.gathering_since = l.window_start;
    const std::size_t limit = std::min(settings_.limits.max_records, l.pending.size());
    const bool windows = s.window_size > duration::zero();
    std::size_t n = 0;
    std::size_t bytes = sizes_.envelope; // the event JSON's bytes (spec §1), counted without rendering it
    bool full = false;
    while (n < limit) {
      const auto& r = sh.at(l.pending[n]);
      if (windows && window_of(s, r.arrival) != l.win.start) {
        full = true;
        break;
      }
      const std::size_t b = sizes_.record(r, sh.id()) + (n > 0 ? sizes_.separator : 0);
      if (n > 0 && bytes + b > settings_.limits.max_bytes) {
        full = true;
        break;
      }
      bytes += b;
      ++n;
    }
    c.records = n;
    c.bytes = bytes;
    c.full = full || n == settings_.limits.max_records;
    if (n > 0) c.first_arrival = sh.at(l.pending[0]).arrival;
    return c;
  }

  // --- tumbling windows (spec §2.7) -------------------------------------------------------------

  // The start of the window holding `t`: windows are aligned on multiples of their length in
  // Unix time (as AWS's `window.start` values are), through the simulation's wall epoch.
  time_point window_of(const shard_state& s, time_point t) const noexcept {
    const auto w = s.window_size.count();
    const auto offset = sim_.epoch().start.time_since_epoch().count() % w;
    const auto x = (t.time_since_epoch().count() + offset) % w;
    return t - duration{x};
  }

  // A shard that is closed and fully read ends its window (resharding closes a window).
  static bool shard_drained(const shard_state& s, const stream_shard<record_type>& sh) noexcept {
    return sh.closed() && s.read_pos >= sh.end_position();
  }

  // Picks the window of the lane's next batch. Returns false when nothing is to be sent now; a
  // window whose records were all sent gets its final invoke (with no records) when it ends.
  bool start_window(std::uint32_t ordinal, std::uint32_t li) {
    shard_state& s = shards_[ordinal];
    lane_state& l = s.lanes[li];
    const auto& sh = stream_.shard_at(ordinal);
    const bool next_in_active =
        l.win.active && !l.pending.empty() && window_of(s, sh.at(l.pending[0]).arrival) == l.win.start;
    if (next_in_active) return true;
    if (l.win.active) {
      // No record of the active window is pending: its final invoke, once it has ended.
      const time_point end = saturating_add(l.win.start, s.window_size);
      if (l.pending.empty() && sim_.now() < end && !shard_drained(s, sh)) {
        if (l.timer_kind != lane_timer::window_end) {
          if (l.timer_kind == lane_timer::window) sim_.cancel(l.timer);
          set_lane_timer(ordinal, li, lane_timer::window_end, end);
        }
        return false;
      }
      return true; // the cut takes no record of another window: a final invoke with none
    }
    if (l.pending.empty()) return false;
    l.win.begin(window_of(s, sh.at(l.pending[0]).arrival));
    return true;
  }

  // Whether a batch of the lane's first n records ends its window: the window is over (or the
  // shard is drained) and no record of the window remains unsent or unread.
  bool window_complete(const shard_state& s, const stream_shard<record_type>& sh, const lane_state& l,
                       std::size_t n) const {
    const time_point end = saturating_add(l.win.start, s.window_size);
    if (sim_.now() < end && !shard_drained(s, sh)) return false;
    if (n < l.pending.size() && window_of(s, sh.at(l.pending[n]).arrival) == l.win.start) return false;
    return s.read_pos >= sh.end_position() || sh.at(s.read_pos).arrival >= end;
  }

  // --- invocation -----------------------------------------------------------------------------
  struct completion {
    typename lifeline<stream_engine>::ref life;
    std::uint32_t ordinal;
    std::uint32_t lane;
    void operator()(const invocation_result& r) {
      if (stream_engine* e = life.get()) e->complete(ordinal, lane, r);
    }
  };

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
    const invoke_options opts{.attempt = l.retries + 1, .items = l.current};
    handler_ref<batch_type> h{hooks_.self, hooks_.call, {}};
    std::optional<window_context> w;
    if (s.window_size > duration::zero()) {
      // The adapter hands the window to the handler and keeps the returned state for the completion.
      l.win.returned.reset();
      w.emplace(l.win.context(s.window_size, sh.id()));
      h.window = window_io{&*w, &l.win.returned};
    }
    const bool started = fn_->invoke(batch, h, completion{life_->hold(), ordinal, li}, opts);
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
      throttled(ordinal, li);
      return;
    }
    l.throttles = 0;
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
    if (s.window_size > duration::zero() && !failed) {
      if (!l.win.accept_returned(tumbling_window::max_state_bytes)) failed = true; // no state: a failure (§2.7)
    }
    if (failed) {
      failed_from = 0;
    } else if (r.kind == outcome::partial && settings_.report_batch_item_failures) {
      failed_from = lowest_failed(ordinal, l, *r.response);
    }
    if (failed_from == l.current && l.win.final) l.win.end(); // the final invoke succeeded: checkpoint, drop the state
    if (failed_from == l.current) {
      succeed(ordinal, li, l.current);
    } else {
      metrics_.failed_invoke_event_count += l.current - failed_from;
      if (failed_from > 0) succeed(ordinal, li, failed_from); // before the lowest failure: checkpointed
      const failure_kind kind = r.kind == outcome::timeout        ? failure_kind::timeout
                                : r.kind == outcome::function_error ? failure_kind::function_error
                                                                    : failure_kind::partial;
      fail(ordinal, li, kind);
    }
    pump(ordinal);
  }

  // Throttles never reach the function and use no retry attempt (spec §2.2).
  void throttled(std::uint32_t ordinal, std::uint32_t li) {
    lane_state& l = shards_[ordinal].lanes[li];
    ++metrics_.throttles;
    metrics_.failed_invoke_event_count += l.current;
    ++l.throttles;
    const std::optional<duration> d =
        hooks_.on_throttle(hooks_.self, throttle_event{l.throttles, sim_.now(), std::nullopt});
    // A policy that gives up: the stream keeps the records; the next poll sends them again.
    const duration wait = d ? std::max(*d, duration::zero()) : Stream::poll_interval;
    trace("throttled", ordinal, {{"lane", li}, {"records", l.current}, {"retry_in", wait}});
    set_lane_timer(ordinal, li, lane_timer::backoff, saturating_add(sim_.now(), wait));
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

  void batch_done(lane_state& l) {
    if (l.current != 0) return;
    l.retries = 0;
    l.invokes = 0;
    l.throttles = 0;
    l.window_start = sim_.now();
  }

  void succeed(std::uint32_t ordinal, std::uint32_t li, std::size_t n) {
    lane_state& l = shards_[ordinal].lanes[li];
    l.pending.pop_front(n);
    l.current -= n;
    metrics_.processed_event_count += n;
    last_result_ = "OK";
    batch_done(l);
    stream_.checkpoint(reader_, ordinal, shard_checkpoint(shards_[ordinal]));
  }

  // The records [0, current) failed: the retry policy bisects, retries or discards them (spec
  // §2.3, §2.4). A retry after a delay holds the lane until then.
  void fail(std::uint32_t ordinal, std::uint32_t li, failure_kind kind) {
    shard_state& s = shards_[ordinal];
    lane_state& l = s.lanes[li];
    const auto& sh = stream_.shard_at(ordinal);
    last_result_ = "PROBLEM: Function call failed";
    const time_point now = sim_.now();
    stream_failure f;
    f.kind = kind;
    f.attempts = l.invokes;
    f.retries = l.retries;
    f.records = l.current;
    if (l.current > 0) {
      f.oldest_age = now - sh.at(l.pending[0]).arrival;
      f.newest_age = now - sh.at(l.pending[l.current - 1]).arrival;
    }
    f.bisectable = kind != failure_kind::partial && l.current > 1 && s.window_size == duration::zero();
    f.now = now;
    retry_decision d = hooks_.on_failure(hooks_.self, f);
    if (d.what() == retry_decision::action::bisect && !f.bisectable) d = retry_decision::retry_after(duration::zero());
    switch (d.what()) {
    case retry_decision::action::bisect: {
      const std::size_t first = (l.current + 1) / 2;
      // Both halves keep the invocations their records had: approximateInvokeCount of a
      // discarded half counts its records' invocations in the batches it was split from.
      l.splits.push({l.current - first, l.invokes});
      l.current = first;
      l.retries = 0;
      ++metrics_.bisections;
      trace("bisect", ordinal, {{"lane", li}, {"first", first}, {"second", f.records - first}});
      return;
    }
    case retry_decision::action::retry: {
      ++l.retries;
      ++metrics_.retries;
      const duration delay = std::max(d.delay(), duration::zero());
      trace("retry", ordinal, {{"lane", li}, {"records", l.current}, {"retry", l.retries}, {"delay", delay}});
      if (delay > duration::zero()) set_lane_timer(ordinal, li, lane_timer::backoff, saturating_add(now, delay));
      return;
    }
    case retry_decision::action::discard:
      break;
    }
    if (l.current == 0) { // a window's final invoke with no records ran out of retries: the window ends
      l.win.end();
      l.retries = 0;
      trace("drop", ordinal, {{"lane", li}, {"records", 0}, {"condition", std::string_view{to_string(d.condition())}}});
      return;
    }
    discard(ordinal, li, l.current, d.condition());
  }

  // Discards the first n records of the lane (n ≤ current): to the destination, or dropped.
  void discard(std::uint32_t ordinal, std::uint32_t li, std::size_t n, discard_condition why) {
    shard_state& s = shards_[ordinal];
    lane_state& l = s.lanes[li];
    const auto& sh = stream_.shard_at(ordinal);
    bool delivered = false;
    if (hooks_.deliver != nullptr) {
      const auto& first = sh.at(l.pending[0]);
      const auto& last = sh.at(l.pending[n - 1]);
      // As AWS recorded (§4.6): a RecordAgeExceeded record has no responseContext and counts at
      // least one invoke, also when its records were too old when read (fidelity A8).
      const bool aged = why == discard_condition::record_age_exceeded;
      stream_failure_record rec{sim_.now(),
                                why,
                                aged ? std::max(l.invokes, 1) : l.invokes,
                                l.last_request_id,
                                fn_->name(),
                                aged || l.invokes == 0 ? std::nullopt : l.last_response,
                                Stream::kind,
                                stream_batch_info{sh.id(), Stream::sequence_text(first.sequence),
                                                  Stream::sequence_text(last.sequence), first.arrival, last.arrival, n,
                                                  stream_.arn()},
                                std::string{identity_.uuid()}};
      try {
        const batch_type discarded{sh, l.pending, n, stream_.name()};
        delivered = hooks_.deliver(hooks_.self, rec, discarded);
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
    batch_done(l);
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
  function* fn_; // null once the function was destroyed
  simulation& sim_;
  stream_hooks<Stream> hooks_;
  stream_settings settings_;
  event_size<std::remove_cv_t<Stream>> sizes_; // the event JSON's bytes: the 6 MB cut (spec §1)
  starting_position start_;
  mapping_identity identity_;
  std::string component_;
  bool enabled_ = false;      // polling (false until start())
  bool start_enabled_ = true; // `Enabled` at creation
  bool started_ = false;      // start() ran: Creating is over
  bool source_alive_ = true;  // false once the stream told of its destruction
  std::string source_arn_;    // the stream's, kept for configuration()
  std::string function_name_; // the function's, kept for configuration()
  std::string lost_;          // why the engine stopped for good; empty while it works
  std::uint32_t shape_ = 0; // bumped when the lane count or window length changes
  std::size_t lane_buffer_cap_ = 10'000;
  time_point created_{};
  reader_id reader_{};
  std::deque<shard_state> shards_; // deque: stable while a handler reshards the stream
  esm_metrics metrics_;
  std::string_view last_result_ = "No records processed";
  std::size_t read_bytes_ = 0;    // of the last read_range
  std::size_t read_filtered_ = 0; // of the last read_range
  bool read_failed_ = false;      // the last read_range stopped at a filter predicate's exception
  lifeline<stream_engine>* life_; // null once cut (stop())
};

} // namespace esm::detail
