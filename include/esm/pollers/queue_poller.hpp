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
/// poller.update({.maximum_concurrency = 100}); // like UpdateEventSourceMapping
/// poller.delete_mapping();                     // like DeleteEventSourceMapping: State Deleting
/// ```
/// Policies come in any order; each is found by its declared role or the concept it satisfies,
/// and a missing one gets AWS's default. The poller is a facade over
/// `detail::queue_engine<Queue>` (see there for the model of a poller).
///
/// The mapping has AWS's states (spec §7, esm/pollers/lifecycle.hpp): `Creating` (nothing is
/// received), `Enabling`, `Disabling`, `Updating` (the old settings apply until it ends) and
/// `Deleting`. How long each takes is `queue_options::transitions` (default: instant).

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
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
#include <esm/policies/error_backoff.hpp>
#include <esm/policies/roles.hpp>
#include <esm/policies/scaling.hpp>
#include <esm/policies/throttle.hpp>
#include <esm/policies/visibility.hpp>
#include <esm/pollers/configuration.hpp>
#include <esm/pollers/detail/mapping_lifecycle.hpp>
#include <esm/pollers/detail/queue_engine.hpp>
#include <esm/pollers/lifecycle.hpp>
#include <esm/pollers/metrics.hpp>
#include <esm/pollers/queue_batch.hpp>
#include <esm/pollers/record_filter.hpp>
#include <esm/sources/concepts.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm {

namespace detail {

/// How many queue-poller roles `P` plays.
template <class P>
inline constexpr int queue_roles_of = is_batching<P>::value + is_scaling<P>::value + is_visibility<P>::value +
                                      is_throttle<P>::value + is_error_backoff<P>::value + is_queue_options<P>::value +
                                      is_record_filter<P>::value;

/// Checks one policy of a queue poller (see `check_stream_policy`).
/// Asserts the concept of the role `P` declares, alone, so the compiler names the failing requirement.
template <class P>
constexpr bool check_declared_queue_role() {
  if constexpr (declares_role_of<P, batching_role>) {
    static_assert(batching_policy<P>,
                "esm::queue_poller: a type declaring esm::batching_role must satisfy esm::batching_policy "
                "(limits(source_kind) const, decide(const batch_candidate&), validate(source_kind) const)");
  }
  if constexpr (declares_role_of<P, scaling_role>) {
    static_assert(scaling_policy<P>,
                "esm::queue_poller: a type declaring esm::scaling_role must satisfy esm::scaling_policy "
                "(initial_concurrency() const, interval() const, next_target(const scaling_observation&), "
                "concurrency_cap() const, validate(source_kind) const)");
  }
  if constexpr (declares_role_of<P, visibility_role>) {
    static_assert(visibility_policy<P>,
                "esm::queue_poller: a type declaring esm::visibility_role must satisfy esm::visibility_policy "
                "(on_failure(const failed_message&) -> optional<duration>, validate() const)");
  }
  if constexpr (declares_role_of<P, throttle_role>) {
    static_assert(throttle_policy<P>,
                "esm::queue_poller: a type declaring esm::throttle_role must satisfy esm::throttle_policy "
                "(on_throttle(const throttle_event&) -> optional<duration>, validate() const)");
  }
  if constexpr (declares_role_of<P, error_backoff_role>) {
    static_assert(error_backoff_policy<P>,
                "esm::queue_poller: a type declaring esm::error_backoff_role must satisfy esm::error_backoff_policy "
                "(after_failures(const scaling_observation&) -> optional<int>)");
  }
  return true;
}

template <class P>
struct check_queue_policy {
  static_assert(!declares_role<P> || declares_role_of<P, batching_role> || declares_role_of<P, scaling_role> ||
                    declares_role_of<P, visibility_role> || declares_role_of<P, throttle_role> ||
                    declares_role_of<P, error_backoff_role>,
                "esm::queue_poller: this policy declares a role that SQS mappings do not have");
  static constexpr bool value = check_declared_queue_role<P>();
};
template <class P>
  requires(queue_roles_of<P> == 0 && !declares_role<P>)
struct check_queue_policy<P> : unknown_policy_type<P> {
  static constexpr bool value = false;
};
template <class P>
  requires(queue_roles_of<P> > 1)
struct check_queue_policy<P> : ambiguous_policy_type<P> {
  static constexpr bool value = false;
};

/// `Queue::message_type`, or a placeholder for a type that is not a queue source (so that the
/// poller's static_assert, not a missing-type error, reports it).
struct not_a_queue_message {};
template <class Q>
struct queue_message_of {
  using type = not_a_queue_message;
};
template <class Q>
  requires requires { typename Q::message_type; }
struct queue_message_of<Q> {
  using type = typename Q::message_type;
};

} // namespace detail

/// An event source mapping from an SQS queue to a function.
///
/// Template parameters: `Queue` (`esm::sqs_queue<Body>` or `esm::sqs_fifo_queue<Body>`),
/// `Handler` (an `esm::handler` of `esm::queue_batch<Queue::message_type>`), and `Policies...` in
/// any order: a `batching_policy` (default 10 messages, no window), a `scaling_policy` (default
/// `esm::sqs_scaling{}`), a `visibility_policy` (default `esm::queue_visibility{}`), a
/// `throttle_policy` (default 1 s doubling to 8 s), an `error_backoff_policy` (default
/// `esm::sqs_error_backoff{}`: one concurrent batch less per interval with failures), a filter (`esm::filter_criteria`, or a
/// predicate: `esm::record_filter` / `esm::message_filter`), and `esm::queue_options`. Each may
/// appear once.
///
/// Lifetime: the queue and the function must outlive the poller. Not thread-safe.
template <class Queue, class Handler, class... Policies>
class queue_poller final {
public:
  static_assert(queue_source<Queue>,
                "esm::queue_poller: the source must satisfy esm::queue_source (esm/sources/concepts.hpp)");
  using message_type = typename detail::queue_message_of<Queue>::type; ///< what the queue stores
  using batch_type = queue_batch<message_type>;                         ///< what the handler receives
  using batching_type = typename detail::policy_type<detail::is_batching, batching, Policies...>::type; ///< batching
  using scaling_type = typename detail::policy_type<detail::is_scaling, sqs_scaling, Policies...>::type; ///< scaling
  using visibility_type =
      typename detail::policy_type<detail::is_visibility, queue_visibility, Policies...>::type; ///< visibility
  using throttle_type = typename detail::policy_type<detail::is_throttle, throttle_backoff, Policies...>::type; ///< throttles
  using error_backoff_type =
      typename detail::policy_type<detail::is_error_backoff, sqs_error_backoff, Policies...>::type; ///< error backoff
  using filter_type = typename detail::policy_type<detail::is_record_filter, detail::keep_all, Policies...>::type; ///< filter

  static_assert(!is_stream(Queue::kind), "esm::queue_poller reads SQS queues (use esm::stream_poller for streams)");
  static_assert(handler<Handler, batch_type>,
                "esm::queue_poller: the handler must be callable as h(const esm::queue_batch<Message>&) or "
                "h(batch, esm::invocation_context&), returning void or esm::batch_response");
  static_assert((detail::check_queue_policy<Policies>::value && ...),
                "esm::queue_poller: a policy fits no role, or more than one (see the type named above)");
  static_assert(detail::count_policies<detail::is_batching, Policies...> <= 1,
                "esm::queue_poller: two batching policies");
  static_assert(detail::count_policies<detail::is_scaling, Policies...> <= 1,
                "esm::queue_poller: two scaling policies");
  static_assert(detail::count_policies<detail::is_visibility, Policies...> <= 1,
                "esm::queue_poller: two visibility policies");
  static_assert(detail::count_policies<detail::is_throttle, Policies...> <= 1,
                "esm::queue_poller: two throttle policies");
  static_assert(detail::count_policies<detail::is_error_backoff, Policies...> <= 1,
                "esm::queue_poller: two error backoff policies");
  static_assert(detail::count_policies<detail::is_record_filter, Policies...> <= 1, "esm::queue_poller: two filters");
  static_assert(detail::count_policies<detail::is_queue_options, Policies...> <= 1,
                "esm::queue_poller: two queue_options");

  /// A mapping from `queue` to `fn` running `h`. Validates every parameter against AWS's ranges
  /// (`config_error`), including that the function timeout does not exceed the queue's
  /// visibility timeout, and enters `Creating`; once `transitions.create` has passed (at once by
  /// default) it is `Enabled` and polls, or `Disabled` when created with `enabled = false`.
  queue_poller(Queue& queue, function& fn, Handler h, Policies... policies)
      : queue_(queue), handler_(std::move(h)),
        batching_(detail::take_policy<detail::is_batching, batching_type>(policies...)),
        scaling_(detail::take_policy<detail::is_scaling, scaling_type>(policies...)),
        visibility_(detail::take_policy<detail::is_visibility, visibility_type>(policies...)),
        throttle_(take_throttle(policies...)),
        error_backoff_(detail::take_policy<detail::is_error_backoff, error_backoff_type>(policies...)),
        filter_policy_(detail::take_policy<detail::is_record_filter, filter_type>(policies...)),
        options_(detail::take_policy<detail::is_queue_options, queue_options>(policies...)),
        filter_(queue, filter_policy_, where()), life_(queue.sim(), "esm/" + options_.name, "USER_INITIATED"),
        engine_(queue, fn, hooks(), settings_of(batching_, scaling_, fn, options_), options_) {
    visibility_.validate();
    throttle_.validate();
    options_.transitions.validate(where());
    life_.create(engine_, options_.transitions.create);
  }

  queue_poller(const queue_poller&) = delete;
  queue_poller& operator=(const queue_poller&) = delete;

  /// Cumulative metrics (spec §6).
  [[nodiscard]] const esm_metrics& metrics() const noexcept { return engine_.metrics(); }
  /// `UUID` and `EventSourceMappingArn` (esm/pollers/mapping_identity.hpp): seeded, distinct per
  /// mapping of the simulation.
  [[nodiscard]] const mapping_identity& identity() const noexcept { return engine_.identity(); }
  /// `State`; `esm_state::deleted` once a deletion has completed.
  [[nodiscard]] esm_state state() const noexcept { return life_.state(); }
  /// `StateTransitionReason` of the last change: `USER_INITIATED`, as AWS writes it for SQS.
  [[nodiscard]] std::string_view state_transition_reason() const noexcept { return life_.reason(); }
  /// `LastProcessingResult`: `No records processed`, `OK` or `PROBLEM: Function call failed`.
  [[nodiscard]] std::string_view last_processing_result() const noexcept { return engine_.last_processing_result(); }
  /// The batch size in effect.
  [[nodiscard]] std::size_t batch_size() const noexcept { return engine_.settings().limits.max_records; }
  /// Concurrent batches the scaling policy allows now.
  [[nodiscard]] int target_concurrency() const noexcept { return engine_.target_concurrency(); }
  /// The visibility timeout the mapping receives with (the queue's, or the DG-2023 extension).
  [[nodiscard]] duration receive_visibility_timeout() const noexcept { return engine_.receive_visibility_timeout(); }

  /// The policy of type `T` the poller holds (read-only: change a live mapping with `update()`).
  template <class T>
  [[nodiscard]] const T& policy() const noexcept {
    if constexpr (std::is_same_v<T, batching_type>) return batching_;
    else if constexpr (std::is_same_v<T, scaling_type>) return scaling_;
    else if constexpr (std::is_same_v<T, visibility_type>) return visibility_;
    else if constexpr (std::is_same_v<T, throttle_type>) return throttle_;
    else if constexpr (std::is_same_v<T, error_backoff_type>) return error_backoff_;
    else if constexpr (std::is_same_v<T, filter_type>) return filter_policy_;
    else if constexpr (std::is_same_v<T, queue_options>) return options_;
    else static_assert(sizeof(T) == 0, "esm::queue_poller::policy<T>: T is not a policy type of this poller");
  }

  /// `GetEventSourceMapping`: every parameter, the state and `LastProcessingResult`. Throws
  /// `resource_not_found_error` once the mapping is deleted.
  [[nodiscard]] queue_mapping_configuration configuration() const {
    life_.check_exists("get", engine_.identity().arn());
    queue_mapping_configuration c;
    c.name = options_.name;
    c.uuid = std::string{engine_.identity().uuid()};
    c.event_source_mapping_arn = engine_.identity().arn();
    c.kind = Queue::kind;
    c.event_source_arn = engine_.source_arn();
    c.function_name = engine_.function_name();
    c.state = state();
    c.state_transition_reason = std::string{life_.reason()};
    c.last_processing_result = std::string{last_processing_result()};
    c.batch_size = static_cast<int>(engine_.settings().limits.max_records);
    if constexpr (std::is_same_v<batching_type, batching>) c.maximum_batching_window = batching_.window;
    c.maximum_concurrency = engine_.settings().concurrency_cap;
    c.report_batch_item_failures = engine_.settings().report_batch_item_failures;
    if constexpr (std::is_same_v<filter_type, filter_criteria>) {
      std::vector<std::string> p;
      for (std::size_t i = 0; i < filter_policy_.size(); ++i) p.push_back(filter_policy_.pattern(i));
      c.filter_patterns = std::move(p);
    }
    return c;
  }

  /// `UpdateEventSourceMapping`: changes the set fields, validated exactly as at creation (a
  /// `config_error` leaves the mapping unchanged). The mapping is `Updating` for
  /// `transitions.update` (at once by default), under its old settings; then batches gathered
  /// use the new ones, and a batch in flight finishes under the old ones. A parameter of a
  /// user-written policy is a `usage_error`. During another transition (`Creating`, `Enabling`,
  /// `Disabling`, `Updating`, `Deleting`) it throws `resource_in_use_error`; once deleted,
  /// `resource_not_found_error`.
  void update(const queue_mapping_update& u) {
    life_.check_change("update", engine_.identity().arn());
    batching_type b = batching_;
    scaling_type sc = scaling_;
    queue_options o = options_;
    if (u.batch_size || u.maximum_batching_window) {
      if constexpr (std::is_same_v<batching_type, batching>) {
        if (u.batch_size) b.batch_size = *u.batch_size;
        if (u.maximum_batching_window) b.window = *u.maximum_batching_window;
      } else {
        user_policy("batch_size / maximum_batching_window", "batching");
      }
    }
    if (u.maximum_concurrency) {
      if constexpr (requires { sc.maximum_concurrency = *u.maximum_concurrency; }) {
        sc.maximum_concurrency = *u.maximum_concurrency;
      } else {
        user_policy("maximum_concurrency", "scaling");
      }
    }
    if (u.report_batch_item_failures) o.report_batch_item_failures = *u.report_batch_item_failures;
    function& fn = u.function_target != nullptr ? *u.function_target : engine_.target();
    std::optional<filter_type> f;
    if (u.filter_patterns) {
      if constexpr (std::is_same_v<filter_type, filter_criteria>) {
        f.emplace(std::span<const std::string>{*u.filter_patterns}, filter_policy_.max_filters());
        detail::poller_filter<Queue, filter_type> check{queue_, *f, where()}; // validates the keys
      } else {
        throw usage_error("esm::queue_poller::update: filter_patterns needs a mapping created with "
                          "esm::filter_criteria (an empty one keeps every message)");
      }
    }
    const detail::queue_settings s = settings_of(b, sc, fn, o);
    pending_.emplace(pending_update{std::move(b), std::move(sc), o.report_batch_item_failures, std::move(f), s,
                                    u.function_target, u.enabled});
    life_.begin(esm_state::updating, options_.transitions.update, [this] {
      commit_update();
      return engine_.enabled() ? esm_state::enabled : esm_state::disabled;
    });
  }

  /// Resumes polling (`Enabled = true`): `Enabling` for `transitions.enable` (still not
  /// polling), then `Enabled`. Nothing happens if already `Enabled`. Errors as `update()`.
  void enable() { life_.enable(engine_, options_.transitions.enable); }
  /// Pauses polling and invocation (`Enabled = false`): `Disabling` for `transitions.disable`
  /// (still polling), then `Disabled`. Invocations in flight complete (and delete what
  /// succeeded); batches being gathered are dropped, their messages return after the visibility
  /// timeout. Nothing happens if already `Disabled`. Errors as `update()`.
  void disable() { life_.disable(engine_, options_.transitions.disable); }

  /// `DeleteEventSourceMapping`: returns the configuration with `State` `Deleting`. From now on
  /// nothing more is received; invocations in flight finish (and delete what succeeded),
  /// batches being gathered are dropped (their messages return after the visibility timeout).
  /// After `transitions.remove` (at once by default) the mapping is gone: `state()` is
  /// `esm_state::deleted` and `configuration()`, `update()`, `enable()`, `disable()` and
  /// `delete_mapping()` throw `resource_not_found_error`. Deleting while `Updating` (or
  /// `Deleting`) throws `resource_in_use_error`, as on AWS; a deletion while `Creating`,
  /// `Enabling` or `Disabling` ends that transition. Metrics stay readable.
  queue_mapping_configuration delete_mapping() {
    life_.check_delete(engine_.identity().arn());
    queue_mapping_configuration c = configuration();
    c.state = esm_state::deleting;
    life_.remove(engine_, options_.transitions.remove);
    return c;
  }

private:
  using engine_type = detail::queue_engine<Queue>;

  // An update validated at the call, applied when `Updating` ends.
  struct pending_update {
    batching_type batching;
    scaling_type scaling;
    bool report_batch_item_failures;
    std::optional<filter_type> filter;
    detail::queue_settings settings;
    function* target;
    std::optional<bool> enabled;
  };

  void commit_update() {
    pending_update p = std::move(*pending_);
    pending_.reset();
    batching_ = std::move(p.batching);
    scaling_ = std::move(p.scaling);
    options_.report_batch_item_failures = p.report_batch_item_failures;
    if constexpr (std::is_same_v<filter_type, filter_criteria>) {
      if (p.filter) {
        filter_policy_ = std::move(*p.filter);
        filter_ = detail::poller_filter<Queue, filter_type>{queue_, filter_policy_, where()};
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

  static std::string where() { return std::string{"a "} + to_string(Queue::kind) + " event source mapping"; }
  [[noreturn]] static void user_policy(const char* parameter, const char* role) {
    throw usage_error(std::string{"esm::queue_poller::update: "} + parameter + " belongs to AWS's " + role +
                      " policy; this mapping has a user-written one (change it, or construct a new mapping)");
  }
  template <class... Ps>
  static throttle_type take_throttle(Ps&... ps) {
    if constexpr (detail::count_policies<detail::is_throttle, Ps...> == 0) {
      return throttle_backoff::sqs();
    } else {
      return detail::take_policy<detail::is_throttle, throttle_type>(ps...);
    }
  }

  // Validates as AWS does at creation and update.
  detail::queue_settings settings_of(const batching_type& b, const scaling_type& sc, const function& fn,
                                     const queue_options& o) const {
    const std::string where = this->where();
    b.validate(Queue::kind);
    sc.validate(Queue::kind);
    if (sc.interval() <= duration::zero()) {
      throw config_error("scaling interval", "(0s, +inf)", esm::to_string(sc.interval()), where);
    }
    const duration vt = queue_.config().visibility_timeout;
    if (fn.config().timeout > vt) {
      throw config_error("function timeout", "at most the queue's visibility timeout (" + esm::to_string(vt) + ")",
                         esm::to_string(fn.config().timeout), where + " on '" + queue_.name() + "'");
    }
    detail::queue_settings s;
    s.limits = detail::checked_limits(b.limits(Queue::kind), Queue::kind);
    // DG-2023 (spec §3.3): with a window, when window + timeout exceeds the visibility timeout,
    // the messages are received with window + timeout + 30 s.
    if constexpr (std::is_same_v<batching_type, batching>) {
      const duration window = b.effective_window(Queue::kind);
      if (window > duration::zero() && window + fn.config().timeout > vt) {
        s.visibility_override =
            std::min<duration>(window + fn.config().timeout + std::chrono::seconds{30}, std::chrono::hours{12});
      }
    }
    s.report_batch_item_failures = o.report_batch_item_failures;
    s.initial_concurrency = static_cast<int>(sc.initial_concurrency());
    s.interval = sc.interval();
    s.concurrency_cap = sc.concurrency_cap();
    return s;
  }

  detail::queue_hooks<Queue> hooks() {
    detail::queue_hooks<Queue> k;
    k.self = this;
    k.decide = [](void* p, const batch_candidate& c) -> batch_decision {
      return static_cast<queue_poller*>(p)->batching_.decide(c);
    };
    k.on_throttle = [](void* p, const throttle_event& e) -> std::optional<duration> {
      return static_cast<queue_poller*>(p)->throttle_.on_throttle(e);
    };
    k.next_target = [](void* p, const scaling_observation& o) -> int {
      auto& self = *static_cast<queue_poller*>(p);
      if (o.function_errors > 0 || o.throttles > 0) {
        if (const std::optional<int> t = self.error_backoff_.after_failures(o)) return *t;
      }
      return static_cast<int>(self.scaling_.next_target(o));
    };
    if constexpr (!std::is_same_v<visibility_type, queue_visibility>) {
      k.on_failed_message = [](void* p, const failed_message& m) -> std::optional<duration> {
        return static_cast<queue_poller*>(p)->visibility_.on_failure(m);
      };
    }
    if constexpr (!std::is_same_v<filter_type, detail::keep_all>) {
      k.filter = [](void* p, Queue& q, std::vector<receipt_handle>& rs) -> std::size_t {
        auto& self = *static_cast<queue_poller*>(p);
        std::size_t kept = 0;
        std::size_t dropped = 0;
        for (const receipt_handle r : rs) {
          const message_type* m = q.message(r);
          bool keep = true;
          try {
            keep = m == nullptr || self.filter_.keeps(*m);
          } catch (...) {
            // A predicate that throws: this message and the rest of the receive stay in flight,
            // unprocessed (they return when their visibility timeout ends), and the error
            // reaches the caller of the run once this event is done.
            q.sim().raise_after_event(std::current_exception());
            break;
          }
          if (!keep) {
            q.try_delete(r); // messages failing the filter are deleted (spec §3.4)
            ++dropped;
          } else {
            rs[kept++] = r;
          }
        }
        rs.resize(kept);
        return dropped;
      };
    }
    k.lost = [](void* p, std::string_view reason) noexcept {
      static_cast<queue_poller*>(p)->life_.lose("esm: " + std::string{reason});
    };
    k.call = [](void* p, batch_type& b, invocation_context& ctx) -> batch_response {
      return detail::call_batch_handler(static_cast<queue_poller*>(p)->handler_, b, ctx);
    };
    return k;
  }

  Queue& queue_;
  Handler handler_;
  batching_type batching_;
  scaling_type scaling_;
  visibility_type visibility_;
  throttle_type throttle_;
  error_backoff_type error_backoff_;
  filter_type filter_policy_;
  queue_options options_;
  detail::poller_filter<Queue, filter_type> filter_;
  std::optional<pending_update> pending_;
  detail::mapping_lifecycle life_; // destroyed after the engine; cancels its pending transition
  engine_type engine_; // last: destroyed first, before the policies it calls
};

template <class Queue, class Handler, class... Policies>
queue_poller(Queue&, function&, Handler, Policies...) -> queue_poller<Queue, Handler, Policies...>;

} // namespace esm
