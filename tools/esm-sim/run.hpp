#pragma once
/// \file run.hpp
/// esm-sim's engine: runs a scenario on the esm library in virtual time and samples it.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "scenario.hpp"

namespace esm_sim {

/// One row of the timeline: what happened during one sample interval (counts), and the state at
/// its end (gauges).
struct sample_row {
  double t = 0;                     ///< end of the interval, seconds from the start
  std::uint64_t records_in = 0;     ///< records written during the interval
  std::uint64_t processed = 0;      ///< records processed (checkpointed / deleted)
  std::uint64_t filtered = 0;       ///< records removed by the filter criteria
  std::uint64_t invocations = 0;    ///< invocations that ran
  std::uint64_t errors = 0;         ///< function errors and timeouts
  std::uint64_t throttles = 0;      ///< throttled invocations
  std::uint64_t retries = 0;        ///< retries after function errors
  std::uint64_t bisections = 0;     ///< batches split
  std::uint64_t dropped = 0;        ///< records dropped (discarded without destination, expired)
  std::uint64_t to_dlq = 0;         ///< records to the on-failure destination / DLQ
  std::uint64_t cold_starts = 0;    ///< cold starts
  double iterator_age_max = std::numeric_limits<double>::quiet_NaN();  ///< s; NaN: no invocation (or SQS)
  double iterator_age_mean = std::numeric_limits<double>::quiet_NaN(); ///< s
  std::uint64_t backlog = 0;        ///< records in the source not yet processed, at the end
  double oldest_age = std::numeric_limits<double>::quiet_NaN(); ///< SQS ApproximateAgeOfOldestMessage, s
  int concurrency = 0;              ///< invocations running at the end
  int concurrency_max = 0;          ///< most invocations running at once during the interval
  int target = 0;                   ///< SQS: the scaling target at the end (0 for streams)
};

/// What a run produced.
struct run_result {
  std::uint64_t records_in = 0;   ///< records written to the source
  std::uint64_t processed = 0;    ///< records processed
  std::uint64_t filtered = 0;     ///< removed by the filter criteria (`FilteredOutEventCount`)
  std::uint64_t dropped = 0;      ///< discarded without a destination, or expired
  std::uint64_t to_dlq = 0;       ///< to the on-failure destination (streams) / moved to the DLQ (SQS)
  std::uint64_t remaining = 0;    ///< still in the source at the end
  std::uint64_t rejected = 0;     ///< writes a Kinesis shard refused (`write_limits`); never in the source
  std::uint64_t invocations = 0;  ///< `Invocations`
  std::uint64_t errors = 0;       ///< `Errors` (function errors and timeouts)
  std::uint64_t timeouts = 0;     ///< the part of `errors` that timed out
  std::uint64_t throttles = 0;    ///< `Throttles`
  std::uint64_t retries = 0;      ///< retries after function errors
  std::uint64_t bisections = 0;   ///< batches split in two
  std::uint64_t cold_starts = 0;  ///< cold starts
  std::uint64_t duplicates = 0;   ///< SQS at-least-once extra deliveries
  std::uint64_t windows = 0;      ///< tumbling windows closed by a successful final invoke
  std::uint64_t window_records = 0; ///< records the closed windows' states counted
  double iterator_age_max = 0;    ///< s
  double iterator_age_p50 = 0;    ///< s, over invocations
  double iterator_age_p99 = 0;    ///< s, over invocations
  double oldest_message_age_max = 0; ///< s, over samples
  double oldest_message_age_p99 = 0; ///< s, over samples
  int concurrency_max = 0;        ///< most invocations at once
  double concurrency_mean = 0;    ///< busy time / run length
  int target_concurrency_max = 0; ///< SQS
  double time_to_target_max = 0;  ///< s: first sample at which the target reached its maximum
  double drain_time = std::numeric_limits<double>::infinity(); ///< s; infinity: not drained
  bool producing_at_end = false;  ///< a producer was still writing when the run ended
  std::vector<sample_row> timeline; ///< one row per sample interval
  std::uint64_t events = 0;       ///< simulation events run
  double virtual_seconds = 0;     ///< run length

  /// A metric by its catalogue name (`iterator_age_p99`, `dropped`...), durations in seconds.
  [[nodiscard]] double metric(std::string_view name) const;
};

/// Called after each sample with the fraction of the run done, in [0, 1].
using progress_fn = std::function<void(double)>;

/// Has the library validate the source and the function the scenario describes (by building
/// them on a scratch simulation): a value outside AWS's range throws `scenario_error` at its JSON
/// path with the library's message. `parse_scenario` calls it.
void check_with_library(const source_spec& src, const function_spec& f);

/// Runs a scenario. Deterministic: the same scenario gives the same result, bit for bit.
/// Throws `scenario_error` when the library rejects a combination the parser let through.
[[nodiscard]] run_result run_scenario(const scenario& s, const progress_fn& progress = {});

/// True when `value op goal.value` holds.
[[nodiscard]] bool goal_met(const goal& g, double value) noexcept;

} // namespace esm_sim
