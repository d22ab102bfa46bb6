// Tests of tools/esm-sim/chart.hpp: nice ticks, tick labels, time units and the SVG line charts.
#include "chart.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/catch.hpp"

namespace {

constexpr double no_data = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

/// How often `needle` occurs in `haystack`.
std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

/// The ticks equal `expected` (within rounding).
void check_ticks(const std::vector<double>& ticks, const std::vector<double>& expected) {
  INFO("ticks: " << Catch::Detail::stringify(ticks));
  REQUIRE(ticks.size() == expected.size());
  for (std::size_t i = 0; i < ticks.size(); ++i) CHECK(ticks[i] == Approx(expected[i]).margin(1e-12));
}

/// The step is 1, 2, 2.5 or 5 times a power of ten, the ticks are evenly spaced and cover [lo, hi].
void check_nice(double lo, double hi, int target) {
  INFO("range " << lo << ".." << hi << ", target " << target);
  const auto ticks = esm_sim::nice_ticks(lo, hi, target);
  INFO("ticks: " << Catch::Detail::stringify(ticks));
  REQUIRE(ticks.size() >= 2);
  CHECK(ticks.front() <= lo);
  CHECK(ticks.back() >= hi);
  CHECK(static_cast<int>(ticks.size()) >= target / 2);
  CHECK(static_cast<int>(ticks.size()) <= 2 * target);
  const double step = ticks[1] - ticks[0];
  for (std::size_t i = 1; i < ticks.size(); ++i) CHECK(ticks[i] - ticks[i - 1] == Approx(step).epsilon(1e-9));
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
  const bool nice = std::fabs(mantissa - 1) < 1e-9 || std::fabs(mantissa - 2) < 1e-9 ||
                    std::fabs(mantissa - 2.5) < 1e-9 || std::fabs(mantissa - 5) < 1e-9;
  CHECK(nice);
}

/// The coordinates of the first `<polyline points="...">` at or after `from` in `svg`.
std::vector<std::pair<double, double>> polyline_points(const std::string& svg, std::size_t from = 0) {
  std::vector<std::pair<double, double>> points;
  const std::string open = "<polyline points=\"";
  const auto start = svg.find(open, from);
  if (start == std::string::npos) return points;
  const auto begin = start + open.size();
  const std::string list = svg.substr(begin, svg.find('"', begin) - begin);
  std::size_t at = 0;
  while (at < list.size()) {
    auto end = list.find(' ', at);
    if (end == std::string::npos) end = list.size();
    const std::string pair = list.substr(at, end - at);
    const auto comma = pair.find(',');
    points.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
    at = end + 1;
  }
  return points;
}

/// A basic well-formedness check: one svg element, balanced groups and texts, no non-numbers leaked.
void check_well_formed(const std::string& svg, int width = 800, int height = 400) {
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(count(svg, "<svg") == 1);
  CHECK(count(svg, "</svg>") == 1);
  CHECK(svg.size() >= 7);
  CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
  CHECK(count(svg, "<g ") + count(svg, "<g>") == count(svg, "</g>"));
  CHECK(count(svg, "<text") == count(svg, "</text>"));
  CHECK(count(svg, "<title>") == count(svg, "</title>"));
  CHECK(count(svg, "<") == count(svg, ">"));
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("inf") == std::string::npos);
  CHECK(svg.find(" width=\"" + std::to_string(width) + "\"") != std::string::npos);
  CHECK(svg.find(" height=\"" + std::to_string(height) + "\"") != std::string::npos);
  CHECK(svg.find("viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) + "\"") != std::string::npos);
}

/// A chart of two series over 0..59 minutes, one of them a dashed limit.
esm_sim::chart sample_chart() {
  esm_sim::chart c;
  c.title = "Iterator age";
  c.subtitle = "kinesis, 4 shards, 1,000 records/s";
  c.x_label = "time (min)";
  c.y_label = "iterator age (s)";
  esm_sim::chart_series age{"max per interval", {}, false};
  esm_sim::chart_series limit{"alarm threshold", {}, true};
  for (int i = 0; i < 60; ++i) {
    c.x.push_back(i);
    age.y.push_back(10 + (i % 7) * 3.5);
    limit.y.push_back(30);
  }
  c.series = {age, limit};
  return c;
}

} // namespace

TEST_CASE("nice_ticks covers a range with about the target count of 1-2-2.5-5 steps", "[esm-sim][chart]") {
  check_ticks(esm_sim::nice_ticks(0, 1), {0, 0.2, 0.4, 0.6, 0.8, 1});
  check_ticks(esm_sim::nice_ticks(0, 7.3), {0, 2, 4, 6, 8});
  check_ticks(esm_sim::nice_ticks(0, 1234), {0, 250, 500, 750, 1000, 1250});
  check_ticks(esm_sim::nice_ticks(0.3, 0.7), {0.3, 0.4, 0.5, 0.6, 0.7});
  check_ticks(esm_sim::nice_ticks(1e9, 3.2e9), {1e9, 1.5e9, 2e9, 2.5e9, 3e9, 3.5e9});
  check_ticks(esm_sim::nice_ticks(0, 100, 3), {0, 50, 100});
  // Exact decimal ticks, not 0.30000000000000004.
  CHECK(esm_sim::nice_ticks(0.3, 0.7).front() == 0.3);
}

TEST_CASE("nice_ticks handles negative, reversed and empty ranges", "[esm-sim][chart]") {
  check_ticks(esm_sim::nice_ticks(-7.3, -1), {-8, -6, -4, -2, 0});
  check_ticks(esm_sim::nice_ticks(-5, 5), {-5, -2.5, 0, 2.5, 5});
  check_ticks(esm_sim::nice_ticks(-1234, -2), {-1250, -1000, -750, -500, -250, 0});
  check_ticks(esm_sim::nice_ticks(7.3, 0), {0, 2, 4, 6, 8});
  // lo == hi is widened around the value.
  check_ticks(esm_sim::nice_ticks(3, 3), {2.6, 2.8, 3, 3.2, 3.4});
  check_ticks(esm_sim::nice_ticks(0, 0), {-1, -0.5, 0, 0.5, 1});
  check_ticks(esm_sim::nice_ticks(-3, -3), {-3.4, -3.2, -3, -2.8, -2.6});
  CHECK(esm_sim::nice_ticks(no_data, 1).empty());
  CHECK(esm_sim::nice_ticks(0, infinity).empty());
}

TEST_CASE("nice_ticks gives nice, covering steps over many ranges and targets", "[esm-sim][chart]") {
  const double ranges[][2] = {{0, 1},          {0, 7.3},   {0, 1234},      {3, 3},        {-7.3, -1}, {-5, 5},
                              {0.001, 0.0042}, {17, 17.5}, {1e9, 1e9 + 7}, {-2e6, 3.1e6}, {0, 59.5},  {120, 3600}};
  for (const auto& r : ranges) {
    for (const int target : {3, 5, 6, 8, 10}) {
      if (r[0] == r[1]) continue; // widened: covered above
      check_nice(r[0], r[1], target);
    }
  }
}

TEST_CASE("format_tick drops trailing zeros and abbreviates thousands and millions", "[esm-sim][chart]") {
  CHECK(esm_sim::format_tick(0) == "0");
  CHECK(esm_sim::format_tick(-0.0) == "0");
  CHECK(esm_sim::format_tick(0.5) == "0.5");
  CHECK(esm_sim::format_tick(2) == "2");
  CHECK(esm_sim::format_tick(150) == "150");
  CHECK(esm_sim::format_tick(0.25) == "0.25");
  CHECK(esm_sim::format_tick(0.1 + 0.2) == "0.3");
  CHECK(esm_sim::format_tick(-2.5) == "-2.5");
  CHECK(esm_sim::format_tick(1250) == "1250");
  CHECK(esm_sim::format_tick(9999) == "9999");
  CHECK(esm_sim::format_tick(10000) == "10k");
  CHECK(esm_sim::format_tick(12000) == "12k");
  CHECK(esm_sim::format_tick(12500) == "12.5k");
  CHECK(esm_sim::format_tick(-25000) == "-25k");
  CHECK(esm_sim::format_tick(1e6) == "1M");
  CHECK(esm_sim::format_tick(1.5e6) == "1.5M");
  CHECK(esm_sim::format_tick(2.25e7) == "22.5M");
  CHECK(esm_sim::format_tick(1e9) == "1000M");
}

TEST_CASE("pick_time_unit uses seconds up to 3 min, minutes up to 3 h, then hours", "[esm-sim][chart]") {
  CHECK(std::string(esm_sim::pick_time_unit(0).name) == "s");
  CHECK(std::string(esm_sim::pick_time_unit(180).name) == "s");
  CHECK(esm_sim::pick_time_unit(180).seconds_per_unit == 1);
  CHECK(std::string(esm_sim::pick_time_unit(181).name) == "min");
  CHECK(esm_sim::pick_time_unit(3600).seconds_per_unit == 60);
  CHECK(std::string(esm_sim::pick_time_unit(3 * 3600).name) == "min");
  CHECK(std::string(esm_sim::pick_time_unit(3 * 3600 + 1).name) == "h");
  CHECK(esm_sim::pick_time_unit(86400).seconds_per_unit == 3600);
}

TEST_CASE("render_svg writes a standalone SVG document with title, axes and legend", "[esm-sim][chart]") {
  const std::string svg = esm_sim::render_svg(sample_chart());
  check_well_formed(svg);
  CHECK(svg.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  CHECK(svg.find(">Iterator age</text>") != std::string::npos);
  CHECK(svg.find(">kinesis, 4 shards, 1,000 records/s</text>") != std::string::npos);
  CHECK(svg.find(">time (min)</text>") != std::string::npos);
  CHECK(svg.find("rotate(-90") != std::string::npos);
  CHECK(svg.find(">iterator age (s)</text>") != std::string::npos);
  CHECK(svg.find(">max per interval</text>") != std::string::npos);
  CHECK(svg.find(">alarm threshold</text>") != std::string::npos);
  CHECK(svg.find("sans-serif") != std::string::npos);
  CHECK(count(svg, "<polyline") == 2);
  // Two distinct colours, one per series.
  CHECK(svg.find("stroke=\"#0072B2\"") != std::string::npos);
  CHECK(svg.find("stroke=\"#E69F00\"") != std::string::npos);
  // y from zero: 0 is a y tick; the data reach 31, so 35 (or 40) ends the axis.
  CHECK(svg.find(">0</text>") != std::string::npos);
  const esm_sim::chart c = sample_chart();
  CHECK(esm_sim::render_svg(c, 640, 300).find("width=\"640\" height=\"300\" viewBox=\"0 0 640 300\"") !=
        std::string::npos);
}

TEST_CASE("render_svg escapes XML special characters in all text", "[esm-sim][chart]") {
  esm_sim::chart c = sample_chart();
  c.title = "a < b & \"c\"";
  c.subtitle = "it's <sub>";
  c.x_label = "x & y";
  c.y_label = "<y>";
  c.series[0].name = "a < b & \"c\"";
  const std::string svg = esm_sim::render_svg(c);
  check_well_formed(svg);
  CHECK(svg.find("a < b") == std::string::npos);
  CHECK(svg.find("<sub>") == std::string::npos);
  CHECK(svg.find("<y>") == std::string::npos);
  CHECK(count(svg, "a &lt; b &amp; &quot;c&quot;") == 3); // <title>, the visible title, the legend
  CHECK(svg.find("it&apos;s &lt;sub&gt;") != std::string::npos);
  CHECK(svg.find(">x &amp; y</text>") != std::string::npos);
  CHECK(svg.find(">&lt;y&gt;</text>") != std::string::npos);
}

TEST_CASE("a NaN breaks a series into separate polylines, a lone point is a dot", "[esm-sim][chart]") {
  esm_sim::chart c;
  c.title = "gaps";
  c.x = {0, 1, 2, 3, 4, 5, 6, 7};
  c.series = {{"with a gap", {1, 2, no_data, 4, 5, 6, 7, 8}, false}};
  std::string svg = esm_sim::render_svg(c);
  check_well_formed(svg);
  CHECK(count(svg, "<polyline") == 2);
  CHECK(polyline_points(svg).size() == 2);
  CHECK(polyline_points(svg, svg.find("<polyline") + 1).size() == 5);
  CHECK(count(svg, "<circle") == 0);

  c.series = {{"isolated", {1, 2, no_data, 4, no_data, 6, infinity, 8}, false}};
  svg = esm_sim::render_svg(c);
  check_well_formed(svg);
  CHECK(count(svg, "<polyline") == 1);
  CHECK(count(svg, "<circle") == 3); // 4, 6 and 8 stand alone
}

TEST_CASE("a dashed series is drawn and listed with stroke-dasharray", "[esm-sim][chart]") {
  esm_sim::chart c = sample_chart();
  std::string svg = esm_sim::render_svg(c);
  CHECK(count(svg, "stroke-dasharray") == 2); // the line and its legend swatch
  c.series[1].dashed = false;
  svg = esm_sim::render_svg(c);
  CHECK(count(svg, "stroke-dasharray") == 0);
}

TEST_CASE("render_svg is deterministic", "[esm-sim][chart]") {
  const esm_sim::chart c = sample_chart();
  const std::string first = esm_sim::render_svg(c);
  CHECK(first == esm_sim::render_svg(c));
  CHECK(first != esm_sim::render_svg(c, 801, 400));
}

TEST_CASE("sparse series keep every point, dense ones stay compact and keep their peaks", "[esm-sim][chart]") {
  esm_sim::chart c;
  c.title = "points";
  for (int i = 0; i < 40; ++i) c.x.push_back(i);
  esm_sim::chart_series zigzag{"zigzag", {}, false};
  for (int i = 0; i < 40; ++i) zigzag.y.push_back(i % 2 == 0 ? 1 : 3);
  c.series = {zigzag};
  CHECK(polyline_points(esm_sim::render_svg(c)).size() == 40);

  // 10,000 points, one spike up to 100, and a reference line at 100 at both ends.
  c.x.clear();
  esm_sim::chart_series dense{"dense", {}, false};
  esm_sim::chart_series top{"top", {}, true};
  for (int i = 0; i < 10'000; ++i) {
    c.x.push_back(i * 0.5);
    dense.y.push_back(i == 6'789 ? 100 : 40 + (i % 13));
    top.y.push_back(i < 500 || i >= 9'500 ? 100 : no_data);
  }
  c.series = {dense, top};
  const std::string svg = esm_sim::render_svg(c);
  check_well_formed(svg);
  CHECK(svg.size() < 60'000);
  CHECK(count(svg, "<polyline") == 3);
  const auto line = polyline_points(svg);
  const auto reference = polyline_points(svg, svg.find("<polyline") + 1);
  REQUIRE(!line.empty());
  REQUIRE(!reference.empty());
  double highest = line.front().second;
  for (const auto& p : line) highest = std::min(highest, p.second);
  CHECK(highest == reference.front().second);
  // The line still spans the whole x range.
  CHECK(line.front().first < line.back().first);
}

TEST_CASE("y_from_zero starts the y axis at 0, otherwise it fits the data", "[esm-sim][chart]") {
  esm_sim::chart c;
  c.x = {1, 2, 3};
  c.series = {{"s", {50, 60, 70}, false}};
  CHECK(esm_sim::render_svg(c).find(">0</text>") != std::string::npos);
  c.y_from_zero = false;
  const std::string svg = esm_sim::render_svg(c);
  check_well_formed(svg);
  CHECK(svg.find(">0</text>") == std::string::npos);
  CHECK(svg.find(">50</text>") != std::string::npos);
  CHECK(svg.find(">70</text>") != std::string::npos);
}

TEST_CASE("render_svg copes with empty, degenerate and extreme charts", "[esm-sim][chart]") {
  std::vector<std::pair<std::string, esm_sim::chart>> cases;
  cases.emplace_back("nothing at all", esm_sim::chart{});
  cases.emplace_back("no series", esm_sim::chart{"no series", "", "t", "y", {0, 1, 2}, {}, true});
  cases.emplace_back("empty x", esm_sim::chart{"empty x", "sub", "t", "y", {}, {{"s", {1, 2}, false}}, true});
  cases.emplace_back("a single point", esm_sim::chart{"one", "", "t", "y", {5}, {{"s", {7}, false}}, false});
  cases.emplace_back(
      "all NaN",
      esm_sim::chart{"all missing", "", "t", "y", {1, 2, 3}, {{"s", {no_data, no_data, no_data}, true}}, true});
  cases.emplace_back("constant", esm_sim::chart{"flat", "", "t", "y", {0, 1, 2}, {{"s", {3, 3, 3}, false}}, false});
  cases.emplace_back("constant zero",
                     esm_sim::chart{"zero", "", "t", "y", {0, 1, 2}, {{"s", {0, 0, 0}, false}}, false});
  cases.emplace_back("negative", esm_sim::chart{"neg", "", "t", "y", {0, 1, 2}, {{"s", {-5, -1, -9}, false}}, true});
  cases.emplace_back("huge", esm_sim::chart{"huge", "", "t", "y", {0, 1, 2}, {{"s", {1e9, 3e9, 2e9}, false}}, true});
  cases.emplace_back("x not from 0",
                     esm_sim::chart{"late", "", "t", "y", {3600, 3660, 3720}, {{"s", {1, 2, 3}, false}}, true});
  cases.emplace_back("y shorter than x",
                     esm_sim::chart{"short", "", "t", "y", {0, 1, 2, 3}, {{"s", {1, 2}, false}}, true});
  cases.emplace_back(
      "infinite values",
      esm_sim::chart{"unbounded", "", "t", "y", {0, 1, no_data, 3}, {{"s", {infinity, 2, 3, -infinity}, false}}, true});
  esm_sim::chart many{"many series", "", "t", "y", {0, 1}, {}, true};
  for (int i = 0; i < 20; ++i)
    many.series.push_back({"series number " + std::to_string(i), {1.0 * i, 2.0 * i}, i % 3 == 0});
  cases.emplace_back("twenty series", many);
  for (const auto& [name, chart] : cases) {
    INFO(name);
    std::string svg;
    REQUIRE_NOTHROW(svg = esm_sim::render_svg(chart));
    check_well_formed(svg);
  }
  const esm_sim::chart c = sample_chart();
  std::string tiny;
  REQUIRE_NOTHROW(tiny = esm_sim::render_svg(c, 20, 10));
  check_well_formed(tiny, 20, 10);
  REQUIRE_NOTHROW(tiny = esm_sim::render_svg(c, 0, -5));
  check_well_formed(tiny, 1, 1);
}
