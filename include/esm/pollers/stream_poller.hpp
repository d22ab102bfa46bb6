#pragma once
/// \file esm/pollers/stream_poller.hpp
/// The stream event source mapping (spec §1, §2, §6): polls each shard of a Kinesis (or
/// DynamoDB) stream independently, cuts batches, invokes a function synchronously, retries,
/// bisects, honours partial batch responses, discards to an on-failure destination, follows
/// shard lineage and checkpoints.
///
/// ```cpp
/// esm::stream_poller poller{orders, fn, handler,
///                           esm::starting_position::trim_horizon(),   // StartingPosition: required
///                           esm::batching{.batch_size = 100, .window = 2s},
///                           esm::parallelization{.factor = 4},
///                           esm::stream_retry{.max_attempts = 3, .bisect_on_error = true},
///                           esm::on_failure{[&](const esm::stream_failure_record& r) { ... }}};
/// poller.update({.batch_size = 500});           // like UpdateEventSourceMapping
/// auto cfg = poller.configuration();            // like GetEventSourceMapping
/// poller.delete_mapping();                      // like DeleteEventSourceMapping: State Deleting
/// ```
/// Policies come in any order; each is found by its declared role or the concept it satisfies,
/// and a missing one gets AWS's default. The starting position has no default, as on AWS: give
/// an `esm::starting_position` argument (or `esm::stream_options::start`), else the poller
/// throws `esm::config_error`. `esm::stream_options` carries the other settings.
///
/// The mapping has AWS's states (spec §7, esm/pollers/lifecycle.hpp): `Creating` until its
/// creation ends (nothing is read; a LATEST position is resolved when it ends), `Enabling`,
/// `Disabling`, `Updating` (the old settings apply until it ends) and `Deleting`. How long each
/// takes is `stream_options::transitions` (default: instant).
///
/// The poller is a facade: it owns the handler and the policies, and the state machine is
/// `detail::stream_engine<Stream>`, compiled once per stream type and reaching the policies
/// through one indirect call per decision (docs/architecture.md).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/detail/policy_pack.hpp>
#include <esm/lambda/function.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/policies/batching.hpp>
#include <esm/policies/parallelization.hpp>
#include <esm/policies/retry.hpp>
#include <esm/policies/roles.hpp>
#include <esm/policies/throttle.hpp>
#include <esm/policies/tumbling_window.hpp>
#include <esm/pollers/configuration.hpp>
#include <esm/pollers/destination.hpp>
#include <esm/pollers/detail/mapping_lifecycle.hpp>
#include <esm/pollers/detail/stream_engine.hpp>
#include <esm/pollers/lifecycle.hpp>
#include <esm/pollers/metrics.hpp>
#include <esm/pollers/record_filter.hpp>
#include <esm/pollers/stream_batch.hpp>
#include <esm/sources/concepts.hpp>
#include <esm/sources/shard.hpp>

namespace esm {

namespace detail {

/// How many stream-poller roles `P` plays.
template <class P>
inline constexpr int stream_roles_of = is_batching<P>::value + is_parallelization<P>::value +
                                       is_stream_retry<P>::value + is_throttle<P>::value + is_destination<P>::value +
                                       is_stream_options<P>::value + is_window<P>::value + is_record_filter<P>::value +
                                       is_starting_position<P>::value;

/// Checks one policy of a stream poller: a declared role is fully satisfied, an undeclared type
/// fits exactly one role. Instantiating the failing case names the type.
/// Asserts the concept of the role `P` declares, alone, so the compiler names the failing requirement.
template <class P>
constexpr bool check_declared_stream_role() {
  if constexpr (declares_role_of<P, batching_role>) {
    static_assert(batching_policy<P>,
                "esm::stream_poller: a type declaring esm::batching_role must satisfy esm::batching_policy "
                "(limits(source_kind) const, decide(const batch_candidate&), validate(source_kind) const)");
  }
  if constexpr (declares_role_of<P, retry_role>) {
    static_assert(stream_retry_policy<P>,
                "esm::stream_poller: a type declaring esm::retry_role must satisfy esm::stream_retry_policy "
                "(on_failure(const stream_failure&) -> retry_decision, record_age_limit() const, validate() const)");
  }
  if constexpr (declares_role_of<P, throttle_role>) {
    static_assert(throttle_policy<P>,
                "esm::stream_poller: a type declaring esm::throttle_role must satisfy esm::throttle_policy "
                "(on_throttle(const throttle_event&) -> optional<duration>, validate() const)");
  }
  if constexpr (declares_role_of<P, parallelization_role>) {
    static_assert(parallelization_policy<P>,
                "esm::stream_poller: a type declaring esm::parallelization_role must satisfy "
                "esm::parallelization_policy (lanes() const, lane_of(string_view) const, validate() const)");
  }
  if constexpr (declares_role_of<P, window_role>) {
    static_assert(window_policy<P>,
                "esm::stream_poller: a type declaring esm::window_role must satisfy esm::window_policy "
                "(tumbling_window_size() const, validate() const)");
  }
  return true;
}

template <class P>
struct check_stream_policy {
  static constexpr bool value = check_declared_stream_role<P>();
};
template <class P>
  requires(stream_roles_of<P> == 0 && !declares_role<P>)
struct check_stream_policy<P> : unknown_policy_type<P> {
  static constexpr bool value = false;
};
template <class P>
  requires(stream_roles_of<P> > 1)
struct check_stream_policy<P> : ambiguous_policy_type<P> {
  static constexpr bool value = false;
};

/// `Stream::record_type`, or a placeholder for a type that is not a stream source (so that the
/// poller's static_assert, not a missing-type error, reports it).
struct not_a_stream_record {};
template <class S>
struct stream_record_of {
  using type = not_a_stream_record;
};
template <class S>
  requires requires { typename S::record_type; }
struct stream_record_of<S> {
  using type = typename S::record_type;
};

} // namespace detail

/// An event source mapping from a stream to a function.
///
/// Template parameters: `Stream` (e.g. `esm::kinesis_stream<P>`), `Handler` (an
/// `esm::handler` of `esm::stream_batch<Stream::record_type>`), and `Policies...` in any order:
/// a `batching_policy` (default `esm::batching{}`: 100 records, no window), a
/// `parallelization_policy` (default factor 1), a `stream_retry_policy` (default
/// `esm::stream_retry{}`: infinite retries and age, no bisection, as AWS), a `throttle_policy`
/// (default 1 s), a `failure_destination` (default none), a `tumbling_window`, a filter
/// (`esm::filter_criteria`, or a predicate `esm::record_filter`; default none: filtered records
/// are skipped and checkpointed past, spec §5), `esm::stream_options`, and the required
/// `esm::starting_position` (`StartingPosition`; or `stream_options::start`). Each may appear once.
///
/// Lifetime: the stream and the function must outlive the poller. Not thread-safe.
template <class Stream, class Handler, class... Policies>
class stream_poller final {
public:
  static_assert(stream_source<Stream>,
                "esm::stream_poller: the source must satisfy esm::stream_source (esm/sources/concepts.hpp)");
  using record_type = typename detail::stream_record_of<Stream>::type; ///< what the stream stores
  using batch_type = stream_batch<record_type>;     ///< what the handler receives
  using batching_type = typename detail::policy_type<detail::is_batching, batching, Policies...>::type; ///< batching policy
  using parallelization_type =
      typename detail::policy_type<detail::is_parallelization, parallelization, Policies...>::type; ///< lanes
  using retry_type = typename detail::policy_type<detail::is_stream_retry, stream_retry, Policies...>::type; ///< retries
  using throttle_type = typename detail::policy_type<detail::is_throttle, throttle_backoff, Policies...>::type; ///< throttles
  using destination_type =
      typename detail::policy_type<detail::is_destination, no_destination, Policies...>::type; ///< on-failure destination
  using window_type = typename detail::policy_type<detail::is_window, tumbling_window, Policies...>::type; ///< windows
  using filter_type = typename detail::policy_type<detail::is_record_filter, detail::keep_all, Policies...>::type; ///< filter

  /// True for a tumbling-window handler: `window_response h(const batch&, const window_context&)`,
  /// optionally with a trailing `esm::invocation_context&`.
  static constexpr bool windowed_handler =
      std::is_invocable_r_v<window_response, Handler&, batch_type&, const window_context&> ||
      std::is_invocable_r_v<window_response, Handler&, batch_type&, const window_context&, invocation_context&>;
  /// True for a plain handler: `h(const batch&)` or `h(batch, esm::invocation_context&)`.
  static constexpr bool plain_handler = handler<Handler, batch_type>;
  /// True for a handler with both call forms (an overload set): the poller calls the window form
  /// while `TumblingWindowInSeconds` > 0 and the plain form while it is 0, so one poller type
  /// serves both settings and `update()` may turn windows on and off.
  static constexpr bool dual_handler = windowed_handler && plain_handler;

  static_assert(windowed_handler || plain_handler,
                "esm::stream_poller: the handler must be callable as h(const esm::stream_batch<Record>&) or "
                "h(batch, esm::invocation_context&), returning void or esm::batch_response; or, with a "
                "tumbling_window, as h(batch, const esm::window_context&) returning esm::window_response");
  static_assert(!windowed_handler || plain_handler || detail::count_policies<detail::is_window, Policies...> == 1,
                "esm::stream_poller: a tumbling-window handler needs an esm::tumbling_window policy");
  static_assert((detail::check_stream_policy<Policies>::value && ...),
                "esm::stream_poller: a policy fits no role, or more than one (see the type named above)");
  static_assert(detail::count_policies<detail::is_batching, Policies...> <= 1, "esm::stream_poller: two batching policies");
  static_assert(detail::count_policies<detail::is_parallelization, Policies...> <= 1,
                "esm::stream_poller: two parallelization policies");
  static_assert(detail::count_policies<detail::is_stream_retry, Policies...> <= 1, "esm::stream_poller: two retry policies");
  static_assert(detail::count_policies<detail::is_throttle, Policies...> <= 1, "esm::stream_poller: two throttle policies");
  static_assert(detail::count_policies<detail::is_destination, Policies...> <= 1,
                "esm::stream_poller: two on-failure destinations");
  static_assert(failure_destination<destination_type> || records_destination<destination_type, Stream>,
                "esm::stream_poller: a type declaring esm::destination_role must satisfy esm::failure_destination "
                "(send(const stream_failure_record&) -> bool) or esm::records_destination "
                "(send(const stream_failure_record&, const Stream&, const stream_batch<Record>&) -> bool)");
  static_assert(detail::count_policies<detail::is_stream_options, Policies...> <= 1,
                "esm::stream_poller: two stream_options");
  static_assert(detail::count_policies<detail::is_starting_position, Policies...> <= 1,
                "esm::stream_poller: two starting positions");
  static_assert(detail::count_policies<detail::is_window, Policies...> <= 1, "esm::stream_poller: two tumbling windows");
  static_assert(detail::count_policies<detail::is_record_filter, Policies...> <= 1, "esm::stream_poller: two filters");
  static_assert(is_stream(Stream::kind), "esm::stream_poller reads Kinesis or DynamoDB streams");

  /// A mapping from `stream` to `fn` running `h`. Validates every parameter against AWS's ranges
  /// (`config_error`), registers with the stream, and enters `Creating`; once
  /// `transitions.create` has passed (at once by default) it is `Enabled` and polls, or
  /// `Disabled` when created with `enabled = false`.
  stream_poller(Stream& stream, function& fn, Handler h, Policies... policies)
      : stream_(stream), handler_(std::move(h)),
        batching_(detail::take_policy<detail::is_batching, batching_type>(policies...)),
        parallelization_(detail::take_policy<detail::is_parallelization, parallelization_type>(policies...)),
        retry_(detail::take_policy<detail::is_stream_retry, retry_type>(policies...)),
        throttle_(take_throttle(policies...)),
        destination_(detail::take_policy<detail::is_destination, destination_type>(policies...)),
        window_(detail::take_policy<detail::is_window, window_type>(policies...)),
        filter_policy_(detail::take_policy<detail::is_record_filter, filter_type>(policies...)),
        options_(take_options(policies...)), filter_(stream, filter_policy_, where()),
        life_(stream.sim(), "esm/" + options_.name, "User action"),
        engine_(stream, fn, hooks(), validated_settings(stream.sim().now()), options_) {
    life_.create(engine_, options_.transitions.create);
  }

  stream_poller(const stream_poller&) = delete;
  stream_poller& operator=(const stream_poller&) = delete;

  /// Cumulative metrics (spec §6).
  [[nodiscard]] const esm_metrics& metrics() const noexcept { return engine_.metrics(); }
  /// `UUID` and `EventSourceMappingArn` (esm/pollers/mapping_identity.hpp): seeded, distinct per
  /// mapping of the simulation.
  [[nodiscard]] const mapping_identity& identity() const noexcept { return engine_.identity(); }
  /// `State`; `esm_state::deleted` once a deletion has completed.
  [[nodiscard]] esm_state state() const noexcept { return life_.state(); }
  /// `StateTransitionReason` of the last change: `User action`, as AWS writes it for streams.
  [[nodiscard]] std::string_view state_transition_reason() const noexcept { return life_.reason(); }
  /// `LastProcessingResult`: `No records processed`, `OK` or `PROBLEM: Function call failed`.
  [[nodiscard]] std::string_view last_processing_result() const noexcept { return engine_.last_processing_result(); }
  /// The batch size in effect.
  [[nodiscard]] std::size_t batch_size() const noexcept { return engine_.settings().limits.max_records; }

  /// The checkpoint of a shard: the position of the first record not yet processed (every
  /// record before it was processed, discarded or expired); 0 for a shard the mapping has not
  /// discovered yet (nothing of it consumed).
  [[nodiscard]] std::uint64_t checkpoint(std::uint32_t shard_ordinal) const noexcept {
    return engine_.checkpoint(shard_ordinal);
  }

  /// The policy of type `T` the poller holds (read-only: change a live mapping with `update()`).
  template <class T>
  [[nodiscard]] const T& policy() const noexcept {
    if constexpr (std::is_same_v<T, batching_type>) return batching_;
    else if constexpr (std::is_same_v<T, parallelization_type>) return parallelization_;
    else if constexpr (std::is_same_v<T, retry_type>) return retry_;
    else if constexpr (std::is_same_v<T, throttle_type>) return throttle_;
    else if constexpr (std::is_same_v<T, destination_type>) return destination_;
    else if constexpr (std::is_same_v<T, window_type>) return window_;
    else if constexpr (std::is_same_v<T, filter_type>) return filter_policy_;
    else if constexpr (std::is_same_v<T, stream_options>) return options_;
    else static_assert(sizeof(T) == 0, "esm::stream_poller::policy<T>: T is not a policy type of this poller");
  }

  /// `GetEventSourceMapping`: every parameter, the state and `LastProcessingResult`. Throws
  /// `resource_not_found_error` once the mapping is deleted.
  [[nodiscard]] stream_mapping_configuration configuration() const {
    life_.check_exists("get", engine_.identity().arn());
    stream_mapping_configuration c;
    const auto& st = engine_.settings();
    c.name = options_.name;
    c.uuid = std::string{engine_.identity().uuid()};
    c.event_source_mapping_arn = engine_.identity().arn();
    c.kind = Stream::kind;
    c.event_source_arn = engine_.source_arn();
    c.function_name = engine_.function_name();
    c.state = state();
    c.state_transition_reason = std::string{life_.reason()};
    c.last_processing_result = std::string{last_processing_result()};
    c.batch_size = static_cast<int>(st.limits.max_records);
    if constexpr (std::is_same_v<batching_type, batching>) c.maximum_batching_window = batching_.window;
    c.start = engine_.start_position();
    c.parallelization_factor = static_cast<int>(st.lanes);
    if constexpr (std::is_same_v<retry_type, stream_retry>) {
      c.maximum_retry_attempts = retry_.max_attempts;
      c.bisect_batch_on_function_error = retry_.bisect_on_error;
    }
    c.maximum_record_age = st.max_record_age.value_or(std::chrono::seconds{-1});
    c.tumbling_window = st.window_size;
    c.report_batch_item_failures = st.report_batch_item_failures;
    if constexpr (std::is_same_v<filter_type, filter_criteria>) {
      std::vector<std::string> p;
      for (std::size_t i = 0; i < filter_policy_.size(); ++i) p.push_back(filter_policy_.pattern(i));
      c.filter_patterns = std::move(p);
    }
    c.on_failure_destination = destination_configured();
    return c;
  }

  /// `UpdateEventSourceMapping`: changes the set fields, validated exactly as at creation (a
  /// `config_error` leaves the mapping unchanged). The mapping is `Updating` for
  /// `transitions.update` (at once by default), under its old settings; then the batches cut
  /// use the new ones, and an invocation in flight finishes under the old ones. A new
  /// `ParallelizationFactor` or `TumblingWindowInSeconds` reaches a shard once the records its
  /// lanes hold are done. A parameter of a user-written policy is a `usage_error`. During another
  /// transition (`Creating`, `Enabling`, `Disabling`, `Updating`, `Deleting`) it throws
  /// `resource_in_use_error`; once deleted, `resource_not_found_error`.
  void update(const stream_mapping_update& u) {
    life_.check_change("update", engine_.identity().arn());
    batching_type b = batching_;
    parallelization_type par = parallelization_;
    retry_type r = retry_;
    window_type w = window_;
    stream_options o = options_;
    if (u.batch_size || u.maximum_batching_window) {
      if constexpr (std::is_same_v<batching_type, batching>) {
        if (u.batch_size) b.batch_size = *u.batch_size;
        if (u.maximum_batching_window) b.window = *u.maximum_batching_window;
      } else {
        user_policy("batch_size / maximum_batching_window", "batching");
      }
    }
    if (u.parallelization_factor) {
      if constexpr (std::is_same_v<parallelization_type, parallelization>) {
        par.factor = *u.parallelization_factor;
      } else {
        user_policy("parallelization_factor", "parallelization");
      }
    }
    if (u.maximum_retry_attempts || u.maximum_record_age || u.bisect_batch_on_function_error) {
      if constexpr (std::is_same_v<retry_type, stream_retry>) {
        if (u.maximum_retry_attempts) r.max_attempts = *u.maximum_retry_attempts;
        if (u.maximum_record_age) r.max_record_age = *u.maximum_record_age;
        if (u.bisect_batch_on_function_error) r.bisect_on_error = *u.bisect_batch_on_function_error;
      } else {
        user_policy("maximum_retry_attempts / maximum_record_age / bisect_batch_on_function_error", "retry");
      }
    }
    if (u.tumbling_window) {
      if constexpr (std::is_same_v<window_type, tumbling_window>) {
        w.size = *u.tumbling_window;
      } else {
        user_policy("tumbling_window", "tumbling-window");
      }
    }
    if (u.report_batch_item_failures) o.report_batch_item_failures = *u.report_batch_item_failures;
    std::optional<filter_type> f;
    if (u.filter_patterns) {
      if constexpr (std::is_same_v<filter_type, filter_criteria>) {
        f.emplace(std::span<const std::string>{*u.filter_patterns}, filter_policy_.max_filters());
        detail::poller_filter<Stream, filter_type> check{stream_, *f, where()}; // validates the keys
      } else {
        throw usage_error("esm::stream_poller::update: filter_patterns needs a mapping created with "
                          "esm::filter_criteria (an empty one keeps every record)");
      }
    }
    const settings_type s = settings_of(b, par, r, w, o);
    pending_.emplace(pending_update{std::move(b), std::move(par), std::move(r), std::move(w),
                                    o.report_batch_item_failures, std::move(f), s, u.function_target, u.enabled});
    life_.begin(esm_state::updating, options_.transitions.update, [this] {
      commit_update();
      return engine_.enabled() ? esm_state::enabled : esm_state::disabled;
    });
  }

  /// Resumes polling from the checkpoints (`Enabled = true`): `Enabling` for
  /// `transitions.enable` (still not polling), then `Enabled`. Nothing happens if already
  /// `Enabled`. Errors as `update()`.
  void enable() { life_.enable(engine_, options_.transitions.enable); }
  /// Pauses polling and invocation (`Enabled = false`): `Disabling` for `transitions.disable`
  /// (still polling), then `Disabled`. Invocations in flight complete and are checkpointed;
  /// nothing new starts until `enable()`. Nothing happens if already `Disabled`. Errors as
  /// `update()`.
  void disable() { life_.disable(engine_, options_.transitions.disable); }

  /// `DeleteEventSourceMapping`: returns the configuration with `State` `Deleting`. From now on
  /// nothing more is read or invoked; invocations in flight finish (and are checkpointed). After
  /// `transitions.remove` (at once by default) the mapping is gone: `state()` is
  /// `esm_state::deleted` and `configuration()`, `update()`, `enable()`, `disable()` and
  /// `delete_mapping()` throw `resource_not_found_error`. Deleting while `Updating` (or
  /// `Deleting`) throws `resource_in_use_error`, as on AWS; a deletion while `Creating`,
  /// `Enabling` or `Disabling` ends that transition. Metrics and checkpoints stay readable.
  stream_mapping_configuration delete_mapping() {
    life_.check_delete(engine_.identity().arn());
    stream_mapping_configuration c = configuration();
    c.state = esm_state::deleting;
    life_.remove(engine_, options_.transitions.remove);
    return c;
  }

private:
  using settings_type = detail::stream_settings;
  using engine_type = detail::stream_engine<Stream>;

  // An update validated at the call, applied when `Updating` ends.
  struct pending_update {
    batching_type batching;
    parallelization_type parallelization;
    retry_type retry;
    window_type window;
    bool report_batch_item_failures;
    std::optional<filter_type> filter;
    settings_type settings;
    function* target;
    std::optional<bool> enabled;
  };

  void commit_update() {
    pending_update p = std::move(*pending_);
    pending_.reset();
    batching_ = std::move(p.batching);
    parallelization_ = std::move(p.parallelization);
    retry_ = std::move(p.retry);
    window_ = std::move(p.window);
    options_.report_batch_item_failures = p.report_batch_item_failures;
    if constexpr (std::is_same_v<filter_type, filter_criteria>) {
      if (p.filter) {
        filter_policy_ = std::move(*p.filter);
        filter_ = detail::poller_filter<Stream, filter_type>{stream_, filter_policy_, where()};
      }
    }
    engine_.apply(p.settings, p.target);
    if (p.enabled) {
      if (*p.enabled)
        engine_.enable();
      else
        engine_.disable();
    }
  }

  static std::string where() { return std::string{"a "} + to_string(Stream::kind) + " event source mapping"; }
  [[noreturn]] static void user_policy(const char* parameter, const char* role) {
    throw usage_error(std::string{"esm::stream_poller::update: "} + parameter + " belongs to AWS's " + role +
                      " policy; this mapping has a user-written one (change it, or construct a new mapping)");
  }
  template <class... Ps>
  static stream_options take_options(Ps&... ps) {
    stream_options o = detail::take_policy<detail::is_stream_options, stream_options>(ps...);
    if constexpr (detail::count_policies<detail::is_starting_position, Ps...> == 1) {
      if (o.start) {
        throw config_error("start", "given once: as an esm::starting_position argument or as stream_options::start",
                           "both", where());
      }
      o.start = detail::take_policy<detail::is_starting_position, starting_position>(ps...);
    }
    return o;
  }
  template <class... Ps>
  static throttle_type take_throttle(Ps&... ps) {
    if constexpr (detail::count_policies<detail::is_throttle, Ps...> == 0) {
      return throttle_backoff::streams();
    } else {
      return detail::take_policy<detail::is_throttle, throttle_type>(ps...);
    }
  }

  // Validates the policies and settings as AWS does at creation and update.
  settings_type settings_of(const batching_type& b, const parallelization_type& par, const retry_type& r,
                            const window_type& w, const stream_options& o) const {
    b.validate(Stream::kind);
    par.validate();
    r.validate();
    w.validate();
    const duration size = w.tumbling_window_size();
    if (windowed_handler && !plain_handler && size == duration::zero()) {
      throw config_error("tumbling_window", "(0s, 900s] for a tumbling-window handler", "0s", where());
    }
    if (!windowed_handler && size > duration::zero()) {
      throw config_error("tumbling_window", "0s unless the handler takes an esm::window_context", esm::to_string(size),
                         where());
    }
    settings_type s;
    s.limits = detail::checked_limits(b.limits(Stream::kind), Stream::kind);
    s.max_record_age = r.record_age_limit();
    s.window_size = size;
    s.lanes = par.lanes();
    detail::check_range<std::size_t>("parallelization lanes", s.lanes, 1, 10, where());
    s.report_batch_item_failures = o.report_batch_item_failures;
    return s;
  }

  settings_type validated_settings(time_point now) {
    throttle_.validate();
    options_.transitions.validate(where());
    const stream_options& o = options_;
    const char* const positions = Stream::kind == source_kind::dynamodb ? "trim_horizon or latest"
                                                                         : "trim_horizon, latest or at_timestamp";
    if (!o.start) { // AWS: "Value null at 'startingPosition' failed to satisfy constraint: Member must not be null"
      throw config_error("start", std::string{positions} + " (StartingPosition is required)", "none", where());
    }
    const starting_position& start = *o.start;
    if (start.type != iterator_type::trim_horizon && start.type != iterator_type::latest &&
        start.type != iterator_type::at_timestamp) {
      throw config_error("start", positions, "another iterator type", where());
    }
    if (start.type == iterator_type::at_timestamp) {
      if (Stream::kind == source_kind::dynamodb) {
        throw config_error("start", positions, "at_timestamp", "a dynamodb event source mapping");
      }
      if (start.timestamp > now) {
        throw config_error("start.timestamp", "not in the future (<= " + esm::to_string(now) + ")",
                           esm::to_string(start.timestamp), "a kinesis event source mapping");
      }
    }
    return settings_of(batching_, parallelization_, retry_, window_, options_);
  }

  // --- the hooks: one call per decision or invocation -------------------------------------------
  detail::stream_hooks<Stream> hooks() {
    detail::stream_hooks<Stream> k;
    k.self = this;
    k.decide = [](void* p, const batch_candidate& c) -> batch_decision {
      return static_cast<stream_poller*>(p)->batching_.decide(c);
    };
    k.on_failure = [](void* p, const stream_failure& f) -> retry_decision {
      return static_cast<stream_poller*>(p)->retry_.on_failure(f);
    };
    k.on_throttle = [](void* p, const throttle_event& e) -> std::optional<duration> {
      return static_cast<stream_poller*>(p)->throttle_.on_throttle(e);
    };
    if (destination_configured()) {
      k.deliver = [](void* p, const stream_failure_record& r, const batch_type& records) -> bool {
        auto& self = *static_cast<stream_poller*>(p);
        if constexpr (records_destination<destination_type, Stream>) {
          return static_cast<bool>(self.destination_.send(r, std::as_const(self.stream_), records));
        } else {
          return static_cast<bool>(self.destination_.send(r));
        }
      };
    }
    k.read = [](void* p, engine_type& e, std::uint32_t ordinal, std::uint64_t end) {
      auto& self = *static_cast<stream_poller*>(p);
      e.read_range(ordinal, end, self.filter_, self.parallelization_);
    };
    k.call = &call_handler;
    k.lost = [](void* p, std::string_view reason) noexcept {
      static_cast<stream_poller*>(p)->life_.lose("esm: " + std::string{reason});
    };
    return k;
  }

  // True unless the destination says it is absent (`configured()` false) or is `no_destination`.
  [[nodiscard]] bool destination_configured() const noexcept {
    if constexpr (std::is_same_v<destination_type, no_destination>) {
      return false;
    } else if constexpr (requires(const destination_type& d) { d.configured(); }) {
      return static_cast<bool>(destination_.configured());
    } else {
      return true;
    }
  }

  static batch_response call_handler(void* p, batch_type& b, invocation_context& ctx, const detail::window_io& w) {
    Handler& h = static_cast<stream_poller*>(p)->handler_;
    if constexpr (dual_handler) {
      if (w.in == nullptr) return detail::call_batch_handler(h, b, ctx); // windows are off
    }
    if constexpr (windowed_handler) {
      window_response r;
      if constexpr (std::is_invocable_r_v<window_response, Handler&, batch_type&, const window_context&,
                                          invocation_context&>) {
        r = h(b, *w.in, ctx);
      } else {
        r = h(b, *w.in);
      }
      *w.state_out = std::move(r.state);
      return batch_response{std::move(r.batch_item_failures)};
    } else {
      return detail::call_batch_handler(h, b, ctx);
    }
  }

  Stream& stream_;
  Handler handler_;
  batching_type batching_;
  parallelization_type parallelization_;
  retry_type retry_;
  throttle_type throttle_;
  destination_type destination_;
  window_type window_;
  filter_type filter_policy_;
  stream_options options_;
  detail::poller_filter<Stream, filter_type> filter_;
  std::optional<pending_update> pending_;
  detail::mapping_lifecycle life_; // destroyed after the engine; cancels its pending transition
  engine_type engine_; // last: destroyed first, before the policies it calls
};

template <class Stream, class Handler, class... Policies>
stream_poller(Stream&, function&, Handler, Policies...) -> stream_poller<Stream, Handler, Policies...>;

} // namespace esm
