// Tests of tools/esm-sim/report.hpp: the terminal summary, goal verdicts, the timeline CSV, the
// JSON summary, the chart files and a sweep's comparison.
#include "report.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/catch.hpp"

using json = nlohmann::json;

namespace {

esm_sim::scenario make(std::initializer_list<std::string_view> sets = {}) {
  json doc{{"name", "report-test"},
           {"duration", "1min"},
           {"sample_interval", "10s"},
           {"source", {{"type", "kinesis"}, {"shards", 2}}},
           {"producers", json::array({{{"type", "constant"}, {"rate", 100}}})},
           {"function", {{"duration", "20ms"}}},
           {"mapping", {{"starting_position", "TRIM_HORIZON"}}},
           {"goals", json::array({"iterator_age_p99 < 60s", "dropped > 0"})}};
  for (const auto s : sets) esm_sim::apply_override(doc, s);
  return esm_sim::parse_scenario(doc);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

} // namespace

TEST_CASE("goals are judged against the run's metrics", "[esm-sim][report]") {
  const auto s = make();
  const auto r = esm_sim::run_scenario(s);
  const auto v = esm_sim::judge(s, r);
  REQUIRE(v.size() == 2);
  CHECK(v[0].met);
  CHECK(v[0].value == r.iterator_age_p99);
  CHECK_FALSE(v[1].met); // nothing was dropped
  CHECK(v[1].value == 0.0);
}

TEST_CASE("the terminal summary states records, invocations, ages, concurrency and each goal's verdict",
          "[esm-sim][report]") {
  const auto s = make();
  const auto r = esm_sim::run_scenario(s);
  const auto text = esm_sim::summary_text(s, r, esm_sim::judge(s, r), 0.25, false);
  CHECK(text.starts_with("report-test: kinesis, 2 shards, batch 100, handler 20ms\n"));
  CHECK(text.find("records       in 6,000  processed ") != std::string::npos);
  CHECK(text.find("iterator age  max ") != std::string::npos);
  CHECK(text.find("concurrency   max 2") != std::string::npos);
  CHECK(text.find("PASS  iterator_age_p99 < 60s") != std::string::npos);
  CHECK(text.find("FAIL  dropped > 0                        0") != std::string::npos);
  CHECK(text.find("\x1b[") == std::string::npos); // no colour codes unless asked
  CHECK(esm_sim::summary_text(s, r, esm_sim::judge(s, r), 0.25, true).find("\x1b[32mPASS") != std::string::npos);
  // SQS: the oldest message's age instead of the iterator age.
  const auto q = make({"source={\"type\":\"sqs\"}", "mapping={}", "goals=[]"});
  const auto qr = esm_sim::run_scenario(q);
  const auto qt = esm_sim::summary_text(q, qr, {}, 0.1, false);
  CHECK(qt.find("oldest message age  max ") != std::string::npos);
  CHECK(qt.find("iterator age") == std::string::npos);
  CHECK(qt.find("goals") == std::string::npos);
}

TEST_CASE("metric values read as a person writes them", "[esm-sim][report]") {
  CHECK(esm_sim::grouped(0) == "0");
  CHECK(esm_sim::grouped(999) == "999");
  CHECK(esm_sim::grouped(1000) == "1,000");
  CHECK(esm_sim::grouped(36000000) == "36,000,000");
  CHECK(esm_sim::metric_text("iterator_age_max", 0.25) == "250ms");
  CHECK(esm_sim::metric_text("iterator_age_max", 90) == "90s");
  CHECK(esm_sim::metric_text("iterator_age_max", 1500) == "25min");
  CHECK(esm_sim::metric_text("drain_time", std::numeric_limits<double>::infinity()) == "never");
  CHECK(esm_sim::metric_text("processed", 12345) == "12,345");
  CHECK(esm_sim::metric_text("concurrency_mean", 2.5) == "2.50");
}

TEST_CASE("the timeline CSV has a header and one row per sample interval", "[esm-sim][report]") {
  const auto s = make();
  const auto r = esm_sim::run_scenario(s);
  const auto csv = lines(esm_sim::timeline_csv(r));
  REQUIRE(csv.size() == 7);
  CHECK(csv[0] ==
        "time_s,records_in,processed,filtered,invocations,errors,throttles,retries,bisections,dropped,to_dlq,cold_starts,"
        "iterator_age_max_s,iterator_age_mean_s,backlog,oldest_message_age_s,concurrency,concurrency_max,"
        "target_concurrency");
  CHECK(csv[1].starts_with("10,1000,"));
  CHECK(csv[6].starts_with("60,1000,"));
  for (std::size_t i = 1; i < csv.size(); ++i) CHECK(std::count(csv[i].begin(), csv[i].end(), ',') == 18);
  // The scenario's `metrics` choose the columns, kept in the catalogue's order.
  const auto some = lines(esm_sim::timeline_csv(r, {"backlog", "records_in"}));
  CHECK(some[0] == "time_s,records_in,backlog");
  CHECK(some[1].starts_with("10,1000,"));
  CHECK(std::count(some[1].begin(), some[1].end(), ',') == 2);
}

TEST_CASE("the JSON summary carries every metric of the source, the goals and the files", "[esm-sim][report]") {
  const auto s = make({"producers.0.stop=\"50s\""});
  const auto r = esm_sim::run_scenario(s);
  const auto j = esm_sim::summary_json(s, r, esm_sim::judge(s, r), {"timeline.csv"});
  CHECK(j["scenario"] == "report-test");
  CHECK(j["source"] == "kinesis");
  CHECK(j["metrics"]["records_in"] == 5000.0);
  CHECK(j["metrics"].contains("iterator_age_p99"));
  CHECK_FALSE(j["metrics"].contains("oldest_message_age_max")); // an SQS metric
  CHECK(j["goals"].size() == 2);
  CHECK(j["goals"][1]["met"] == false);
  CHECK(j["goals_met"] == false);
  CHECK(j["files"][0] == "timeline.csv");
  CHECK(j["metrics"]["drain_time"] == 60.0); // the producer stopped at 50 s; empty at the 60 s sample
  // Never drained: JSON null (not infinity, which JSON cannot carry).
  const auto busy = esm_sim::run_scenario(make());
  CHECK(esm_sim::summary_json(make(), busy, {}, {})["metrics"]["drain_time"].is_null());
}

TEST_CASE("charts are written for the scenario's chart list", "[esm-sim][report]") {
  const auto dir = std::filesystem::temp_directory_path() / "esm_sim_report_charts";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto s = make({"charts=[\"iterator_age\",\"concurrency\"]", "function.reserved_concurrency=5"});
  const auto r = esm_sim::run_scenario(s);
  const auto files = esm_sim::write_charts(dir, s, r);
  CHECK(files == std::vector<std::string>{"iterator_age.svg", "concurrency.svg"});
  std::ifstream in{dir / "concurrency.svg"};
  const std::string svg{std::istreambuf_iterator<char>{in}, {}};
  CHECK(svg.starts_with("<svg") + svg.starts_with("<?xml") == 1);
  CHECK(svg.find("Concurrency") != std::string::npos);
  CHECK(svg.find("reserved concurrency") != std::string::npos);
  CHECK(svg.find("stroke-dasharray") != std::string::npos); // the limit is a dashed line
  CHECK_FALSE(std::filesystem::exists(dir / "backlog.svg"));
}

TEST_CASE("a sweep compares its variants in a table and a chart", "[esm-sim][report]") {
  std::vector<esm_sim::variant> vs;
  for (const char* f : {"1", "4"}) {
    esm_sim::variant v;
    v.value = f;
    v.dir_name = std::string{"mapping.parallelization_factor="} + f;
    v.s = make({"source.shards=1", "producers.0.rate=500", "function.duration=\"400ms\"",
                std::string{"mapping.parallelization_factor="} + f});
    v.r = esm_sim::run_scenario(v.s);
    v.verdicts = esm_sim::judge(v.s, v.r);
    vs.push_back(std::move(v));
  }
  const auto table = lines(esm_sim::sweep_table("mapping.parallelization_factor", vs));
  REQUIRE(table.size() == 3);
  CHECK(table[0].find("mapping.parallelization_factor  iterator_age_max") != std::string::npos);
  CHECK(table[1].find(" 1 ") != std::string::npos);
  CHECK(table[1].ends_with("1/2"));
  const auto dir = std::filesystem::temp_directory_path() / "esm_sim_report_sweep";
  std::filesystem::create_directories(dir);
  CHECK(esm_sim::write_sweep_charts(dir, "mapping.parallelization_factor", vs) ==
        std::vector<std::string>{"sweep_age.svg", "sweep_backlog.svg"});
  const auto j = esm_sim::sweep_json("mapping.parallelization_factor", vs);
  CHECK(j["variants"].size() == 2);
  CHECK(j["variants"][1]["metrics"]["concurrency_max"] == 4.0);
}
