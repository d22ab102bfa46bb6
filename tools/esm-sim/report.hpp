#pragma once
/// \file report.hpp
/// esm-sim's outputs: the terminal summary, goal verdicts, the timeline CSV, the JSON summary,
/// the SVG charts, and the comparison of a sweep.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run.hpp"
#include "scenario.hpp"

namespace esm_sim {

/// A goal and how the run did against it.
struct verdict {
  goal g;            ///< the goal
  double value = 0;  ///< the metric's value (seconds for durations)
  bool met = false;  ///< the goal holds
};
/// Every goal of the scenario, judged.
[[nodiscard]] std::vector<verdict> judge(const scenario& s, const run_result& r);

/// A metric's value as a person reads it: counts with thousands separators, durations with a
/// unit (`1.5s`, `4.2min`), `never` for an infinite drain time.
[[nodiscard]] std::string metric_text(std::string_view metric, double value);
/// `12,345`.
[[nodiscard]] std::string grouped(std::uint64_t v);

/// The summary a person reads in the terminal (no colour codes unless `color`).
[[nodiscard]] std::string summary_text(const scenario& s, const run_result& r, const std::vector<verdict>& v,
                                       double wall_seconds, bool color);
/// The timeline as CSV: a header, then one row per sample interval; `time_s` and then `columns`
/// (names from `timeline_column_names()`, in that order; empty: every column).
[[nodiscard]] std::string timeline_csv(const run_result& r, const std::vector<std::string>& columns = {});
/// The JSON summary: scenario, totals, every metric, goal verdicts, and the files written.
[[nodiscard]] nlohmann::json summary_json(const scenario& s, const run_result& r, const std::vector<verdict>& v,
                                          const std::vector<std::string>& files);
/// Writes the scenario's charts into `dir` as `<chart>.svg`; returns the file names.
std::vector<std::string> write_charts(const std::filesystem::path& dir, const scenario& s, const run_result& r);

/// One variant of a sweep.
struct variant {
  std::string value;     ///< the swept value as given (`1`, `10`, `null`)
  std::string dir_name;  ///< its output directory, `<key>=<value>`
  scenario s;            ///< the scenario with the value applied
  run_result r;          ///< what it did
  std::vector<verdict> verdicts; ///< its goals
};
/// The comparison table of a sweep over `key`.
[[nodiscard]] std::string sweep_table(const std::string& key, const std::vector<variant>& vs);
/// The sweep charts (the primary age metric and the backlog over time, one line per variant)
/// written into `dir`; returns the file names.
std::vector<std::string> write_sweep_charts(const std::filesystem::path& dir, const std::string& key,
                                            const std::vector<variant>& vs);
/// The sweep's JSON summary.
[[nodiscard]] nlohmann::json sweep_json(const std::string& key, const std::vector<variant>& vs);

/// Writes `text` to `file`; throws `std::runtime_error` naming the file on failure.
void write_file(const std::filesystem::path& file, const std::string& text);

} // namespace esm_sim
