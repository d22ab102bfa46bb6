/// @file chart.cpp
/// The SVG line-chart writer of esm-sim: layout, ticks and the SVG text.
#include "chart.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <limits>
#include <string_view>
#include <tuple>
#include <utility>

#include <fmt/format.h>

namespace esm_sim {

namespace {

/// Okabe–Ito (colour-blind friendly), without its yellow, which is unreadable on white.
constexpr std::array<const char*, 8> palette{"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                             "#CC79A7", "#56B4E9", "#000000", "#999999"};
constexpr const char* font_family = "DejaVu Sans, Helvetica, Arial, sans-serif";

constexpr double title_px = 16;
constexpr double subtitle_px = 12;
constexpr double label_px = 12;
constexpr double tick_px = 11;
constexpr double legend_px = 12;
constexpr double tick_len = 5;
constexpr double side_margin = 16;  // left of the title, right of the legend
constexpr double right_margin = 24; // room for half of the last x tick label
constexpr double swatch_len = 22;
constexpr double swatch_gap = 6;  // swatch to legend text
constexpr double legend_gap = 18; // legend item to the next
constexpr double legend_row = 18; // legend row height

using buffer = fmt::memory_buffer;

/// Text as XML character data or attribute value: & < > " ' escaped, control characters XML forbids dropped.
std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    switch (ch) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') break;
      out += ch;
    }
  }
  return out;
}

/// An estimate of the width of `s` in pixels at font size `px` (DejaVu Sans-like advances; generous for others).
double text_width(std::string_view s, double px, bool bold = false) {
  constexpr std::string_view narrow = "il.,;:'|!";
  constexpr std::string_view medium = "fjrt()[]{}- /";
  double em = 0;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) == 0x80) continue; // UTF-8 continuation byte
    if (c >= 0x80)
      em += 0.7;
    else if (narrow.find(ch) != std::string_view::npos)
      em += 0.32;
    else if (medium.find(ch) != std::string_view::npos)
      em += 0.4;
    else if (ch == 'm' || ch == 'w' || ch == 'M' || ch == 'W' || ch == '%')
      em += 0.95;
    else if (ch >= 'A' && ch <= 'Z')
      em += 0.72;
    else
      em += 0.62;
  }
  return em * px * (bold ? 1.1 : 1.0);
}

/// A coordinate with one decimal, never "-0.0".
std::string num(double v) {
  double r = std::round(v * 10) / 10;
  if (r == 0) r = 0;
  return fmt::format("{:.1f}", r);
}

/// A pixel position moved to the middle of its pixel, so 1px lines are crisp.
double crisp(double v) { return std::floor(v) + 0.5; }

/// Widens an empty range [v, v]: ±10% of v, or ±1 around 0.
std::pair<double, double> widen(double v) {
  const double d = v == 0 ? 1.0 : std::fabs(v) * 0.1;
  return {v - d, v + d};
}

/// "1.500" -> "1.5", "2.000" -> "2", "-0" -> "0".
std::string trim_zeros(std::string s) {
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

/// The value `i * m * 10^e`, computed so that e.g. 3 × 1 × 10^-1 is exactly the double 0.3.
double tick_value(double i, double m, int e) {
  const double v = e < 0 ? i * m / std::pow(10.0, -e) : i * m * std::pow(10.0, e);
  return v == 0 ? 0.0 : v; // no -0
}

/// A point of a line in pixels.
struct point {
  double x, y;
};

/// Rounds to the 0.1 px written to the SVG.
double tenth(double v) { return std::round(v * 10) / 10; }

/// The points of a run of data worth drawing, the drawing unchanged: per pixel column the first, lowest, highest
/// and last point (in data order), rounded to 0.1 px; repeated points and the middle of straight horizontal or
/// vertical stretches are dropped. Sparse data (less than a point per pixel) keeps every point.
std::vector<point> thin(const std::vector<point>& run) {
  std::vector<point> kept;
  const auto keep = [&kept](point p) {
    p = {tenth(p.x), tenth(p.y)};
    if (!kept.empty() && kept.back().x == p.x && kept.back().y == p.y) return;
    if (kept.size() >= 2) {
      const point a = kept[kept.size() - 2];
      const point b = kept.back();
      const bool horizontal = a.y == b.y && b.y == p.y && std::min(a.x, p.x) <= b.x && b.x <= std::max(a.x, p.x);
      const bool vertical = a.x == b.x && b.x == p.x && std::min(a.y, p.y) <= b.y && b.y <= std::max(a.y, p.y);
      if (horizontal || vertical) kept.pop_back();
    }
    kept.push_back(p);
  };
  for (std::size_t i = 0; i < run.size();) {
    const double column = std::floor(run[i].x);
    std::size_t j = i, low = i, high = i;
    for (; j < run.size() && std::floor(run[j].x) == column; ++j) {
      if (run[j].y < run[low].y) low = j;
      if (run[j].y > run[high].y) high = j;
    }
    const std::array<std::size_t, 4> picks{i, std::min(low, high), std::max(low, high), j - 1};
    for (std::size_t k = 0; k < picks.size(); ++k) {
      if (k == 0 || picks[k] != picks[k - 1]) keep(run[picks[k]]);
    }
    i = j;
  }
  return kept;
}

/// One legend entry, measured.
struct legend_item {
  std::size_t series;
  double width;
};

} // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (lo > hi) std::swap(lo, hi);
  if (lo == hi) std::tie(lo, hi) = widen(lo);
  target = std::max(target, 2);
  const double span = hi - lo;
  if (!std::isfinite(span) || span <= 0) return {lo, hi};
  const int k = static_cast<int>(std::floor(std::log10(span / (target - 1))));
  constexpr std::array<double, 4> mantissas{1, 2, 2.5, 5};
  bool found = false;
  double best_first = 0, best_last = 0, best_m = 1, best_step = 0;
  int best_e = 0;
  for (int e = k - 1; e <= k + 1; ++e) {
    for (const double m : mantissas) {
      const double step = tick_value(1, m, e);
      double first = std::floor(lo / step + 1e-9);
      double last = std::ceil(hi / step - 1e-9);
      if (tick_value(first, m, e) > lo) first -= 1;
      if (tick_value(last, m, e) < hi) last += 1;
      const double count = last - first + 1;
      if (!std::isfinite(count) || count > 10'000) continue;
      const double miss = std::fabs(count - target);
      const double best_count = best_last - best_first + 1;
      const double best_miss = std::fabs(best_count - target);
      // Closest to the target count; on a tie fewer ticks, then the smaller step (the tighter cover).
      if (!found || miss < best_miss || (miss == best_miss && count < best_count) ||
          (miss == best_miss && count == best_count && step < best_step)) {
        found = true;
        best_first = first;
        best_last = last;
        best_m = m;
        best_e = e;
        best_step = step;
      }
    }
  }
  if (!found) return {lo, hi};
  std::vector<double> ticks;
  for (double i = best_first; i <= best_last; i += 1) ticks.push_back(tick_value(i, best_m, best_e));
  return ticks;
}

std::string format_tick(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  const double a = std::fabs(v);
  if (a >= 1e6) return trim_zeros(fmt::format("{:.3f}", v / 1e6)) + "M";
  if (a >= 1e4) return trim_zeros(fmt::format("{:.3f}", v / 1e3)) + "k";
  return trim_zeros(fmt::format("{:.9f}", v));
}

time_unit pick_time_unit(double seconds) {
  if (!(seconds > 180)) return {1, "s"}; // also NaN
  if (seconds <= 3 * 3600) return {60, "min"};
  return {3600, "h"};
}

std::string render_svg(const chart& c, int width, int height) {
  width = std::max(width, 1);
  height = std::max(height, 1);
  const double W = width;
  const double H = height;
  const std::size_t n = c.x.size();

  // Data ranges: only finite (x, y) pairs count.
  bool any_x = false, any_point = false;
  double xlo = 0, xhi = 0, ylo = 0, yhi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = c.x[i];
    if (!std::isfinite(x)) continue;
    xlo = any_x ? std::min(xlo, x) : x;
    xhi = any_x ? std::max(xhi, x) : x;
    any_x = true;
    for (const auto& s : c.series) {
      if (i >= s.y.size() || !std::isfinite(s.y[i])) continue;
      ylo = any_point ? std::min(ylo, s.y[i]) : s.y[i];
      yhi = any_point ? std::max(yhi, s.y[i]) : s.y[i];
      any_point = true;
    }
  }
  if (!any_x) {
    xlo = 0;
    xhi = 1;
  } else if (xlo == xhi) {
    std::tie(xlo, xhi) = widen(xlo);
  }
  if (!any_point) {
    ylo = 0;
    yhi = 1;
  }
  if (c.y_from_zero) {
    ylo = std::min(ylo, 0.0);
    yhi = std::max(yhi, 0.0);
    if (ylo == yhi) yhi = 1;
  }

  buffer out;
  auto put = [&out](fmt::string_view text) { out.append(text.begin(), text.end()); };
  fmt::format_to(std::back_inserter(out),
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" "
                 "viewBox=\"0 0 {0} {1}\" font-family=\"{2}\">\n",
                 width, height, font_family);
  if (!c.title.empty()) fmt::format_to(std::back_inserter(out), "<title>{}</title>\n", escape(c.title));
  fmt::format_to(std::back_inserter(out), "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", width, height);

  // Header: title and subtitle, top-left.
  double header_bottom = 6;
  double header_right = side_margin;
  double title_baseline = 22;
  if (!c.title.empty()) {
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"bold\" fill=\"#111111\">{}</text>\n",
                   num(side_margin), num(title_baseline), title_px, escape(c.title));
    header_bottom = 28;
    header_right = std::max(header_right, side_margin + text_width(c.title, title_px, true));
  }
  if (!c.subtitle.empty()) {
    const double baseline = header_bottom + 15;
    fmt::format_to(std::back_inserter(out), "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"#666666\">{}</text>\n",
                   num(side_margin), num(baseline), subtitle_px, escape(c.subtitle));
    header_bottom += 19;
    header_right = std::max(header_right, side_margin + text_width(c.subtitle, subtitle_px));
    if (c.title.empty()) title_baseline = baseline;
  }

  // Legend: beside the title (top-right) when it fits on one line there, else right-aligned rows above the plot.
  std::vector<std::vector<legend_item>> rows;
  std::vector<double> row_widths;
  const double legend_right = W - right_margin;
  const double legend_room = std::max(legend_right - side_margin, 1.0);
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const double w = swatch_len + swatch_gap + text_width(c.series[i].name, legend_px);
    if (rows.empty() || row_widths.back() + legend_gap + w > legend_room) {
      rows.emplace_back();
      row_widths.push_back(w);
    } else {
      row_widths.back() += legend_gap + w;
    }
    rows.back().push_back({i, w});
  }
  double plot_top = header_bottom + 12;
  std::vector<double> row_baselines;
  const bool legend_beside_title =
      rows.size() == 1 && header_bottom > 6 && header_right + 32 + row_widths.front() <= legend_right;
  if (legend_beside_title) {
    row_baselines.push_back(title_baseline);
  } else {
    for (std::size_t r = 0; r < rows.size(); ++r) row_baselines.push_back(header_bottom + 14 + legend_row * r);
    if (!rows.empty()) plot_top = header_bottom + legend_row * rows.size() + 14;
  }

  // Plot area: the bottom margin holds x tick labels and the x label, the left one y tick labels and the y label.
  const double bottom_margin = c.x_label.empty() ? 28 : 46;
  const double plot_bottom = std::max(H - bottom_margin, plot_top + 10);
  const double plot_h = plot_bottom - plot_top;
  std::vector<double> yticks = nice_ticks(ylo, yhi, std::clamp(static_cast<int>(plot_h / 45), 3, 8));
  if (yticks.size() < 2) yticks = {ylo, yhi};
  ylo = yticks.front();
  yhi = yticks.back();
  std::vector<std::string> ylabels;
  double ylabel_w = 0;
  for (const double t : yticks) {
    ylabels.push_back(format_tick(t));
    ylabel_w = std::max(ylabel_w, text_width(ylabels.back(), tick_px));
  }
  const double plot_left = (c.y_label.empty() ? 8 : 26) + ylabel_w + 6 + tick_len;
  const double plot_right = std::max(W - right_margin, plot_left + 10);
  const double plot_w = plot_right - plot_left;

  // x ticks inside the data range, as many as fit without their labels touching.
  std::vector<double> xticks;
  std::vector<std::string> xlabels;
  for (int target = std::clamp(static_cast<int>(plot_w / 90), 2, 10); target >= 2; --target) {
    xticks.clear();
    xlabels.clear();
    const double eps = (xhi - xlo) * 1e-9;
    double widest = 0;
    for (const double t : nice_ticks(xlo, xhi, target)) {
      if (t < xlo - eps || t > xhi + eps) continue;
      xticks.push_back(t);
      xlabels.push_back(format_tick(t));
      widest = std::max(widest, text_width(xlabels.back(), tick_px));
    }
    if (xticks.size() < 2 || (widest + 12) * static_cast<double>(xticks.size() - 1) <= plot_w) break;
  }

  const auto px = [&](double x) { return plot_left + (x - xlo) / (xhi - xlo) * plot_w; };
  const auto py = [&](double y) { return plot_bottom - (y - ylo) / (yhi - ylo) * plot_h; };

  // Grid at the y ticks, a darker zero line when 0 is inside, then the axes.
  put("<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n");
  for (const double t : yticks) {
    if (t == ylo) continue; // the x axis
    const double y = crisp(py(t));
    fmt::format_to(std::back_inserter(out), "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", num(plot_left), num(y),
                   num(plot_right), num(y));
  }
  put("</g>\n");
  if (ylo < 0 && yhi > 0) {
    const double y = crisp(py(0));
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#9a9a9a\" stroke-width=\"1\"/>\n",
                   num(plot_left), num(y), num(plot_right), num(y));
  }
  {
    const double ax = crisp(plot_left);
    const double ay = crisp(plot_bottom);
    fmt::format_to(std::back_inserter(out),
                   "<g stroke=\"#444444\" stroke-width=\"1\" fill=\"none\">\n"
                   "<path d=\"M{0},{1}V{2}H{3}\"/>\n",
                   num(ax), num(plot_top), num(ay), num(plot_right));
    for (const double t : yticks) {
      const double y = crisp(py(t));
      fmt::format_to(std::back_inserter(out), "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", num(ax - tick_len),
                     num(y), num(ax), num(y));
    }
    for (const double t : xticks) {
      const double x = crisp(px(t));
      fmt::format_to(std::back_inserter(out), "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", num(x), num(ay),
                     num(x), num(ay + tick_len));
    }
    put("</g>\n");
  }
  fmt::format_to(std::back_inserter(out), "<g font-size=\"{}\" fill=\"#333333\" text-anchor=\"end\">\n", tick_px);
  for (std::size_t i = 0; i < yticks.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "<text x=\"{}\" y=\"{}\">{}</text>\n", num(plot_left - tick_len - 3),
                   num(py(yticks[i]) + 4), escape(ylabels[i]));
  }
  put("</g>\n");
  fmt::format_to(std::back_inserter(out), "<g font-size=\"{}\" fill=\"#333333\" text-anchor=\"middle\">\n", tick_px);
  for (std::size_t i = 0; i < xticks.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "<text x=\"{}\" y=\"{}\">{}</text>\n", num(px(xticks[i])),
                   num(plot_bottom + tick_len + 13), escape(xlabels[i]));
  }
  put("</g>\n");
  if (!c.x_label.empty()) {
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"#222222\" text-anchor=\"middle\">{}</text>\n",
                   num(plot_left + plot_w / 2), num(plot_bottom + 38), label_px, escape(c.x_label));
  }
  if (!c.y_label.empty()) {
    const double cy = plot_top + plot_h / 2;
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"16.0\" y=\"{0}\" font-size=\"{1}\" fill=\"#222222\" text-anchor=\"middle\" "
                   "transform=\"rotate(-90 16.0 {0})\">{2}</text>\n",
                   num(cy), label_px, escape(c.y_label));
  }
  if (!any_point) {
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"#999999\" text-anchor=\"middle\">no data</text>\n",
                   num(plot_left + plot_w / 2), num(plot_top + plot_h / 2 + 4), label_px);
  }

  // The series: one polyline per run of data without gaps; a lone point is a dot.
  std::vector<point> run;
  for (std::size_t s = 0; s < c.series.size(); ++s) {
    const auto& series = c.series[s];
    const char* colour = palette[s % palette.size()];
    fmt::format_to(std::back_inserter(out),
                   "<g fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\" {}>\n", colour,
                   series.dashed ? "stroke-dasharray=\"7 5\"" : "stroke-linecap=\"round\"");
    const auto flush = [&] {
      const std::vector<point> kept = thin(run);
      if (kept.size() == 1) {
        fmt::format_to(std::back_inserter(out), "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\" stroke=\"none\"/>\n",
                       num(kept.front().x), num(kept.front().y), colour);
      } else if (kept.size() > 1) {
        put("<polyline points=\"");
        for (std::size_t i = 0; i < kept.size(); ++i) {
          fmt::format_to(std::back_inserter(out), "{}{},{}", i > 0 ? " " : "", num(kept[i].x), num(kept[i].y));
        }
        put("\"/>\n");
      }
      run.clear();
    };
    for (std::size_t i = 0; i < n; ++i) {
      const double y = i < series.y.size() ? series.y[i] : std::numeric_limits<double>::quiet_NaN();
      const double X = px(c.x[i]);
      const double Y = py(y);
      if (!std::isfinite(X) || !std::isfinite(Y)) {
        flush();
        continue;
      }
      run.push_back({X, Y});
    }
    flush();
    put("</g>\n");
  }

  // The legend, drawn last so that nothing covers it.
  if (!rows.empty()) {
    fmt::format_to(std::back_inserter(out), "<g font-size=\"{}\" fill=\"#222222\">\n", legend_px);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      double x = legend_right - row_widths[r];
      const double base = row_baselines[r];
      for (const auto& item : rows[r]) {
        const auto& series = c.series[item.series];
        fmt::format_to(std::back_inserter(out),
                       "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}/>\n", num(x),
                       num(base - 4), num(x + swatch_len), num(base - 4), palette[item.series % palette.size()],
                       series.dashed ? 2 : 3, series.dashed ? " stroke-dasharray=\"5 3\"" : "");
        fmt::format_to(std::back_inserter(out), "<text x=\"{}\" y=\"{}\">{}</text>\n", num(x + swatch_len + swatch_gap),
                       num(base), escape(series.name));
        x += item.width + legend_gap;
      }
    }
    put("</g>\n");
  }
  put("</svg>\n");
  return fmt::to_string(out);
}

} // namespace esm_sim
