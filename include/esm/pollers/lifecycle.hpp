#pragma once
/// \file esm/pollers/lifecycle.hpp
/// The life of an event source mapping (spec §7): its `State` (`Creating`, `Enabling`, `Enabled`,
/// `Disabling`, `Disabled`, `Updating`, `Deleting`), the `StateTransitionReason` of the last
/// change, how long each transition takes (`esm::mapping_transitions`, a parameter of the model:
/// instant by default), and the errors AWS gives for a change while one is in progress.
///
/// ```cpp
/// // Creation takes 3 minutes, as "several minutes" on AWS: LATEST misses what is written meanwhile.
/// esm::stream_poller p{orders, fn, handler, esm::starting_position::latest(),
///                      esm::stream_options{.transitions = esm::mapping_transitions::eventual()}};
/// p.state();           // esm_state::creating
/// sim.run_for(3min);   // now esm_state::enabled, reading from the end of each shard as it is now
/// p.delete_mapping();  // esm_state::deleting: in-flight invocations finish, nothing more is read
/// ```

#include <chrono>
#include <cstdint>
#include <string_view>
#include <utility>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>

namespace esm {

/// The state of an event source mapping (`State`), and `deleted` once a deletion has completed
/// (AWS then answers `ResourceNotFoundException`).
enum class esm_state : std::uint8_t {
  creating,  ///< `Creating`: nothing is read yet
  enabling,  ///< `Enabling`: still disabled until the transition ends
  enabled,   ///< `Enabled`: polling
  disabling, ///< `Disabling`: still polling until the transition ends
  disabled,  ///< `Disabled`: nothing new is read or invoked
  updating,  ///< `Updating`: the old settings apply until the transition ends
  deleting,  ///< `Deleting`: in-flight invocations finish, nothing more is read
  deleted,   ///< gone (not an AWS state: `GetEventSourceMapping` fails with `ResourceNotFoundException`)
};

/// `State` as AWS writes it (`Creating`, ..., `Deleting`); `Deleted` for `esm_state::deleted`.
[[nodiscard]] constexpr std::string_view to_string(esm_state s) noexcept {
  switch (s) {
  case esm_state::creating:
    return "Creating";
  case esm_state::enabling:
    return "Enabling";
  case esm_state::enabled:
    return "Enabled";
  case esm_state::disabling:
    return "Disabling";
  case esm_state::disabled:
    return "Disabled";
  case esm_state::updating:
    return "Updating";
  case esm_state::deleting:
    return "Deleting";
  case esm_state::deleted:
    return "Deleted";
  }
  return "Enabled";
}

/// How long each transition of a mapping takes, in virtual time: a parameter of the model, since
/// AWS publishes no figure ("create and update take effect eventually", "removal might take
/// several seconds"). Each is a duration in [0s, 1h]; default 0 (instant: the state passes through
/// the transitional one at the same instant, which keeps runs exact).
struct mapping_transitions {
  duration create = duration::zero();  ///< `Creating` → `Enabled` / `Disabled`
  duration enable = duration::zero();  ///< `Enabling` → `Enabled`
  duration disable = duration::zero(); ///< `Disabling` → `Disabled`
  duration update = duration::zero();  ///< `Updating` → back to `Enabled` / `Disabled`, new settings applied
  duration remove = duration::zero();  ///< `Deleting` → gone

  /// Transitions as slow as AWS says they can be: create, enable, disable and update 3 minutes
  /// ("several minutes": a LATEST mapping misses the records written meanwhile, spec §1 point 9),
  /// delete 5 seconds ("several seconds"). Illustrative figures, not measurements.
  [[nodiscard]] static constexpr mapping_transitions eventual() noexcept {
    using std::chrono::minutes;
    using std::chrono::seconds;
    return {minutes{3}, minutes{3}, minutes{3}, minutes{3}, seconds{5}};
  }

  /// Throws `config_error` naming the first delay outside [0s, 1h].
  void validate(std::string_view where) const {
    const std::pair<const char*, duration> all[] = {{"transitions.create", create},
                                                    {"transitions.enable", enable},
                                                    {"transitions.disable", disable},
                                                    {"transitions.update", update},
                                                    {"transitions.remove", remove}};
    for (const auto& [name, d] : all) {
      detail::check_range<duration>(name, d, duration::zero(), std::chrono::hours{1}, where);
    }
  }
};

/// A change refused because the mapping is in a transition that does not allow it (AWS's
/// `ResourceInUseException`, 400): updating while `Creating`, deleting while `Updating`, and (in
/// this model) any change while another transition is in progress.
class resource_in_use_error : public usage_error {
public:
  using usage_error::usage_error;
};

/// A call on a mapping whose deletion has completed (AWS's `ResourceNotFoundException`, 404).
class resource_not_found_error : public usage_error {
public:
  using usage_error::usage_error;
};

} // namespace esm
