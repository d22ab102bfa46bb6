// esm-sim: summaries, CSV, JSON and charts.
#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

#include <fmt/core.h>

#include "chart.hpp"

namespace esm_sim {

using json = nlohmann::json;

namespace {

const metric_info* find_metric(std::string_view name) {
  for (const auto& m : metrics_catalogue()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string seconds_text(double s) {
  if (std::isinf(s)) return "never";
  if (std::isnan(s)) return "n/a";
  const double a = std::abs(s);
  auto trim = [](std::string t) {
    if (t.find('.') != std::string::npos) {
      while (t.back() == '0') t.pop_back();
      if (t.back() == '.') t.pop_back();
    }
    return t;
  };
  if (a == 0) return "0s";
  if (a < 1) return trim(fmt::format("{:.1f}", s * 1e3)) + "ms";
  if (a < 180) return trim(fmt::format("{:.2f}", s)) + "s";
  if (a < 3 * 3600) return trim(fmt::format("{:.1f}", s / 60)) + "min";
  return trim(fmt::format("{:.2f}", s / 3600)) + "h";
}

// Words of `text` on lines of at most `width` characters, each starting with `indent`.
std::string wrap(const std::string& text, std::size_t width, const std::string& indent) {
  std::string out;
  std::string line = indent;
  std::size_t from = 0;
  while (from < text.size()) {
    auto to = text.find(' ', from);
    if (to == std::string::npos) to = text.size();
    const std::string word = text.substr(from, to - from);
    if (line.size() > indent.size() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent;
    }
    if (line.size() > indent.size()) line += ' ';
    line += word;
    from = to + 1;
  }
  if (line.size() > indent.size()) out += line + "\n";
  return out;
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  std::string t = fmt::format("{:.3f}", v);
  while (t.back() == '0') t.pop_back();
  if (t.back() == '.') t.pop_back();
  return t;
}

json number_or_null(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
}

std::string source_line(const scenario& s) {
  std::string out{to_string(s.source.type)};
  switch (s.source.type) {
  case source_type::kinesis:
    out += fmt::format(", {} shard{}", s.source.shards, s.source.shards == 1 ? "" : "s");
    break;
  case source_type::dynamodb:
    out += fmt::format(", {} partition{}", s.source.shards, s.source.shards == 1 ? "" : "s");
    break;
  default:
    break;
  }
  const auto& m = s.mapping;
  out += fmt::format(", batch {}", m.batching.batch_size.value_or(is_stream(s.source.type) ? 100 : 10));
  if (is_stream(s.source.type)) {
    if (m.parallelization.factor > 1) out += fmt::format(", parallelization {}", m.parallelization.factor);
    if (m.retry.bisect_on_error) out += ", bisect on error";
    if (m.retry.max_attempts >= 0) out += fmt::format(", max retries {}", m.retry.max_attempts);
    if (m.tumbling_window.size.count() > 0) out += ", tumbling window " + duration_text(m.tumbling_window.size);
  } else {
    if (m.maximum_concurrency()) out += fmt::format(", maximum concurrency {}", *m.maximum_concurrency());
    if (s.source.max_receive_count) out += fmt::format(", DLQ after {} receives", *s.source.max_receive_count);
  }
  if (m.report_batch_item_failures) out += ", partial batch responses";
  const auto& f = s.function;
  out += ", handler ";
  switch (f.duration.type) {
  case duration_spec::kind::fixed:
    out += duration_text(f.duration.a);
    break;
  case duration_spec::kind::uniform:
    out += duration_text(f.duration.a) + "–" + duration_text(f.duration.b);
    break;
  case duration_spec::kind::exponential:
    out += "~exp(" + duration_text(f.duration.a) + ")";
    break;
  case duration_spec::kind::normal:
    out += duration_text(f.duration.a) + "±" + duration_text(f.duration.b);
    break;
  }
  if (f.reserved_concurrency) out += fmt::format(", reserved concurrency {}", *f.reserved_concurrency);
  return out;
}

} // namespace

std::string grouped(std::uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[i];
    if ((n - i - 1) % 3 == 0 && i + 1 < n) out += ',';
  }
  return out;
}

std::string metric_text(std::string_view metric, double value) {
  const auto* m = find_metric(metric);
  if (m && m->is_duration) return seconds_text(value);
  if (std::isnan(value)) return "n/a";
  if (value == std::floor(value) && value >= 0 && value < 1.8e19) return grouped(static_cast<std::uint64_t>(value));
  return fmt::format("{:.2f}", value);
}

std::vector<verdict> judge(const scenario& s, const run_result& r) {
  std::vector<verdict> out;
  for (const auto& g : s.goals) {
    const double v = r.metric(g.metric);
    out.push_back({g, v, goal_met(g, v)});
  }
  return out;
}

std::string summary_text(const scenario& s, const run_result& r, const std::vector<verdict>& v, double wall_seconds,
                         bool color) {
  const bool stream = is_stream(s.source.type);
  const char* green = color ? "\x1b[32m" : "";
  const char* red = color ? "\x1b[31m" : "";
  const char* bold = color ? "\x1b[1m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  std::string o;
  o += fmt::format("{}{}{}: {}\n", bold, s.name, reset, source_line(s));
  if (!s.description.empty()) o += wrap(s.description, 100, "  ");
  o += fmt::format("  simulated {} in {:.2f} s of wall time ({} events, seed {})\n\n", seconds_text(r.virtual_seconds),
                   wall_seconds, grouped(r.events), s.seed);
  o += fmt::format("  records       in {}  processed {}{}  dropped {}  to {} {}  remaining {}\n", grouped(r.records_in),
                   grouped(r.processed), s.mapping.filter_criteria.empty() ? std::string{} : "  filtered " + grouped(r.filtered),
                   grouped(r.dropped), stream ? "destination" : "DLQ", grouped(r.to_dlq), grouped(r.remaining));
  if (r.rejected > 0) {
    o += fmt::format("  rejected      {} writes refused by the shards' write limits (ProvisionedThroughputExceeded)\n",
                     grouped(r.rejected));
  }
  o += fmt::format("  invocations   {}  errors {}{}  throttles {}  retries {}", grouped(r.invocations), grouped(r.errors),
                   r.timeouts > 0 ? fmt::format(" ({} timeouts)", grouped(r.timeouts)) : std::string{},
                   grouped(r.throttles), grouped(r.retries));
  if (stream) o += fmt::format("  bisections {}", grouped(r.bisections));
  o += fmt::format("  cold starts {}\n", grouped(r.cold_starts));
  if (stream) {
    o += fmt::format("  iterator age  max {}  p50 {}  p99 {}  (over {} invocations)\n", seconds_text(r.iterator_age_max),
                     seconds_text(r.iterator_age_p50), seconds_text(r.iterator_age_p99), grouped(r.invocations));
  } else {
    o += fmt::format("  oldest message age  max {}  p99 {}  (sampled every {})\n", seconds_text(r.oldest_message_age_max),
                     seconds_text(r.oldest_message_age_p99), duration_text(s.sample_interval));
  }
  o += fmt::format("  concurrency   max {}  mean {:.2f}", r.concurrency_max, r.concurrency_mean);
  if (!stream) o += fmt::format("  scaling target max {} (reached at {})", r.target_concurrency_max, seconds_text(r.time_to_target_max));
  o += "\n";
  if (s.mapping.tumbling_window.size.count() > 0) {
    o += fmt::format("  windows       {} closed, their state counted {} records\n", grouped(r.windows), grouped(r.window_records));
  }
  if (!stream && r.duplicates > 0) o += fmt::format("  duplicates    {} extra deliveries (at-least-once)\n", grouped(r.duplicates));
  if (std::isinf(r.drain_time)) {
    o += fmt::format("  drained       no: {} records in the source at the end{}\n", grouped(r.remaining),
                     r.producing_at_end ? " (producers write until the end)" : "");
  } else {
    o += fmt::format("  drained       at {}\n", seconds_text(r.drain_time));
  }
  if (!v.empty()) {
    o += "\n  goals\n";
    for (const auto& x : v) {
      o += fmt::format("    {}{}{}  {:<34} {}\n", x.met ? green : red, x.met ? "PASS" : "FAIL", reset, x.g.text,
                       metric_text(x.g.metric, x.value));
    }
  }
  return o;
}

std::string timeline_csv(const run_result& r, const std::vector<std::string>& columns) {
  const auto& names = timeline_column_names();
  std::vector<std::size_t> picked{0}; // time_s
  for (std::size_t i = 1; i < names.size(); ++i) {
    if (columns.empty() || std::find(columns.begin(), columns.end(), names[i]) != columns.end()) picked.push_back(i);
  }
  auto cell = [](const sample_row& x, std::size_t i) -> std::string {
    switch (i) {
    case 0: return csv_number(x.t);
    case 1: return std::to_string(x.records_in);
    case 2: return std::to_string(x.processed);
    case 3: return std::to_string(x.filtered);
    case 4: return std::to_string(x.invocations);
    case 5: return std::to_string(x.errors);
    case 6: return std::to_string(x.throttles);
    case 7: return std::to_string(x.retries);
    case 8: return std::to_string(x.bisections);
    case 9: return std::to_string(x.dropped);
    case 10: return std::to_string(x.to_dlq);
    case 11: return std::to_string(x.cold_starts);
    case 12: return csv_number(x.iterator_age_max);
    case 13: return csv_number(x.iterator_age_mean);
    case 14: return std::to_string(x.backlog);
    case 15: return csv_number(x.oldest_age);
    case 16: return std::to_string(x.concurrency);
    case 17: return std::to_string(x.concurrency_max);
    case 18: return std::to_string(x.target);
    default: return {};
    }
  };
  std::string o;
  for (std::size_t k = 0; k < picked.size(); ++k) {
    if (k) o += ',';
    o += names[picked[k]];
  }
  o += '\n';
  for (const auto& x : r.timeline) {
    for (std::size_t k = 0; k < picked.size(); ++k) {
      if (k) o += ',';
      o += cell(x, picked[k]);
    }
    o += '\n';
  }
  return o;
}

json summary_json(const scenario& s, const run_result& r, const std::vector<verdict>& v,
                  const std::vector<std::string>& files) {
  json metrics = json::object();
  for (const auto& m : metrics_catalogue()) {
    if (is_stream(s.source.type) ? m.streams : m.queues) metrics[std::string{m.name}] = number_or_null(r.metric(m.name));
  }
  json goals = json::array();
  for (const auto& x : v) goals.push_back({{"goal", x.g.text}, {"value", number_or_null(x.value)}, {"met", x.met}});
  return {{"scenario", s.name},
          {"description", s.description},
          {"source", std::string{to_string(s.source.type)}},
          {"seed", s.seed},
          {"duration_s", r.virtual_seconds},
          {"sample_interval_s", std::chrono::duration<double>(s.sample_interval).count()},
          {"events", r.events},
          {"metrics", metrics},
          {"goals", goals},
          {"goals_met", std::all_of(v.begin(), v.end(), [](const verdict& x) { return x.met; })},
          {"files", files}};
}

void write_file(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write \"" + file.string() + "\"");
  out << text;
  if (!out) throw std::runtime_error("cannot write \"" + file.string() + "\"");
}

namespace {

struct axis_time {
  time_unit unit;
  std::vector<double> x;
};
axis_time time_axis(const run_result& r) {
  axis_time a{pick_time_unit(r.virtual_seconds), {}};
  a.x.reserve(r.timeline.size());
  for (const auto& row : r.timeline) a.x.push_back(row.t / a.unit.seconds_per_unit);
  return a;
}

// Ages in the unit that suits their largest value.
std::pair<time_unit, std::vector<std::vector<double>>> scale_ages(std::vector<std::vector<double>> ys) {
  double hi = 0;
  for (const auto& y : ys) {
    for (const double v : y) {
      if (!std::isnan(v)) hi = std::max(hi, v);
    }
  }
  const time_unit u = pick_time_unit(hi);
  for (auto& y : ys) {
    for (double& v : y) v /= u.seconds_per_unit;
  }
  return {u, std::move(ys)};
}

} // namespace

std::vector<std::string> write_charts(const std::filesystem::path& dir, const scenario& s, const run_result& r) {
  std::vector<std::string> files;
  const bool stream = is_stream(s.source.type);
  const auto ax = time_axis(r);
  const std::string x_label = fmt::format("simulated time ({})", ax.unit.name);
  const std::string subtitle = s.name + ": " + source_line(s);
  auto column = [&](auto get) {
    std::vector<double> y;
    y.reserve(r.timeline.size());
    for (const auto& row : r.timeline) y.push_back(get(row));
    return y;
  };
  const double iv = std::chrono::duration<double>(s.sample_interval).count();
  for (const chart_kind k : s.charts) {
    chart c;
    c.subtitle = subtitle;
    c.x_label = x_label;
    c.x = ax.x;
    switch (k) {
    case chart_kind::iterator_age: {
      if (stream) {
        auto [u, ys] = scale_ages({column([](const sample_row& x) { return x.iterator_age_max; }),
                                   column([](const sample_row& x) { return x.iterator_age_mean; })});
        c.title = "Iterator age";
        c.y_label = fmt::format("IteratorAge ({})", u.name);
        c.series = {{"max per interval", std::move(ys[0]), false}, {"mean per interval", std::move(ys[1]), false}};
      } else {
        auto [u, ys] = scale_ages({column([](const sample_row& x) { return x.oldest_age; })});
        c.title = "Age of the oldest message";
        c.y_label = fmt::format("ApproximateAgeOfOldestMessage ({})", u.name);
        c.series = {{"oldest message", std::move(ys[0]), false}};
      }
      break;
    }
    case chart_kind::backlog:
      c.title = stream ? "Backlog: records not yet processed" : "Backlog: messages in the queue";
      c.y_label = stream ? "records" : "messages (visible + in flight + delayed)";
      c.series = {{stream ? "unprocessed records" : "messages", column([](const sample_row& x) { return static_cast<double>(x.backlog); }), false}};
      break;
    case chart_kind::concurrency:
      c.title = "Concurrency";
      c.y_label = "concurrent invocations";
      c.series = {{"max per interval", column([](const sample_row& x) { return static_cast<double>(x.concurrency_max); }), false}};
      if (!stream) c.series.push_back({"scaling target", column([](const sample_row& x) { return static_cast<double>(x.target); }), false});
      if (s.function.reserved_concurrency) {
        c.series.push_back({"reserved concurrency", std::vector<double>(r.timeline.size(), *s.function.reserved_concurrency), true});
      }
      if (s.mapping.maximum_concurrency()) {
        c.series.push_back({"MaximumConcurrency", std::vector<double>(r.timeline.size(), *s.mapping.maximum_concurrency()), true});
      }
      break;
    case chart_kind::throughput:
      c.title = "Throughput";
      c.y_label = "records per second";
      c.series = {{"written", column([iv](const sample_row& x) { return static_cast<double>(x.records_in) / iv; }), false},
                  {"processed", column([iv](const sample_row& x) { return static_cast<double>(x.processed) / iv; }), false}};
      break;
    case chart_kind::errors:
      c.title = "Errors, throttles and retries";
      c.y_label = fmt::format("per {} interval", duration_text(s.sample_interval));
      c.series = {{"function errors", column([](const sample_row& x) { return static_cast<double>(x.errors); }), false},
                  {"throttles", column([](const sample_row& x) { return static_cast<double>(x.throttles); }), false},
                  // Dashed: with infinite retries it runs on top of the errors line.
                  {"retries", column([](const sample_row& x) { return static_cast<double>(x.retries); }), true},
                  {stream ? "records to destination / dropped" : "messages to DLQ / expired",
                   column([](const sample_row& x) { return static_cast<double>(x.to_dlq + x.dropped); }), false}};
      if (stream) c.series.insert(c.series.begin() + 3, {"bisections", column([](const sample_row& x) { return static_cast<double>(x.bisections); }), false});
      break;
    }
    const std::string name = std::string{to_string(k)} + ".svg";
    write_file(dir / name, render_svg(c));
    files.push_back(name);
  }
  return files;
}

std::string sweep_table(const std::string& key, const std::vector<variant>& vs) {
  if (vs.empty()) return {};
  const bool stream = is_stream(vs.front().s.source.type);
  std::vector<std::string> cols = stream ? std::vector<std::string>{"iterator_age_max", "iterator_age_p99", "processed",
                                                                     "dropped", "to_dlq", "errors", "throttles",
                                                                     "concurrency_max", "drain_time"}
                                         : std::vector<std::string>{"oldest_message_age_max", "processed", "to_dlq",
                                                                    "errors", "throttles", "concurrency_max",
                                                                    "target_concurrency_max", "drain_time"};
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> width(cols.size() + 2, 0);
  std::vector<std::string> header{key};
  for (const auto& c : cols) header.push_back(c);
  header.push_back("goals");
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& v : vs) {
    std::vector<std::string> row{v.value};
    for (const auto& c : cols) row.push_back(metric_text(c, v.r.metric(c)));
    const auto met = std::count_if(v.verdicts.begin(), v.verdicts.end(), [](const verdict& x) { return x.met; });
    row.push_back(v.verdicts.empty() ? "-" : fmt::format("{}/{}", met, v.verdicts.size()));
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    rows.push_back(std::move(row));
  }
  std::string o;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) o += fmt::format("  {:>{}}", cells[i], width[i]);
    o += "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  return o;
}

std::vector<std::string> write_sweep_charts(const std::filesystem::path& dir, const std::string& key,
                                            const std::vector<variant>& vs) {
  std::vector<std::string> files;
  if (vs.empty()) return files;
  const auto& first = vs.front();
  const bool stream = is_stream(first.s.source.type);
  const auto ax = time_axis(first.r);
  // Legends name the setting by its last path segment: "parallelization_factor = 2".
  const std::string label = key.substr(key.rfind('.') == std::string::npos ? 0 : key.rfind('.') + 1);
  auto pick = [&](const variant& v, bool age) {
    std::vector<double> y;
    for (const auto& row : v.r.timeline) {
      y.push_back(age ? (stream ? row.iterator_age_max : row.oldest_age) : static_cast<double>(row.backlog));
    }
    y.resize(ax.x.size(), std::numeric_limits<double>::quiet_NaN());
    return y;
  };
  for (const bool age : {true, false}) {
    chart c;
    c.x = ax.x;
    c.x_label = fmt::format("simulated time ({})", ax.unit.name);
    c.subtitle = first.s.name + ": sweep of " + key;
    std::vector<std::vector<double>> ys;
    for (const auto& v : vs) ys.push_back(pick(v, age));
    if (age) {
      auto [u, scaled] = scale_ages(std::move(ys));
      ys = std::move(scaled);
      c.title = stream ? "Iterator age (max per interval) by " + label : "Age of the oldest message by " + label;
      c.y_label = fmt::format("{} ({})", stream ? "IteratorAge" : "ApproximateAgeOfOldestMessage", u.name);
    } else {
      c.title = "Backlog by " + label;
      c.y_label = stream ? "unprocessed records" : "messages in the queue";
    }
    for (std::size_t i = 0; i < vs.size(); ++i) c.series.push_back({label + " = " + vs[i].value, std::move(ys[i]), false});
    const std::string name = age ? "sweep_age.svg" : "sweep_backlog.svg";
    write_file(dir / name, render_svg(c));
    files.push_back(name);
  }
  return files;
}

json sweep_json(const std::string& key, const std::vector<variant>& vs) {
  json out = {{"sweep", key}, {"variants", json::array()}};
  for (const auto& v : vs) {
    json metrics = json::object();
    for (const auto& m : metrics_catalogue()) {
      if (is_stream(v.s.source.type) ? m.streams : m.queues) metrics[std::string{m.name}] = number_or_null(v.r.metric(m.name));
    }
    const bool met = std::all_of(v.verdicts.begin(), v.verdicts.end(), [](const verdict& x) { return x.met; });
    out["variants"].push_back({{"value", v.value}, {"dir", v.dir_name}, {"metrics", metrics}, {"goals_met", met}});
  }
  return out;
}

} // namespace esm_sim
