#pragma once
// Test helper for esm-sim runs: no record is lost silently.
#include "run.hpp"
#include "support/catch.hpp"

namespace esm_sim_test {

/// Every record written ended processed, filtered, dropped, at the destination / in the DLQ, or is
/// still in the source.
inline void check_accounted(const esm_sim::run_result& r) {
  INFO("in " << r.records_in << " processed " << r.processed << " filtered " << r.filtered << " dropped "
             << r.dropped << " to_dlq " << r.to_dlq << " remaining " << r.remaining);
  CHECK(r.records_in == r.processed + r.filtered + r.dropped + r.to_dlq + r.remaining);
}

} // namespace esm_sim_test
