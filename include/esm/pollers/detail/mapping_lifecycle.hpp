#pragma once
/// \file esm/pollers/detail/mapping_lifecycle.hpp
/// The state machine behind a poller's `state()`, `update()`, `enable()`, `disable()` and
/// `delete_mapping()` (esm/pollers/lifecycle.hpp).

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/core/trace.hpp>
#include <esm/pollers/lifecycle.hpp>

namespace esm {
namespace detail {

/// The state machine a poller's facade drives: the state, the reason of the last change, and the
/// one transition in progress (its completion runs after its delay, as a simulation event).
/// Every change of state emits a `state` trace event (`state`, `reason`).
class mapping_lifecycle {
public:
  /// A mapping named `component` in traces (`esm/<name>`); `reason` is how AWS writes a user's
  /// change for this source (`User action` for streams, `USER_INITIATED` for SQS).
  mapping_lifecycle(simulation& sim, std::string component, std::string_view reason)
      : sim_(&sim), component_(std::move(component)), reason_(reason) {}
  mapping_lifecycle(const mapping_lifecycle&) = delete;
  mapping_lifecycle& operator=(const mapping_lifecycle&) = delete;
  ~mapping_lifecycle() { sim_->cancel(timer_); }

  [[nodiscard]] esm_state state() const noexcept { return state_; }
  [[nodiscard]] std::string_view reason() const noexcept { return reason_; }
  /// True once the mapping's function or event source was destroyed (`lose`).
  [[nodiscard]] bool lost() const noexcept { return lost_; }
  [[nodiscard]] bool in_transition() const noexcept {
    return state_ == esm_state::creating || state_ == esm_state::enabling || state_ == esm_state::disabling ||
           state_ == esm_state::updating || state_ == esm_state::deleting;
  }

  /// Throws `resource_not_found_error` after deletion, `resource_in_use_error` for `operation`
  /// (`update`, `enable`, `disable`) during a transition.
  void check_change(std::string_view operation, std::string_view arn) const {
    check_exists(operation, arn);
    if (lost_) {
      throw usage_error("cannot " + std::string{operation} + " the event source mapping " + std::string{arn} + ": " +
                        reason_);
    }
    if (in_transition()) {
      throw resource_in_use_error("ResourceInUseException: cannot " + std::string{operation} +
                                  " the event source mapping " + std::string{arn} + " while it is " +
                                  std::string{to_string(state_)} + " (try again once the transition ends)");
    }
  }
  /// Deleting is refused while `Updating` (or already `Deleting`), allowed in every other state.
  void check_delete(std::string_view arn) const {
    check_exists("delete", arn);
    if (state_ == esm_state::updating || state_ == esm_state::deleting) {
      throw resource_in_use_error("ResourceInUseException: cannot delete the event source mapping " + std::string{arn} +
                                  " while it is " + std::string{to_string(state_)});
    }
  }
  /// Throws `resource_not_found_error` once the mapping is deleted.
  void check_exists(std::string_view operation, std::string_view arn) const {
    if (state_ == esm_state::deleted) {
      throw resource_not_found_error("ResourceNotFoundException: cannot " + std::string{operation} +
                                     " the event source mapping " + std::string{arn} + ": it was deleted");
    }
  }

  /// Enters `during` now; after `delay` runs `done`, which returns the state to enter then (at
  /// once when `delay` is 0). A transition in progress is superseded (deletion during
  /// `Creating`, `Enabling` or `Disabling`): its completion does not run.
  void begin(esm_state during, duration delay, std::function<esm_state()> done) {
    sim_->cancel(timer_);
    enter(during);
    done_ = std::move(done);
    if (delay == duration::zero()) {
      finish();
    } else {
      timer_ = sim_->schedule_after(delay, [this] { finish(); });
    }
  }

  // The transitions both facades make on their engine (`start()`, `enable()`, `disable()`,
  // `identity()`): the engine outlives every pending transition (a facade declares its engine
  // after its lifecycle, and this destructor cancels the timer).

  /// `Creating` for `delay`, then the engine starts: `Enabled`, or `Disabled` if created so.
  template <class Engine>
  void create(Engine& engine, duration delay) {
    begin(esm_state::creating, delay, [&engine] {
      engine.start();
      return engine.enabled() ? esm_state::enabled : esm_state::disabled;
    });
  }
  /// `Enabling` for `delay`, then the engine polls; nothing if already `Enabled`.
  template <class Engine>
  void enable(Engine& engine, duration delay) {
    check_change("enable", engine.identity().arn());
    if (state_ == esm_state::enabled) return;
    begin(esm_state::enabling, delay, [&engine] {
      engine.enable();
      return esm_state::enabled;
    });
  }
  /// `Disabling` for `delay` (still polling), then the engine pauses; nothing if already `Disabled`.
  template <class Engine>
  void disable(Engine& engine, duration delay) {
    check_change("disable", engine.identity().arn());
    if (state_ == esm_state::disabled) return;
    begin(esm_state::disabling, delay, [&engine] {
      engine.disable();
      return esm_state::disabled;
    });
  }
  /// The engine reads nothing more from now on; `Deleting` for `delay`, then gone. The caller
  /// checked `check_delete` and took the configuration first.
  template <class Engine>
  void remove(Engine& engine, duration delay) {
    engine.disable();
    begin(esm_state::deleting, delay, [] { return esm_state::deleted; });
  }

  /// The mapping's function or event source was destroyed (`what` says which): a transition in
  /// progress ends without running, the mapping is `Disabled` for good (`Deleting`: deleted) with
  /// `what` as its reason, and `update`, `enable` and `disable` throw `usage_error` from now on.
  void lose(std::string what) noexcept {
    sim_->cancel(timer_);
    done_ = nullptr;
    lost_ = true;
    reason_ = std::move(what);
    enter(state_ == esm_state::deleting ? esm_state::deleted : esm_state::disabled);
  }

private:
  void finish() {
    auto done = std::move(done_);
    done_ = nullptr;
    enter(done());
  }
  void enter(esm_state s) {
    state_ = s;
    auto& tr = sim_->trace();
    if (!tr.active()) return;
    const trace_field fields[] = {{"state", to_string(s)}, {"reason", std::string_view{reason_}}};
    tr.emit(sim_->now(), component_, "state", [&] { return std::span<const trace_field>{fields}; });
  }

  simulation* sim_;
  std::string component_;
  std::string reason_;
  bool lost_ = false;
  esm_state state_ = esm_state::creating;
  std::function<esm_state()> done_;
  timer_id timer_{};
};

} // namespace detail
} // namespace esm
