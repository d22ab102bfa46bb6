#pragma once
/// \file estimate.hpp
/// esm-sim's resource guard: what a scenario will cost before it runs (records, records held at
/// the peak, invocations, simulation events, bytes), and the memory limit it is checked against.
/// docs/esm-sim.md ("Memory") documents the model and its calibration.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "scenario.hpp"

namespace esm_sim {

/// What a run of a scenario is expected to need. Figures err high: the model assumes the
/// mapping consumes no faster than its lanes (or SQS's scaling) allow, and that every record
/// younger than the retention period is kept (Kinesis and DynamoDB keep consumed records).
struct resource_estimate {
  double records = 0;     ///< records the producers write in the run
  double peak_held = 0;   ///< records held in the source at the peak
  double invocations = 0; ///< function invocations
  double events = 0;      ///< simulation events
  double bytes = 0;       ///< memory at the peak, bytes
  /// Why the peak is what it is: `24h retention`, `until consumed`, `the queue's backlog`.
  std::string held_reason;
};

/// Estimates a scenario's run (see `resource_estimate`).
[[nodiscard]] resource_estimate estimate_resources(const scenario& s);

/// The memory limit runs are checked against, and where it came from.
struct memory_limit {
  double bytes = 0;   ///< the limit
  std::string source; ///< `--max-memory`, `half of the physical memory (23.4 GiB)`, ...
};

/// The default limit: the smallest of half the physical memory, 80% of the cgroup v2 limit
/// (`/sys/fs/cgroup/memory.max`, when it is not `max`) and half the address-space limit
/// (`RLIMIT_AS`, when set).
[[nodiscard]] memory_limit default_memory_limit();

/// Parses a size: a number with an optional unit, `B`, `K`/`KB`/`KiB`, `M`/`MB`/`MiB`,
/// `G`/`GB`/`GiB`, `T`/`TB`/`TiB` (all powers of 1024; case-insensitive): `512MiB`, `8GiB`, `2G`,
/// `1.5g`, `1000000`. Returns nullopt for anything else, zero or more than 2^60 bytes.
[[nodiscard]] std::optional<double> parse_size(std::string_view text) noexcept;

/// A byte count as text with a binary unit: `812 MiB`, `9.1 GiB`.
[[nodiscard]] std::string bytes_text(double bytes);
/// A count as short text: `950` below a million, else `3.6e7`, `6.0e8`.
[[nodiscard]] std::string count_text(double n);

} // namespace esm_sim
