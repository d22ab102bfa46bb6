// The scenarios shipped under examples/scenarios/: each reproduces a situation the AWS
// documentation describes, and each test checks the outcome the documentation predicts (the spec
// section is in the test's name), beyond the goals the file itself states.
#include <algorithm>
#include <filesystem>
#include <string>

#include "accounting.hpp"
#include "report.hpp"
#include "run.hpp"
#include "scenario.hpp"
#include "support/catch.hpp"

namespace {

struct loaded {
  esm_sim::scenario s;
  esm_sim::run_result r;
};

loaded run_file(const char* name, std::initializer_list<std::string_view> sets = {}) {
  const std::filesystem::path file = std::filesystem::path{ESM_SCENARIOS_DIR} / name;
  auto doc = esm_sim::load_json(file);
  for (const auto s : sets) esm_sim::apply_override(doc, s);
  loaded l{esm_sim::parse_scenario(doc, file.parent_path()), {}};
  l.r = esm_sim::run_scenario(l.s);
  return l;
}

void check_goals(const loaded& l) {
  for (const auto& v : esm_sim::judge(l.s, l.r)) {
    INFO(v.g.text << " -> " << v.value);
    CHECK(v.met);
  }
}

using esm_sim_test::check_accounted;

const esm_sim::sample_row& at(const esm_sim::run_result& r, double t) {
  const auto it = std::find_if(r.timeline.begin(), r.timeline.end(), [t](const auto& row) { return row.t >= t; });
  REQUIRE(it != r.timeline.end());
  return *it;
}

// The largest iterator age of the samples in (t0, t1].
double max_age_between(const esm_sim::run_result& r, double t0, double t1) {
  double m = 0;
  for (const auto& row : r.timeline)
    if (row.t > t0 && row.t <= t1) m = std::max(m, row.iterator_age_max);
  return m;
}

} // namespace

TEST_CASE("poison-blocks-shard: with default retries a poison record blocks its shard (spec 2.2)",
          "[esm-sim][scenarios]") {
  const auto l = run_file("poison-blocks-shard.json");
  check_goals(l);
  check_accounted(l.r);
  // Record 6,000 arrives at 300 s (20 records/s). From then on its shard's batch fails forever:
  // nothing is dropped, nothing is sent anywhere, and the iterator age grows with the clock.
  // Retries back off to one a minute (fidelity S5), so each minute has one invocation of the
  // blocked batch, whose age is its time since the record arrived.
  CHECK(l.r.dropped == 0);
  CHECK(l.r.to_dlq == 0);
  CHECK(l.r.errors == l.r.retries);
  CHECK(l.r.retries >= 28); // 0.25 s doubling to 60 s: 8 retries in the first 64 s, then one a minute
  CHECK(l.r.retries <= 33);
  const double age_at_20min = max_age_between(l.r, 1200 - 61, 1200);
  const double age_at_30min = max_age_between(l.r, 1800 - 61, 1800);
  CHECK(age_at_20min == Approx(1200 - 300 - 30).margin(36));
  CHECK(age_at_30min == Approx(1800 - 300 - 30).margin(36));
  // The other shard keeps going: its records are processed, so about half of what arrived after
  // the poison record is stuck behind it.
  const double after = 20.0 * (1800 - 300);
  CHECK(static_cast<double>(l.r.remaining) > 0.4 * after);
  CHECK(static_cast<double>(l.r.remaining) < 0.6 * after);
  CHECK(at(l.r, 1500).processed > 0);
}

TEST_CASE("bisect-isolates-poison: bisection isolates the poison record, which alone goes to the on-failure "
          "destination (spec 2.3, 2.4, 2.6)",
          "[esm-sim][scenarios]") {
  const auto l = run_file("bisect-isolates-poison.json");
  check_goals(l);
  check_accounted(l.r);
  CHECK(l.r.to_dlq == 1);
  CHECK(l.r.processed == l.r.records_in - 1);
  // Splitting does not use retries; the single record uses MaximumRetryAttempts (2) before it is
  // discarded: 3 invocations of it alone, 2 of them retries.
  CHECK(l.r.retries == 2);
  CHECK(l.r.bisections >= 3);
  CHECK(l.r.errors == l.r.bisections + 3);
  CHECK(l.r.iterator_age_max < 60);
}

TEST_CASE("parallelization-hot-backlog: ParallelizationFactor 10 processes a shard's backlog 10 batches at a time "
          "(spec 2.1)",
          "[esm-sim][scenarios]") {
  const auto ten = run_file("parallelization-hot-backlog.json");
  const auto one = run_file("parallelization-hot-backlog.json", {"mapping.parallelization_factor=1"});
  check_goals(ten);
  check_accounted(ten.r);
  check_accounted(one.r);
  // Concurrency ≤ shards × factor, reached under a backlog.
  CHECK(ten.r.concurrency_max == 10);
  CHECK(one.r.concurrency_max == 1);
  // The backlog drains several times faster (not exactly 10×: batches are polled per shard).
  CHECK(one.r.drain_time > 5 * ten.r.drain_time);
  CHECK(ten.r.processed == 30000);
  CHECK(one.r.processed == 30000);
}

TEST_CASE("sqs-scale-up: 5 concurrent batches at first, +300 per minute while messages remain, the 1,250 ceiling "
          "in about 4 minutes (spec 3.1)",
          "[esm-sim][scenarios]") {
  const auto l = run_file("sqs-scale-up.json");
  check_goals(l);
  check_accounted(l.r);
  CHECK(l.r.timeline.front().target >= 5);
  // 5 + one step per 200 ms. A sample at t is the state just before t, and a step lands exactly
  // on t, so after 30 s: 5 + 150 = 155 with the step at 30 s, 154 just before it.
  CHECK(at(l.r, 30).target == 154);
  CHECK(at(l.r, 60).target == 304);  // 5 + 300/min × 1 min − 1
  CHECK(at(l.r, 120).target == 604); // 5 + 600 − 1
  CHECK(l.r.target_concurrency_max == 1250);
  CHECK(l.r.time_to_target_max == Approx(249.0).margin(5)); // (1,250 − 5) / 300 per minute = 4.15 min
  // The 2022 behaviour (+60 per minute, ceiling 1,000) is five times slower.
  const auto old = run_file("sqs-scale-up.json", {"mapping.scaling=2022"});
  CHECK(at(old.r, 60).target == 64); // 5 + 60/min × 1 min − 1
  CHECK(old.r.target_concurrency_max < 1000);
  CHECK(old.r.drain_time > l.r.drain_time);
}

TEST_CASE("sqs-overpull: reserved concurrency below the pollers sends messages that never failed to the DLQ; "
          "MaximumConcurrency fixes it (spec 3.2, 3.7)",
          "[esm-sim][scenarios]") {
  const auto over = run_file("sqs-overpull.json");
  const auto fixed = run_file("sqs-overpull-fixed.json");
  check_goals(over);
  check_goals(fixed);
  check_accounted(over.r);
  check_accounted(fixed.r);
  // The function never fails: every DLQ arrival was throttled, not failed.
  CHECK(over.r.errors == 0);
  CHECK(over.r.throttles > 0);
  CHECK(over.r.to_dlq > 0);
  CHECK(over.r.target_concurrency_max > 2);
  CHECK(fixed.r.throttles == 0);
  CHECK(fixed.r.to_dlq == 0);
  CHECK(fixed.r.processed == fixed.r.records_in);
  CHECK(fixed.r.target_concurrency_max == 2);
  CHECK(over.r.records_in == fixed.r.records_in); // the same load (same seed)
}

TEST_CASE("fifo-failing-group: one failing message group retries until its messages reach the DLQ, the others flow "
          "(spec 3.4, 3.6)",
          "[esm-sim][scenarios]") {
  const auto l = run_file("fifo-failing-group.json");
  check_goals(l);
  check_accounted(l.r);
  // 49 healthy groups × 1 message/s × 600 s, every one processed; the failing group's 60
  // messages each received 3 times (maxReceiveCount), then moved to the DLQ.
  CHECK(l.r.processed == 29400);
  CHECK(l.r.to_dlq == 60);
  CHECK(l.r.errors == 0); // partial batch responses: the invocations themselves succeed
  CHECK(l.r.retries == 120); // each failing message handed over 3 times: 2 redeliveries × 60
  // The failing group holds its messages back for maxReceiveCount × the visibility timeout.
  CHECK(l.r.oldest_message_age_max >= 90);
  // Without partial batch responses a failing message fails its whole batch: invocations fail,
  // and healthy messages that shared a batch with it return and are delayed too.
  const auto whole = run_file("fifo-failing-group.json", {"mapping.report_batch_item_failures=false"});
  check_accounted(whole.r);
  CHECK(whole.r.errors > 0);
  CHECK(whole.r.to_dlq >= 60);
}

TEST_CASE("tumbling-window: each window of each shard ends with one final invoke holding its state (spec 2.7)",
          "[esm-sim][scenarios]") {
  const auto l = run_file("tumbling-window.json");
  check_goals(l);
  check_accounted(l.r);
  // 9 minutes of records in 60 s windows on 2 shards: 18 windows, whose states count every record.
  CHECK(l.r.windows == 18);
  CHECK(l.r.window_records == l.r.records_in);
  CHECK(l.r.records_in == 54000);
  const auto two_min = run_file("tumbling-window.json", {"mapping.tumbling_window=\"120s\""});
  CHECK(two_min.r.windows == 10); // 4.5 windows per shard: 5 each
  CHECK(two_min.r.window_records == 54000);
}

TEST_CASE("capacity-10-shards: concurrency is at most shards × ParallelizationFactor, and a lane at capacity falls "
          "behind (spec 2.1)",
          "[esm-sim][scenarios]") {
  // Two simulated minutes instead of the file's hour, to keep the test short.
  const auto two = run_file("capacity-10-shards.json", {"duration=\"2min\"", "sample_interval=\"5s\""});
  check_goals(two);
  check_accounted(two.r);
  CHECK(two.r.records_in == 1'200'000);
  CHECK(two.r.concurrency_max == 20);
  CHECK(two.r.iterator_age_p99 < 1.0);
  // Factor 1: 100 records per 100 ms per shard is exactly the arrival rate; polling overhead makes
  // the lane fall behind, and the iterator age grows through the run.
  const auto one = run_file("capacity-10-shards.json",
                            {"duration=\"2min\"", "sample_interval=\"5s\"", "mapping.parallelization_factor=1"});
  check_accounted(one.r);
  CHECK(one.r.concurrency_max == 10);
  CHECK(one.r.iterator_age_max > 2.0);
  CHECK(one.r.timeline.back().backlog > two.r.timeline.back().backlog);
}
