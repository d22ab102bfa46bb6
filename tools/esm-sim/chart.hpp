#pragma once
/// @file chart.hpp
/// SVG line charts for esm-sim reports: a title, axes with "nice" ticks, one line per series and a legend.
/// The output is a standalone SVG 1.1 document meant to be pasted into a design doc or converted to PNG.

#include <string>
#include <vector>

/// The esm-sim command-line tool.
namespace esm_sim {

/// One line of a chart.
struct chart_series {
  /// The legend label, e.g. "max per interval".
  std::string name;
  /// One value per x of the chart; NaN (or infinity) means no data: a gap in the line.
  std::vector<double> y;
  /// A reference line, e.g. a limit ("reserved concurrency"): drawn dashed.
  bool dashed = false;
};

/// A line chart: series sharing one x axis.
struct chart {
  /// The title, e.g. "Iterator age".
  std::string title;
  /// A smaller second line, e.g. "kinesis, 4 shards, 1,000 records/s" (may be empty).
  std::string subtitle;
  /// The x axis label, e.g. "time (min)" (may be empty).
  std::string x_label;
  /// The y axis label, e.g. "iterator age (s)" (may be empty).
  std::string y_label;
  /// The x values shared by all series, ascending.
  std::vector<double> x;
  /// The lines, drawn in order, each in the next colour of a colour-blind-friendly palette.
  std::vector<chart_series> series;
  /// The y axis starts at 0 (counts, ages); false: it fits the data's min..max.
  bool y_from_zero = true;
};

/// The chart as a standalone SVG 1.1 document (width x height pixels, with a matching viewBox).
/// Deterministic: the same chart gives the same bytes. Never throws on odd data (no series, empty x,
/// all-NaN or constant series); a width or height below 1 is taken as 1.
std::string render_svg(const chart& c, int width = 800, int height = 400);

/// "Nice" axis ticks covering [lo, hi]: steps of 1, 2 or 2.5, 5 × 10^k, about `target` ticks, first tick <= lo,
/// last >= hi. lo > hi are swapped; lo == hi is widened (to ±10%, or ±1 around 0); non-finite bounds give {}.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

/// A tick label: no trailing zeros ("0.5", "2", "150"), thousands as "12k", "1.5M" (≥ 10,000 → k; ≥ 10^6 → M).
std::string format_tick(double v);

/// A unit of time for an x axis: x values in seconds are divided by `seconds_per_unit`.
struct time_unit {
  /// Seconds in one unit: 1, 60 or 3600.
  double seconds_per_unit;
  /// The unit's name for the axis label: "s", "min" or "h".
  const char* name;
};

/// The time unit for an x axis whose span is `seconds`: {1, "s"} up to 3 min, {60, "min"} up to 3 h, {3600, "h"} above.
time_unit pick_time_unit(double seconds);

} // namespace esm_sim
