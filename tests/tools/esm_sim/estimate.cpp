// Tests of tools/esm-sim/estimate.hpp: the records, records held, invocations and bytes a
// scenario is expected to need before it runs, sizes as --max-memory reads them, and the default
// memory limit.
#include "estimate.hpp"

#include <unistd.h>

#include <cmath>
#include <string>

#include "support/catch.hpp"

using esm_sim::estimate_resources;
using json = nlohmann::json;

namespace {

esm_sim::scenario scenario_of(json doc) { return esm_sim::parse_scenario(doc); }

json stream(std::string_view retention, double rate, std::string_view duration = "10min") {
  return {{"duration", duration},
          {"source", {{"type", "kinesis"}, {"retention", retention}}},
          {"producers", json::array({{{"type", "constant"}, {"rate", rate}}})},
          {"mapping", {{"starting_position", "TRIM_HORIZON"}}}};
}

constexpr double MiB = 1024.0 * 1024;

} // namespace

TEST_CASE("a stream with a retention period holds every record younger than it", "[esm-sim][estimate]") {
  const auto e = estimate_resources(scenario_of(stream("24h", 1000)));
  CHECK(e.records == 600'000);
  CHECK(e.peak_held == 600'000); // consumed or not: Kinesis keeps them 24 h
  CHECK(e.held_reason == "24h retention");
  // 160 bytes a record (measured, docs/esm-sim.md), and a few MiB besides.
  CHECK(e.bytes >= 600'000 * 160.0);
  CHECK(e.bytes <= 600'000 * 160.0 + 16 * MiB);
}

TEST_CASE("an until_consumed stream that keeps up holds what arrives between polls", "[esm-sim][estimate]") {
  // One shard reads 1e4 records/s (batch 100, 10 ms), 8,192/s by the 2 MiB/s read limit, for 1,000 arriving.
  const auto e = estimate_resources(scenario_of(stream("until_consumed", 1000)));
  CHECK(e.held_reason == "until consumed");
  CHECK(e.peak_held >= 1000 * 1.01); // a poll (1 s) and an invocation (10 ms) worth of records
  CHECK(e.peak_held <= 1000 * 1.01 + 200);
  CHECK(e.invocations >= 600'000 / 100.0);
}

TEST_CASE("an until_consumed stream that falls behind holds the backlog", "[esm-sim][estimate]") {
  // Read at most 2 MiB/s of 256-byte records: 8,192 records/s of the 20,000 written.
  const auto e = estimate_resources(scenario_of(stream("until_consumed", 20'000, "1min")));
  const double backlog = (20'000 - 8192.0) * 60;
  CHECK(e.peak_held >= backlog);
  CHECK(e.peak_held <= backlog * 1.05 + 20'000 * 1.01);
}

TEST_CASE("a queue holds its backlog, and bursts count every record at their instant", "[esm-sim][estimate]") {
  json doc{{"duration", "1min"},
           {"source", {{"type", "sqs"}}},
           {"producers", json::array({{{"type", "bursts"}, {"count", 1000}, {"every", "10s"}}})},
           {"function", {{"reserved_concurrency", 1}, {"duration", "1s"}}}};
  auto e = estimate_resources(scenario_of(doc));
  CHECK(e.records == 6000); // bursts at 0, 10, ..., 50 s
  CHECK(e.held_reason == "the queue's backlog");
  // One invocation of 10 messages a second consumes 10/s: 1000 − 100 left after each burst's 10 s.
  CHECK(e.peak_held >= 6000 - 5 * 100);
  CHECK(e.peak_held <= 6000);
  doc["producers"][0] = {{"type", "bursts"}, {"count", 100'000'000}};
  e = estimate_resources(scenario_of(doc));
  CHECK(e.peak_held == 1e8);
  CHECK(e.bytes > 8 * 1024 * MiB); // over the 8 GiB
}

TEST_CASE("more lanes than concurrency: the estimate charges the throttle backoff", "[esm-sim][estimate]") {
  json doc = stream("until_consumed", 1e7, "1min");
  doc["source"]["shards"] = 100'000;
  const auto e = estimate_resources(scenario_of(doc));
  // 1,000 concurrent invocations of 100 records per 1.01 s (10 ms and the 1 s throttle backoff).
  const double capacity = 1000 * 100 / 1.01;
  CHECK(e.peak_held >= (1e7 - capacity) * 60);
  CHECK(e.bytes > 8 * 1024 * MiB);
}

TEST_CASE("sizes read as --max-memory reads them", "[esm-sim][estimate]") {
  using esm_sim::parse_size;
  CHECK(parse_size("512MiB") == 512 * MiB);
  CHECK(parse_size("8GiB") == 8 * 1024 * MiB);
  CHECK(parse_size("2G") == 2 * 1024 * MiB);
  CHECK(parse_size("1.5g") == 1.5 * 1024 * MiB);
  CHECK(parse_size("64kb") == 64 * 1024.0);
  CHECK(parse_size("1000000") == 1e6);
  CHECK(parse_size("1T") == 1024 * 1024 * MiB);
  for (const char* bad : {"", "G", "12XB", "-1G", "0", "0.5", "1e9", "8 GiB", "1..5G", "2000000000T"}) {
    INFO(bad);
    CHECK_FALSE(parse_size(bad).has_value());
  }
  CHECK(esm_sim::bytes_text(512 * MiB) == "512 MiB");
  CHECK(esm_sim::bytes_text(9.1 * 1024 * MiB) == "9.1 GiB");
  CHECK(esm_sim::bytes_text(100) == "100 B");
  CHECK(esm_sim::count_text(950) == "950");
  CHECK(esm_sim::count_text(6e8) == "6.0e8");
  CHECK(esm_sim::count_text(9.96e8) == "1.0e9");
}

TEST_CASE("the default memory limit is at most half the physical memory", "[esm-sim][estimate]") {
  const auto m = esm_sim::default_memory_limit();
  const double phys = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  CHECK(m.bytes > 0);
  CHECK(m.bytes <= phys / 2);
  CHECK_FALSE(m.source.empty());
}
