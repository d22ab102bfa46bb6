// esm-sim: reading and validating scenario files.
#include "scenario.hpp"

#include "run.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include <esm/detail/utf8.hpp>
#include <esm/filter/criteria.hpp>

namespace esm_sim {

using namespace std::chrono_literals;
using json = nlohmann::json;

std::string_view to_string(source_type t) noexcept {
  switch (t) {
  case source_type::kinesis:
    return "kinesis";
  case source_type::dynamodb:
    return "dynamodb";
  case source_type::sqs:
    return "sqs";
  case source_type::sqs_fifo:
    return "sqs_fifo";
  }
  return "?";
}

std::string_view to_string(chart_kind k) noexcept {
  switch (k) {
  case chart_kind::iterator_age:
    return "iterator_age";
  case chart_kind::backlog:
    return "backlog";
  case chart_kind::concurrency:
    return "concurrency";
  case chart_kind::throughput:
    return "throughput";
  case chart_kind::errors:
    return "errors";
  }
  return "?";
}

const std::vector<std::string_view>& timeline_column_names() {
  static const std::vector<std::string_view> all{
      "time_s",      "records_in",        "processed",           "filtered", "invocations", "errors",
      "throttles",   "retries",           "bisections",          "dropped",  "to_dlq",      "cold_starts",
      "iterator_age_max_s", "iterator_age_mean_s", "backlog", "oldest_message_age_s", "concurrency",
      "concurrency_max", "target_concurrency"};
  return all;
}

const std::vector<metric_info>& metrics_catalogue() {
  static const std::vector<metric_info> all{
      {"records_in", false, true, true, "records written to the source"},
      {"processed", false, true, true, "records whose processing succeeded (checkpointed / deleted)"},
      {"filtered", false, true, true, "records removed by the filter criteria (FilteredOutEventCount)"},
      {"dropped", false, true, true, "records discarded without a destination, or expired"},
      {"to_dlq", false, true, true, "records sent to the on-failure destination / moved to the DLQ"},
      {"remaining", false, true, true, "records still in the source at the end"},
      {"rejected", false, true, false, "records a Kinesis shard refused (write_limits: ProvisionedThroughputExceeded)"},
      {"invocations", false, true, true, "function invocations (Invocations)"},
      {"errors", false, true, true, "function errors and timeouts (Errors)"},
      {"throttles", false, true, true, "throttled invocations (Throttles)"},
      {"retries", false, true, true, "streams: re-invocations after a function error; SQS: messages handed to the function again"},
      {"bisections", false, true, false, "batches split in two (BisectBatchOnFunctionError)"},
      {"cold_starts", false, true, true, "invocations that started a new execution environment"},
      {"duplicates", false, false, true, "extra deliveries by the at-least-once model"},
      {"windows", false, true, false, "tumbling windows closed (final invokes that succeeded)"},
      {"window_records", false, true, false, "records counted by the windows' state"},
      {"iterator_age_max", true, true, false, "largest IteratorAge of an invocation"},
      {"iterator_age_p50", true, true, false, "median IteratorAge over all invocations"},
      {"iterator_age_p99", true, true, false, "99th percentile IteratorAge over all invocations"},
      {"oldest_message_age_max", true, false, true, "largest ApproximateAgeOfOldestMessage sampled"},
      {"oldest_message_age_p99", true, false, true, "99th percentile of the sampled ApproximateAgeOfOldestMessage"},
      {"concurrency_max", false, true, true, "most invocations running at once"},
      {"concurrency_mean", false, true, true, "mean invocations running (busy time / run length)"},
      {"target_concurrency_max", false, false, true, "largest concurrency the SQS scaling allowed"},
      {"time_to_target_max", true, false, true, "when the scaling target first reached its maximum"},
      {"drain_time", true, true, true, "when the source was last emptied (backlog 0); run length if never"},
  };
  return all;
}

std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t bad = esm::detail::invalid_utf8_at(text.substr(i));
    const std::size_t good_end = bad == std::string_view::npos ? text.size() : i + bad;
    for (; i < good_end; ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c < 0x20 || c == 0x7f) {
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
      } else {
        out += text[i];
      }
    }
    if (i < text.size()) {
      const auto c = static_cast<unsigned char>(text[i]);
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
      ++i;
    }
  }
  return out;
}

// --- durations ---------------------------------------------------------------------------------

std::optional<esm::duration> parse_duration(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0 || i == text.size()) return std::nullopt;
  double v = 0;
  const std::string_view number = text.substr(0, i);
  if (std::count(number.begin(), number.end(), '.') > 1 || number.front() == '.' || number.back() == '.') return std::nullopt;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v); // locale-independent
  if (ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;
  const std::string_view unit = text.substr(i);
  double ns_per = 0;
  if (unit == "ns") ns_per = 1;
  else if (unit == "us") ns_per = 1e3;
  else if (unit == "ms") ns_per = 1e6;
  else if (unit == "s") ns_per = 1e9;
  else if (unit == "min") ns_per = 60e9;
  else if (unit == "h") ns_per = 3600e9;
  else if (unit == "d") ns_per = 86400e9;
  else return std::nullopt;
  const double ns = v * ns_per;
  if (!(ns <= 9e18)) return std::nullopt;
  return esm::duration{static_cast<esm::duration::rep>(std::llround(ns))};
}

std::string duration_text(esm::duration d) {
  const auto ns = d.count();
  auto fmt_unit = [](double v, const char* unit) {
    std::string s = fmt::format("{:.3f}", v);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s + unit;
  };
  const auto a = ns < 0 ? -ns : ns;
  if (a == 0) return "0s";
  if (a < 1'000) return fmt::format("{}ns", ns);
  if (a < 1'000'000) return fmt_unit(static_cast<double>(ns) / 1e3, "us");
  if (a < 1'000'000'000) return fmt_unit(static_cast<double>(ns) / 1e6, "ms");
  if (a < 120'000'000'000) return fmt_unit(static_cast<double>(ns) / 1e9, "s");
  if (a < 7'200'000'000'000) return fmt_unit(static_cast<double>(ns) / 60e9, "min");
  return fmt_unit(static_cast<double>(ns) / 3600e9, "h");
}

namespace {

std::string type_name(const json& v) {
  switch (v.type()) {
  case json::value_t::null:
    return "null";
  case json::value_t::boolean:
    return "a boolean";
  case json::value_t::string:
    return "a string";
  case json::value_t::array:
    return "an array";
  case json::value_t::object:
    return "an object";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float:
    return "a number";
  default:
    return "a value";
  }
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// One JSON object being read: every key must be taken, the rest are rejected with the list of
// keys this object accepts.
class object_reader {
public:
  object_reader(const json& v, std::string path, std::vector<std::string> allowed)
      : v_(v), path_(std::move(path)), allowed_(std::move(allowed)) {
    if (!v_.is_object()) throw scenario_error(path_, "expected an object, got " + type_name(v_));
    for (auto it = v_.begin(); it != v_.end(); ++it) {
      if (std::find(allowed_.begin(), allowed_.end(), it.key()) == allowed_.end()) {
        throw scenario_error(sub(it.key()), "unknown key; allowed here: " + join(allowed_));
      }
    }
  }
  [[nodiscard]] std::string sub(std::string_view key) const { return path_.empty() ? std::string{key} : path_ + "." + std::string{key}; }
  // A key set to null counts as absent (so `--set mapping.maximum_concurrency=null` unsets it).
  [[nodiscard]] bool has(std::string_view key) const { return v_.contains(key) && !v_.at(std::string{key}).is_null(); }
  [[nodiscard]] const json& at(std::string_view key) const { return v_.at(std::string{key}); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  [[nodiscard]] std::optional<std::string> string(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    const json& x = at(key);
    if (!x.is_string()) throw scenario_error(sub(key), "expected a string, got " + type_name(x));
    return x.get<std::string>();
  }
  template <class T>
  [[nodiscard]] std::optional<T> integer(std::string_view key, T lo, T hi, std::string_view range_note = {}) const {
    if (!has(key)) return std::nullopt;
    const json& x = at(key);
    const bool any = lo == std::numeric_limits<T>::min() && hi == std::numeric_limits<T>::max();
    const auto range = any ? std::string{} : fmt::format("[{}, {}]{}", lo, hi, range_note);
    if (!x.is_number_integer() && !x.is_number_unsigned()) {
      if (x.is_number_float() && std::floor(x.get<double>()) == x.get<double>() && std::abs(x.get<double>()) < 9e15) {
        return check(key, static_cast<long long>(x.get<double>()), lo, hi, range);
      }
      throw scenario_error(sub(key), "expected an integer" + (any ? std::string{} : " in " + range) + ", got " + type_name(x) +
                                         (x.is_primitive() ? " (" + x.dump() + ")" : ""));
    }
    if (x.is_number_unsigned() && x.get<unsigned long long>() > 9'000'000'000'000'000'000ULL) {
      throw scenario_error(sub(key), any ? x.dump() + " is too large" : fmt::format("{} is outside the allowed range {}", x.dump(), range));
    }
    return check(key, x.get<long long>(), lo, hi, range);
  }
  // A number of any value; the range is the library's to check.
  [[nodiscard]] std::optional<double> number(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    const json& x = at(key);
    if (!x.is_number()) throw scenario_error(sub(key), "expected a number, got " + type_name(x));
    return x.get<double>();
  }
  [[nodiscard]] std::optional<double> number(std::string_view key, double lo, double hi, bool lo_open = false) const {
    if (!has(key)) return std::nullopt;
    const json& x = at(key);
    const auto range = fmt::format("{}{}, {}]", lo_open ? "(" : "[", lo, hi);
    if (!x.is_number()) throw scenario_error(sub(key), "expected a number in " + range + ", got " + type_name(x));
    const double d = x.get<double>();
    if (!(d >= lo && d <= hi) || (lo_open && d == lo)) {
      throw scenario_error(sub(key), fmt::format("{} is outside the allowed range {}", x.dump(), range));
    }
    return d;
  }
  [[nodiscard]] std::optional<bool> boolean(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    const json& x = at(key);
    if (!x.is_boolean()) throw scenario_error(sub(key), "expected true or false, got " + type_name(x));
    return x.get<bool>();
  }
  // A duration string within [lo, hi]; `whole_seconds` requires an integral number of seconds.
  [[nodiscard]] std::optional<esm::duration> dur(std::string_view key, esm::duration lo, esm::duration hi,
                                                 bool whole_seconds = false, std::string_view note = {}) const {
    if (!has(key)) return std::nullopt;
    const json& x = at(key);
    const bool any = lo == esm::duration::min() && hi == esm::duration::max();
    const auto range = any ? std::string{}
                           : fmt::format("[{}, {}]{}{}", duration_text(lo), duration_text(hi),
                                         whole_seconds ? " in whole seconds" : "", note);
    if (!x.is_string()) {
      throw scenario_error(sub(key), "expected a duration string such as \"250ms\", \"30s\", \"5min\" or \"1h\"" +
                                         (any ? std::string{} : " in " + range) + ", got " + type_name(x) +
                                         (x.is_primitive() ? " (" + x.dump() + ")" : ""));
    }
    const auto text = x.get<std::string>();
    const auto d = parse_duration(text);
    if (!d) {
      throw scenario_error(sub(key), "\"" + text + "\" is not a duration; write a number and a unit (ns, us, ms, s, min, h, d), e.g. \"250ms\"");
    }
    if (*d < lo || *d > hi || (whole_seconds && *d % 1s != esm::duration::zero())) {
      throw scenario_error(sub(key), "\"" + text + "\" is outside the allowed range " + range);
    }
    return d;
  }
  // An integer of any value `T` holds; the range is the library's to check.
  template <class T>
  [[nodiscard]] std::optional<T> integer(std::string_view key) const {
    return integer<T>(key, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  }
  // A duration string of any length; the range is the library's to check.
  [[nodiscard]] std::optional<esm::duration> dur(std::string_view key) const {
    return dur(key, esm::duration::min(), esm::duration::max());
  }
  template <class E>
  [[nodiscard]] std::optional<E> choice(std::string_view key, const std::vector<std::pair<std::string, E>>& options) const {
    const auto s = string(key);
    if (!s) return std::nullopt;
    for (const auto& [name, value] : options) {
      if (*s == name) return value;
    }
    std::vector<std::string> names;
    for (const auto& o : options) names.push_back("\"" + o.first + "\"");
    throw scenario_error(sub(key), "\"" + *s + "\" is not one of " + join(names));
  }

private:
  template <class T>
  T check(std::string_view key, long long v, T lo, T hi, const std::string& range) const {
    if (v < static_cast<long long>(lo) || v > static_cast<long long>(hi)) {
      throw scenario_error(sub(key), fmt::format("{} is outside the allowed range {}", v,
                                                 range.empty() ? fmt::format("[{}, {}]", lo, hi) : range));
    }
    return static_cast<T>(v);
  }

  const json& v_;
  std::string path_;
  std::vector<std::string> allowed_;
};

void reject_for(const object_reader& r, std::string_view key, bool applies, std::string_view who) {
  if (r.has(key) && !applies) throw scenario_error(r.sub(key), "does not apply here; it applies to " + std::string{who});
}

constexpr esm::duration day = 24h;

source_spec read_source(const json& v, esm::duration run) {
  object_reader r{v,
                  "source",
                  {"type", "name", "shards", "partitions", "retention", "write_limits", "reshard", "rollover", "visibility_timeout", "delay",
                   "content_based_deduplication", "dead_letter_queue", "at_least_once"}};
  source_spec s;
  const auto t = r.choice<source_type>("type", {{"kinesis", source_type::kinesis},
                                                {"dynamodb", source_type::dynamodb},
                                                {"sqs", source_type::sqs},
                                                {"sqs_fifo", source_type::sqs_fifo}});
  if (!t) throw scenario_error("source.type", "missing; one of \"kinesis\", \"dynamodb\", \"sqs\", \"sqs_fifo\"");
  s.type = *t;
  const bool stream = is_stream(s.type);
  const bool queue = !stream;
  reject_for(r, "shards", s.type == source_type::kinesis, "kinesis sources");
  reject_for(r, "partitions", s.type == source_type::dynamodb, "dynamodb sources");
  reject_for(r, "rollover", s.type == source_type::dynamodb, "dynamodb sources");
  reject_for(r, "write_limits", s.type == source_type::kinesis, "kinesis sources");
  reject_for(r, "reshard", s.type == source_type::kinesis, "kinesis sources");
  reject_for(r, "visibility_timeout", queue, "sqs and sqs_fifo sources");
  reject_for(r, "delay", queue, "sqs and sqs_fifo sources");
  reject_for(r, "dead_letter_queue", queue, "sqs and sqs_fifo sources");
  reject_for(r, "content_based_deduplication", s.type == source_type::sqs_fifo, "sqs_fifo sources");
  reject_for(r, "at_least_once", s.type == source_type::sqs, "sqs (standard) sources");

  s.name = r.string("name").value_or(s.type == source_type::sqs_fifo ? "queue.fifo"
                                     : queue                        ? "queue"
                                     : s.type == source_type::kinesis ? "stream"
                                                                      : "table");
  if (s.type == source_type::kinesis) {
    s.shards = r.integer<int>("shards").value_or(1);
    s.write_limits = r.boolean("write_limits").value_or(false);
    if (r.has("reshard")) {
      const json& a = r.at("reshard");
      if (!a.is_array()) throw scenario_error("source.reshard", "expected an array of {\"at\": duration, \"action\": \"split_all\" or \"merge_all\"}");
      for (std::size_t i = 0; i < a.size(); ++i) {
        object_reader e{a[i], fmt::format("source.reshard.{}", i), {"at", "action"}};
        if (!e.has("at")) throw scenario_error(e.sub("at"), "missing; when, a duration within the run");
        if (!e.has("action")) throw scenario_error(e.sub("action"), "missing; \"split_all\" or \"merge_all\"");
        source_spec::reshard rs;
        rs.at = *e.dur("at", 0s, run);
        rs.split = *e.choice<bool>("action", {{"split_all", true}, {"merge_all", false}});
        if (!s.reshards.empty() && rs.at < s.reshards.back().at) throw scenario_error(e.sub("at"), "reshardings must be in time order");
        s.reshards.push_back(rs);
      }
    }
  }
  if (s.type == source_type::dynamodb) {
    s.shards = r.integer<int>("partitions").value_or(1);
    s.rollover = r.dur("rollover").value_or(4h);
  }
  if (stream) {
    s.retention = 24h;
    if (r.has("retention")) {
      if (r.at("retention") == "until_consumed") {
        s.until_consumed = true;
      } else {
        s.retention = *r.dur("retention"); // or "until_consumed"
      }
    }
  } else {
    s.retention = r.dur("retention").value_or(4 * day);
    s.visibility_timeout = r.dur("visibility_timeout").value_or(30s);
    s.delay = r.dur("delay").value_or(0s);
    s.content_based_deduplication = r.boolean("content_based_deduplication").value_or(false);
    if (r.has("dead_letter_queue")) {
      object_reader d{r.at("dead_letter_queue"), "source.dead_letter_queue", {"max_receive_count"}};
      const auto n = d.integer<int>("max_receive_count");
      if (!n) throw scenario_error("source.dead_letter_queue.max_receive_count", "missing; an integer in [1, 1000]");
      s.max_receive_count = *n;
    }
    if (r.has("at_least_once")) {
      object_reader a{r.at("at_least_once"), "source.at_least_once", {"duplicate_probability", "reorder_probability"}};
      s.duplicate_probability = a.number("duplicate_probability").value_or(0);
      s.reorder_probability = a.number("reorder_probability").value_or(0);
    }
  }
  return s;
}

key_spec read_keys(const json& v, const std::string& path, const source_spec& src) {
  key_spec k;
  if (src.type == source_type::sqs_fifo) k.prefix = "group-";
  object_reader r{v, path, {"type", "count", "hot_keys", "hot_share", "s", "prefix"}};
  k.type = r.choice<key_spec::kind>("type", {{"uniform", key_spec::kind::uniform},
                                              {"hot", key_spec::kind::hot},
                                              {"zipf", key_spec::kind::zipf}})
               .value_or(key_spec::kind::uniform);
  k.count = r.integer<int>("count", 1, 1'000'000).value_or(100);
  reject_for(r, "hot_keys", k.type == key_spec::kind::hot, "keys of type \"hot\"");
  reject_for(r, "hot_share", k.type == key_spec::kind::hot, "keys of type \"hot\"");
  reject_for(r, "s", k.type == key_spec::kind::zipf, "keys of type \"zipf\"");
  k.hot_keys = r.integer<int>("hot_keys", 1, k.count, " (at most `count`)").value_or(1);
  k.hot_share = r.number("hot_share", 0, 1).value_or(0.5);
  k.zipf_s = r.number("s", 0, 10, true).value_or(1.0);
  if (const auto p = r.string("prefix")) {
    if (p->empty() || p->size() > 48) throw scenario_error(r.sub("prefix"), "must have 1–48 characters");
    k.prefix = *p;
  }
  return k;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (const char c : line) {
    if (c == ',') {
      cells.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  cells.push_back(cell);
  for (auto& s : cells) {
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    while (!s.empty() && s.back() == ' ') s.pop_back();
  }
  return cells;
}

} // namespace

// A CSV of arrivals: a header naming `time` (seconds from the start, or a duration with a unit)
// and optionally `key`; one row per record, times ascending.
void read_producer_csv(producer_spec& p, std::istream& in, const std::filesystem::path& file, const std::string& path) {
  std::string line;
  if (!std::getline(in, line)) throw scenario_error(path, "\"" + file.string() + "\" is empty; it needs a header line with a `time` column");
  const auto header = split_csv_line(line);
  const auto time_col = std::find(header.begin(), header.end(), "time") - header.begin();
  const auto key_col = std::find(header.begin(), header.end(), "key") - header.begin();
  if (static_cast<std::size_t>(time_col) == header.size()) {
    throw scenario_error(path, "\"" + file.string() + "\": the header has no `time` column (columns: time[,key])");
  }
  std::size_t row = 1;
  while (std::getline(in, line)) {
    ++row;
    if (line.empty() || line == "\r") continue;
    const auto cells = split_csv_line(line);
    const auto where = fmt::format("{}:{}", file.filename().string(), row);
    if (static_cast<std::size_t>(time_col) >= cells.size()) throw scenario_error(path, where + ": missing the time cell");
    const std::string& t = cells[static_cast<std::size_t>(time_col)];
    std::optional<esm::duration> d = parse_duration(t);
    if (!d) {
      double secs = 0;
      const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), secs);
      if (ec != std::errc{} || ptr != t.data() + t.size() || !(secs >= 0) || secs > 1e9) {
        throw scenario_error(path, where + ": \"" + t + "\" is not a time (seconds from the start, e.g. 1.25, or a duration like 1250ms)");
      }
      d = esm::duration{static_cast<esm::duration::rep>(std::llround(secs * 1e9))};
    }
    if (!p.times.empty() && *d < p.times.back()) throw scenario_error(path, where + ": times must be ascending");
    p.times.push_back(*d);
    int key = -1;
    if (static_cast<std::size_t>(key_col) < cells.size() && !cells[static_cast<std::size_t>(key_col)].empty()) {
      const auto& k = cells[static_cast<std::size_t>(key_col)];
      if (k.size() > 128) throw scenario_error(path, where + ": a key has at most 128 characters");
      if (const auto bad = esm::detail::invalid_utf8_at(k); bad != std::string_view::npos) {
        throw scenario_error(path, fmt::format("{}: the key \"{}\" is not UTF-8 text (byte 0x{:02x} at offset {})", where, k,
                                               static_cast<unsigned char>(k[bad]), bad));
      }
      auto it = std::find(p.csv_keys.begin(), p.csv_keys.end(), k);
      if (it == p.csv_keys.end()) {
        p.csv_keys.push_back(k);
        it = p.csv_keys.end() - 1;
      }
      key = static_cast<int>(it - p.csv_keys.begin());
    }
    p.time_keys.push_back(key);
  }
  if (p.times.empty()) throw scenario_error(path, "\"" + file.string() + "\" has no rows");
}

namespace {

// Opens a producer's CSV file and reads it (read_producer_csv).
void read_csv(producer_spec& p, const std::filesystem::path& file, const std::string& path) {
  std::ifstream in(file);
  if (!in) throw scenario_error(path, "cannot read \"" + file.string() + "\"");
  read_producer_csv(p, in, file, path);
}

producer_spec read_producer(const json& v, const std::string& path, const source_spec& src, esm::duration run,
                            const std::filesystem::path& base_dir, std::size_t index) {
  object_reader r{v, path,
                  {"type", "name", "rate", "from", "to", "count", "every", "repeat", "file", "start", "stop", "keys",
                   "record_bytes", "operation"}};
  producer_spec p;
  const auto t = r.choice<producer_spec::kind>("type", {{"constant", producer_spec::kind::constant},
                                                         {"poisson", producer_spec::kind::poisson},
                                                         {"bursts", producer_spec::kind::bursts},
                                                         {"ramp", producer_spec::kind::ramp},
                                                         {"csv", producer_spec::kind::csv}});
  if (!t) throw scenario_error(path + ".type", "missing; one of \"constant\", \"poisson\", \"bursts\", \"ramp\", \"csv\"");
  p.type = *t;
  using k = producer_spec::kind;
  reject_for(r, "rate", p.type == k::constant || p.type == k::poisson, "constant and poisson producers");
  reject_for(r, "from", p.type == k::ramp, "ramp producers");
  reject_for(r, "to", p.type == k::ramp, "ramp producers");
  reject_for(r, "count", p.type == k::bursts, "bursts producers");
  reject_for(r, "every", p.type == k::bursts, "bursts producers");
  reject_for(r, "repeat", p.type == k::bursts, "bursts producers");
  reject_for(r, "file", p.type == k::csv, "csv producers");
  reject_for(r, "operation", src.type == source_type::dynamodb, "dynamodb sources");
  p.operation = r.choice<producer_spec::write_kind>("operation", {{"insert", producer_spec::write_kind::insert},
                                                                  {"modify", producer_spec::write_kind::modify},
                                                                  {"remove", producer_spec::write_kind::remove}})
                    .value_or(producer_spec::write_kind::insert);
  p.name = r.string("name").value_or(fmt::format("producer-{}", index + 1));
  if (p.name.empty() || p.name.size() > 24 ||
      !std::all_of(p.name.begin(), p.name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; })) {
    throw scenario_error(r.sub("name"), "\"" + p.name + "\": 1–24 characters of a-z A-Z 0-9 - _");
  }
  auto need = [&](std::string_view key, const char* what) {
    if (!r.has(key)) throw scenario_error(r.sub(key), std::string{"missing; "} + what);
  };
  switch (p.type) {
  case k::constant:
  case k::poisson:
    need("rate", "records per second, a number in (0, 10000000]");
    p.rate = *r.number("rate", 0, 1e7, true);
    break;
  case k::ramp:
    need("from", "records per second at `start`, a number in [0, 10000000]");
    need("to", "records per second at `stop`, a number in [0, 10000000]");
    p.from_rate = *r.number("from", 0, 1e7);
    p.to_rate = *r.number("to", 0, 1e7);
    break;
  case k::bursts:
    need("count", "records per burst, an integer in [1, 100000000]");
    p.count = *r.integer<std::uint64_t>("count", 1, 100'000'000);
    p.every = r.dur("every", 1ms, 30 * day).value_or(run + 1s);
    p.repeat = r.integer<std::uint64_t>("repeat", 0, 100'000'000).value_or(r.has("every") ? 0 : 1);
    break;
  case k::csv: {
    need("file", "a CSV file with a `time` column (and optionally `key`), relative to the scenario file");
    std::filesystem::path f = *r.string("file");
    if (f.is_relative()) f = base_dir / f;
    read_csv(p, f, r.sub("file"));
    break;
  }
  }
  p.start = r.dur("start", 0s, run).value_or(0s);
  p.stop = r.dur("stop", 0s, run);
  if (p.stop && *p.stop < p.start) throw scenario_error(r.sub("stop"), "must not be before `start` (" + duration_text(p.start) + ")");
  if (p.type == k::ramp && !p.stop) p.stop = run;
  if (p.type == k::ramp && *p.stop == p.start) throw scenario_error(r.sub("stop"), "a ramp needs `stop` after `start`");
  if (r.has("keys")) p.keys = read_keys(r.at("keys"), r.sub("keys"), src);
  else p.keys = read_keys(json::object(), r.sub("keys"), src);
  // The source's record size limit: a Kinesis record's data and partition key are at most 1 MiB,
  // a DynamoDB item 400 KB, an SQS message 1 MiB (the default MaximumMessageSize).
  const std::uint32_t max_bytes = src.type == source_type::kinesis    ? 1'048'576 - 256
                                  : src.type == source_type::dynamodb ? 409'600
                                                                      : 1'048'576;
  p.record_bytes = r.integer<std::uint32_t>("record_bytes", 1, max_bytes, fmt::format(" for {} sources", to_string(src.type)))
                       .value_or(256);
  return p;
}

duration_spec read_duration_model(const json& v, const std::string& path) {
  duration_spec d;
  if (v.is_string()) { // shorthand: a fixed duration
    const json wrapped{{"type", "fixed"}, {"value", v}}; // object_reader keeps a reference
    object_reader wrap{wrapped, path, {"type", "value"}};
    d.a = *wrap.dur("value", 0s, 900s);
    return d;
  }
  object_reader r{v, path, {"type", "value", "min", "max", "mean", "stddev", "per_record"}};
  d.type = r.choice<duration_spec::kind>("type", {{"fixed", duration_spec::kind::fixed},
                                                   {"uniform", duration_spec::kind::uniform},
                                                   {"exponential", duration_spec::kind::exponential},
                                                   {"normal", duration_spec::kind::normal}})
               .value_or(duration_spec::kind::fixed);
  using k = duration_spec::kind;
  reject_for(r, "value", d.type == k::fixed, "fixed durations");
  reject_for(r, "min", d.type == k::uniform, "uniform durations");
  reject_for(r, "max", d.type == k::uniform, "uniform durations");
  reject_for(r, "mean", d.type == k::exponential || d.type == k::normal, "exponential and normal durations");
  reject_for(r, "stddev", d.type == k::normal, "normal durations");
  auto need = [&](std::string_view key) {
    if (!r.has(key)) throw scenario_error(r.sub(key), "missing; a duration such as \"100ms\"");
  };
  switch (d.type) {
  case k::fixed:
    need("value");
    d.a = *r.dur("value", 0s, 900s);
    break;
  case k::uniform:
    need("min");
    need("max");
    d.a = *r.dur("min", 0s, 900s);
    d.b = *r.dur("max", d.a, 900s, false, " (at least `min`)");
    break;
  case k::exponential:
    need("mean");
    d.a = *r.dur("mean", 1ns, 900s);
    break;
  case k::normal:
    need("mean");
    need("stddev");
    d.a = *r.dur("mean", 0s, 900s);
    d.b = *r.dur("stddev", 0s, 900s);
    break;
  }
  d.per_record = r.dur("per_record", 0s, 60s).value_or(0s);
  return d;
}

function_spec read_function(const json& v) {
  object_reader r{v,
                  "function",
                  {"name", "timeout", "reserved_concurrency", "memory_mb", "duration", "cold_start", "error_rate",
                   "poison", "account_concurrency"}};
  function_spec f;
  // JSON types here; the ranges are the library's (check_with_library).
  f.name = r.string("name").value_or(f.name);
  f.account_concurrency = r.integer<int>("account_concurrency").value_or(1000);
  f.timeout = r.dur("timeout").value_or(3s);
  f.reserved_concurrency = r.integer<int>("reserved_concurrency");
  f.memory_mb = r.integer<int>("memory_mb").value_or(128);
  if (r.has("duration")) f.duration = read_duration_model(r.at("duration"), r.sub("duration"));
  if (r.has("cold_start")) {
    object_reader c{r.at("cold_start"), r.sub("cold_start"), {"init", "keep_warm"}};
    f.cold_starts = true;
    if (c.has("init")) f.cold_start_init = read_duration_model(c.at("init"), c.sub("init"));
    f.keep_warm = c.dur("keep_warm").value_or(5min);
  }
  f.error_rate = r.number("error_rate", 0, 1).value_or(0);
  if (r.has("poison")) {
    object_reader p{r.at("poison"), r.sub("poison"), {"records", "rate", "keys"}};
    if (p.has("records")) {
      const json& a = p.at("records");
      if (!a.is_array()) throw scenario_error(p.sub("records"), "expected an array of record numbers (1 = the first record written)");
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_number_unsigned() || a[i].get<std::uint64_t>() == 0) {
          throw scenario_error(fmt::format("{}.{}", p.sub("records"), i), "expected a record number >= 1, got " + a[i].dump());
        }
        f.poison_records.push_back(a[i].get<std::uint64_t>());
      }
      std::sort(f.poison_records.begin(), f.poison_records.end());
    }
    f.poison_rate = p.number("rate", 0, 1).value_or(0);
    if (p.has("keys")) {
      const json& a = p.at("keys");
      if (!a.is_array()) throw scenario_error(p.sub("keys"), "expected an array of keys (e.g. [\"key-7\"])");
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string()) throw scenario_error(fmt::format("{}.{}", p.sub("keys"), i), "expected a string");
        f.poison_keys.push_back(a[i].get<std::string>());
      }
    }
  }
  return f;
}

mapping_spec read_mapping(const json& v, const source_spec& src) {
  object_reader r{v,
                  "mapping",
                  {"batch_size", "maximum_batching_window", "parallelization_factor", "maximum_retry_attempts",
                   "maximum_record_age", "bisect_batch_on_function_error", "report_batch_item_failures",
                   "starting_position", "tumbling_window", "on_failure_destination", "throttle_backoff",
                   "maximum_concurrency", "scaling", "visibility_backoff", "filter_criteria"}};
  mapping_spec m;
  const bool stream = is_stream(src.type);
  const std::string streams = "kinesis and dynamodb sources";
  const std::string queues = "sqs and sqs_fifo sources";
  for (const char* k : {"parallelization_factor", "maximum_retry_attempts", "maximum_record_age",
                        "bisect_batch_on_function_error", "starting_position", "tumbling_window",
                        "on_failure_destination", "throttle_backoff"}) {
    reject_for(r, k, stream, streams);
  }
  for (const char* k : {"maximum_concurrency", "scaling", "visibility_backoff"}) reject_for(r, k, !stream, queues);

  // JSON types here; every AWS range is the library's (each policy's validate()).
  esm::source_kind kind = esm::source_kind::kinesis;
  switch (src.type) {
  case source_type::kinesis:
    kind = esm::source_kind::kinesis;
    break;
  case source_type::dynamodb:
    kind = esm::source_kind::dynamodb;
    break;
  case source_type::sqs:
    kind = esm::source_kind::sqs_standard;
    break;
  case source_type::sqs_fifo:
    kind = esm::source_kind::sqs_fifo;
    break;
  }
  m.batching.batch_size = r.integer<int>("batch_size");
  m.batching.window = r.dur("maximum_batching_window").value_or(0s);
  library_check([&] { m.batching.validate(kind); },
                {{"batch_size", "mapping.batch_size"}, {"window", "mapping.maximum_batching_window"}}, "mapping");
  if (stream) {
    m.parallelization.factor = r.integer<int>("parallelization_factor").value_or(1);
    library_check([&] { m.parallelization.validate(); }, {{"parallelization_factor", "mapping.parallelization_factor"}}, "mapping");
    m.retry.max_attempts = r.integer<int>("maximum_retry_attempts").value_or(-1);
    if (r.has("maximum_record_age")) {
      const json& a = r.at("maximum_record_age");
      if (a.is_number()) {
        if (!a.is_number_integer() || a.get<long long>() != -1) {
          throw scenario_error(r.sub("maximum_record_age"), "expected -1 (infinite) or a duration string such as \"3600s\", got " + a.dump());
        }
        m.retry.max_record_age = -1s;
      } else {
        m.retry.max_record_age = *r.dur("maximum_record_age");
      }
    }
    m.retry.bisect_on_error = r.boolean("bisect_batch_on_function_error").value_or(false);
    library_check([&] { m.retry.validate(); },
                  {{"max_attempts", "mapping.maximum_retry_attempts"}, {"max_record_age", "mapping.maximum_record_age"}}, "mapping");
    // Required, as AWS's StartingPosition: "Value null at 'startingPosition' failed to satisfy
    // constraint: Member must not be null".
    if (!r.has("starting_position")) {
      throw scenario_error(r.sub("starting_position"),
                           "missing; \"TRIM_HORIZON\" or \"LATEST\" (AWS's StartingPosition is required for " +
                               streams + ")");
    }
    const auto pos = r.choice<bool>("starting_position", {{"TRIM_HORIZON", false}, {"LATEST", true}});
    m.start = pos.value_or(false) ? esm::starting_position::latest() : esm::starting_position::trim_horizon();
    m.tumbling_window.size = r.dur("tumbling_window").value_or(0s);
    library_check([&] { m.tumbling_window.validate(); }, {{"tumbling_window", "mapping.tumbling_window"}}, "mapping");
    m.on_failure_destination = r.boolean("on_failure_destination").value_or(false);
    if (const auto d = r.dur("throttle_backoff")) m.throttle = esm::throttle_backoff{esm::backoff{*d, *d}}; // flat
    library_check([&] { m.throttle.validate(); }, {{"throttle_backoff", "mapping.throttle_backoff"}}, "mapping");
  } else {
    if (r.has("scaling") && r.at("scaling").is_number_integer() &&
        (r.at("scaling").get<long long>() == 2022 || r.at("scaling").get<long long>() == 2023)) {
      if (r.at("scaling").get<long long>() == 2022) m.scaling = esm::sqs_scaling_2022{}; // --set mapping.scaling=2022 gives a number
    } else if (r.choice<bool>("scaling", {{"current", false}, {"2023", false}, {"2022", true}}).value_or(false)) {
      m.scaling = esm::sqs_scaling_2022{};
    }
    const auto cap = r.integer<int>("maximum_concurrency");
    std::visit([&](auto& p) { p.maximum_concurrency = cap; }, m.scaling);
    library_check([&] { std::visit([&](const auto& p) { p.validate(kind); }, m.scaling); },
                  {{"maximum_concurrency", "mapping.maximum_concurrency"}}, "mapping");
    if (r.has("visibility_backoff")) {
      object_reader b{r.at("visibility_backoff"), r.sub("visibility_backoff"), {"base", "maximum"}};
      esm::exponential_backoff_visibility vb;
      vb.base = b.dur("base").value_or(vb.base);
      vb.maximum = b.dur("maximum").value_or(std::max(vb.maximum, vb.base));
      library_check([&] { vb.validate(); },
                    {{"base", "mapping.visibility_backoff.base"}, {"maximum", "mapping.visibility_backoff.maximum"}}, "mapping.visibility_backoff");
      m.visibility_backoff = vb;
    }
  }
  m.report_batch_item_failures = r.boolean("report_batch_item_failures").value_or(false);
  if (r.has("filter_criteria")) {
    // AWS's shape: {"Filters": [{"Pattern": "<JSON text>"}]}; a Pattern may also be written as a
    // JSON object here, which is the same pattern without the escaping.
    json fc = r.at("filter_criteria");
    if (fc.is_object() && fc.contains("Filters") && fc["Filters"].is_array()) {
      for (auto& f : fc["Filters"]) {
        if (f.is_object() && f.contains("Pattern") && f["Pattern"].is_object()) f["Pattern"] = f["Pattern"].dump();
      }
    }
    try {
      m.filter_criteria = esm::filter_criteria::from_json(fc.dump());
    } catch (const esm::config_error& e) {
      throw scenario_error(r.sub("filter_criteria"), e.what());
    }
  }
  return m;
}

} // namespace

goal parse_goal(std::string_view text, source_type source, const std::string& path) {
  goal g;
  g.text = std::string{text};
  std::istringstream in{g.text};
  std::string value;
  in >> g.metric >> g.op >> value;
  std::string rest;
  in >> rest;
  const auto& cat = metrics_catalogue();
  const auto it = std::find_if(cat.begin(), cat.end(), [&](const metric_info& m) { return m.name == g.metric; });
  if (g.metric.empty() || g.op.empty() || value.empty() || !rest.empty()) {
    throw scenario_error(path, "\"" + g.text + "\" is not a goal; write `metric op value`, e.g. \"iterator_age_p99 < 60s\"");
  }
  if (it == cat.end()) {
    std::vector<std::string> names;
    for (const auto& m : cat) {
      if (is_stream(source) ? m.streams : m.queues) names.emplace_back(m.name);
    }
    throw scenario_error(path, "unknown metric \"" + g.metric + "\"; metrics for " + std::string{to_string(source)} +
                                   " sources: " + join(names));
  }
  if (!(is_stream(source) ? it->streams : it->queues)) {
    throw scenario_error(path, "\"" + g.metric + "\" does not apply to " + std::string{to_string(source)} + " sources");
  }
  static const std::set<std::string> ops{"<", "<=", ">", ">=", "==", "!="};
  if (!ops.contains(g.op)) throw scenario_error(path, "\"" + g.op + "\" is not an operator; use one of < <= > >= == !=");
  if (it->is_duration) {
    const auto d = parse_duration(value);
    if (!d) throw scenario_error(path, "\"" + value + "\" is not a duration; " + g.metric + " needs one, e.g. 60s");
    g.value = std::chrono::duration<double>(*d).count();
  } else {
    double v = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || ptr != value.data() + value.size()) {
      throw scenario_error(path, "\"" + value + "\" is not a number (" + g.metric + " is a count)");
    }
    g.value = v;
  }
  return g;
}

scenario parse_scenario(const json& doc, const std::filesystem::path& base_dir) {
  object_reader r{doc,
                  "",
                  {"name", "description", "seed", "duration", "sample_interval", "source", "producers", "function",
                   "mapping", "goals", "charts", "metrics"}};
  scenario s;
  s.name = r.string("name").value_or("scenario");
  s.description = r.string("description").value_or("");
  s.seed = r.integer<std::uint64_t>("seed", 0, 9'000'000'000'000'000'000ULL).value_or(1);
  if (!r.has("duration")) throw scenario_error("duration", "missing; the simulated run length, e.g. \"10min\" (1s to 30d)");
  s.run_length = *r.dur("duration", 1s, 30 * day);
  s.sample_interval = r.dur("sample_interval", 1ms, s.run_length, false, " (at most `duration`)")
                          .value_or(std::clamp<esm::duration>(s.run_length / 120, 1s, s.run_length));
  if (s.run_length / s.sample_interval > 1'000'000) {
    throw scenario_error("sample_interval", "gives more than 1,000,000 samples; use at least " +
                                                duration_text(s.run_length / 1'000'000));
  }
  if (!r.has("source")) throw scenario_error("source", "missing; an object with `type` (kinesis, dynamodb, sqs, sqs_fifo)");
  s.source = read_source(r.at("source"), s.run_length);
  if (!r.has("producers")) throw scenario_error("producers", "missing; an array of producers (at least one)");
  const json& ps = r.at("producers");
  if (!ps.is_array() || ps.empty()) throw scenario_error("producers", "expected a non-empty array of producers");
  for (std::size_t i = 0; i < ps.size(); ++i) {
    s.producers.push_back(read_producer(ps[i], fmt::format("producers.{}", i), s.source, s.run_length, base_dir, i));
  }
  s.function = r.has("function") ? read_function(r.at("function")) : read_function(json::object());
  check_with_library(s.source, s.function);
  s.mapping = r.has("mapping") ? read_mapping(r.at("mapping"), s.source) : read_mapping(json::object(), s.source);
  if (r.has("goals")) {
    const json& gs = r.at("goals");
    if (!gs.is_array()) throw scenario_error("goals", "expected an array of strings such as \"iterator_age_p99 < 60s\"");
    for (std::size_t i = 0; i < gs.size(); ++i) {
      const auto path = fmt::format("goals.{}", i);
      if (!gs[i].is_string()) throw scenario_error(path, "expected a string such as \"iterator_age_p99 < 60s\"");
      s.goals.push_back(parse_goal(gs[i].get<std::string>(), s.source.type, path));
    }
  }
  const std::vector<std::pair<std::string, chart_kind>> charts{{"iterator_age", chart_kind::iterator_age},
                                                               {"backlog", chart_kind::backlog},
                                                               {"concurrency", chart_kind::concurrency},
                                                               {"throughput", chart_kind::throughput},
                                                               {"errors", chart_kind::errors}};
  if (r.has("charts")) {
    const json& cs = r.at("charts");
    if (!cs.is_array()) throw scenario_error("charts", "expected an array of chart names");
    for (std::size_t i = 0; i < cs.size(); ++i) {
      const auto path = fmt::format("charts.{}", i);
      if (!cs[i].is_string()) throw scenario_error(path, "expected a chart name");
      const auto it = std::find_if(charts.begin(), charts.end(), [&](const auto& c) { return c.first == cs[i].get<std::string>(); });
      if (it == charts.end()) {
        throw scenario_error(path, "\"" + cs[i].get<std::string>() + "\" is not one of \"iterator_age\", \"backlog\", \"concurrency\", \"throughput\", \"errors\"");
      }
      if (std::find(s.charts.begin(), s.charts.end(), it->second) == s.charts.end()) s.charts.push_back(it->second);
    }
  } else {
    for (const auto& c : charts) s.charts.push_back(c.second);
  }
  if (r.has("metrics")) {
    const json& ms = r.at("metrics");
    if (!ms.is_array()) throw scenario_error("metrics", "expected an array of timeline column names");
    const auto& names = timeline_column_names();
    for (std::size_t i = 0; i < ms.size(); ++i) {
      const auto path = fmt::format("metrics.{}", i);
      if (!ms[i].is_string()) throw scenario_error(path, "expected a column name");
      const auto name = ms[i].get<std::string>();
      if (std::find(names.begin(), names.end(), name) == names.end() || name == "time_s") {
        std::vector<std::string> all(names.begin() + 1, names.end());
        throw scenario_error(path, "\"" + name + "\" is not a timeline column; one of " + join(all));
      }
      if (std::find(s.timeline_columns.begin(), s.timeline_columns.end(), name) == s.timeline_columns.end()) {
        s.timeline_columns.push_back(name);
      }
    }
  }
  // Checks across sections.
  for (std::size_t i = 0; i < s.function.poison_keys.size(); ++i) {
    const auto& k = s.function.poison_keys[i];
    bool known = false;
    for (const auto& p : s.producers) {
      if (k.starts_with(p.keys.prefix)) {
        const auto n = std::string_view{k}.substr(p.keys.prefix.size());
        int idx = 0;
        const auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), idx);
        if (ec == std::errc{} && ptr == n.data() + n.size() && idx >= 0 && idx < p.keys.count) known = true;
      }
      if (std::find(p.csv_keys.begin(), p.csv_keys.end(), k) != p.csv_keys.end()) known = true;
    }
    if (!known) {
      throw scenario_error(fmt::format("function.poison.keys.{}", i),
                           "\"" + k + "\" is not a key any producer writes (keys are prefix + 0..count-1, e.g. \"" +
                               s.producers.front().keys.prefix + "0\")");
    }
  }
  return s;
}

namespace {

// Rejects a key that appears twice in one object, at any depth (nlohmann keeps the last one
// silently). `text` is valid JSON (it parsed). The error names the key's path, as the reader's
// errors do, and both places, line and column (1-based; a column counts bytes).
void reject_duplicate_keys(const std::string& text) {
  struct frame {
    bool object = false;
    std::string path;
    std::map<std::string, std::pair<int, int>> keys; // where each key was first seen
    std::string key;                                 // the current member's key
    std::size_t index = 0;                           // the current element's index
    bool expect_key = false;
  };
  std::vector<frame> stack;
  int line = 1, column = 1;
  auto child_path = [&]() -> std::string {
    if (stack.empty()) return {};
    const frame& f = stack.back();
    const std::string part = f.object ? f.key : std::to_string(f.index);
    return f.path.empty() ? part : f.path + "." + part;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' || c == '[') {
      frame f;
      f.object = c == '{';
      f.path = child_path();
      f.expect_key = f.object;
      stack.push_back(std::move(f));
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
    } else if (c == ',' && !stack.empty()) {
      frame& f = stack.back();
      f.expect_key = f.object;
      f.index += f.object ? 0 : 1;
    } else if (c == ':' && !stack.empty()) {
      stack.back().expect_key = false;
    } else if (c == '"') {
      const std::size_t from = i;
      const int at_line = line, at_column = column;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      column += static_cast<int>(i - from);
      if (!stack.empty() && stack.back().object && stack.back().expect_key) {
        frame& f = stack.back();
        f.key = json::parse(text.substr(from, i - from + 1)).get<std::string>(); // decodes escapes
        const auto [it, fresh] = f.keys.try_emplace(f.key, at_line, at_column);
        if (!fresh) {
          throw scenario_error(child_path(),
                               fmt::format("duplicate key at line {}, column {} (first at line {}, column {}); "
                                           "a key may appear once in an object",
                                           at_line, at_column, it->second.first, it->second.second));
        }
      }
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

} // namespace

json parse_json(std::string_view text, const std::string& source) {
  try {
    // nlohmann ends its input at a NUL byte ("{}\0garbage" would read as {}); JSON text holds none.
    if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
      const auto before = text.substr(0, nul);
      const auto line = std::count(before.begin(), before.end(), '\n') + 1;
      const auto nl = before.rfind('\n');
      const auto column = nul - (nl == std::string_view::npos ? 0 : nl + 1) + 1;
      throw scenario_error("", fmt::format("{}: invalid JSON: a NUL byte at line {}, column {}", source, line, column));
    }
    json doc = json::parse(text);
    reject_duplicate_keys(std::string{text});
    return doc;
  } catch (const json::exception& e) {
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    // (also out_of_range.406, a number that overflows a double)
    std::string what = e.what();
    const auto p = what.find("] ");
    throw scenario_error("", source + ": invalid JSON: " + (p == std::string::npos ? what : what.substr(p + 2)));
  }
}

json load_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw scenario_error("", "cannot read \"" + file.string() + "\"");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_json(ss.str(), file.string());
}

void apply_override(json& doc, std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw scenario_error("", "\"" + std::string{assignment} + "\" is not key=value (e.g. mapping.batch_size=500)");
  }
  const std::string path{assignment.substr(0, eq)};
  const std::string text{assignment.substr(eq + 1)};
  // JSON text is UTF-8: a bare word that is not would make a string no JSON writer can write.
  if (const auto bad = esm::detail::invalid_utf8_at(path); bad != std::string_view::npos) {
    throw scenario_error("", fmt::format("\"{}\": the key is not UTF-8 text (byte 0x{:02x} at offset {})", assignment,
                                         static_cast<unsigned char>(path[bad]), bad));
  }
  if (const auto bad = esm::detail::invalid_utf8_at(text); bad != std::string_view::npos) {
    throw scenario_error(path, fmt::format("the value \"{}\" is not UTF-8 text (byte 0x{:02x} at offset {})", text,
                                           static_cast<unsigned char>(text[bad]), bad));
  }
  json value;
  // A bare word is a string ("5min", "LATEST"); so is text nlohmann reads only in part (it stops at
  // a NUL byte) or not at all (a number past a double, 1e999: out_of_range).
  if (text.find('\0') != std::string::npos) {
    value = text;
  } else {
    try {
      value = json::parse(text);
    } catch (const json::exception&) {
      value = text;
    }
  }
  json* node = &doc;
  std::size_t from = 0;
  std::string walked;
  while (true) {
    const auto dot = path.find('.', from);
    const std::string part = path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (part.empty()) throw scenario_error(path, "empty path segment");
    walked += (walked.empty() ? "" : ".") + part;
    json* next = nullptr;
    if (node->is_array()) {
      std::size_t idx = 0;
      const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), idx);
      if (ec != std::errc{} || ptr != part.data() + part.size() || idx >= node->size()) {
        throw scenario_error(walked, fmt::format("not an index of this array (0..{})", node->size() == 0 ? 0 : node->size() - 1));
      }
      next = &(*node)[idx];
    } else if (node->is_object()) {
      next = &(*node)[part];
    } else if (node->is_null()) {
      *node = json::object();
      next = &(*node)[part];
    } else {
      throw scenario_error(walked, "cannot set a key inside " + type_name(*node));
    }
    if (dot == std::string::npos) {
      *next = value;
      return;
    }
    node = next;
    from = dot + 1;
  }
}

sweep_spec parse_sweep(std::string_view spec) {
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size()) {
    throw scenario_error("", "--sweep needs key=v1,v2,... (e.g. mapping.parallelization_factor=1,2,5,10)");
  }
  sweep_spec out;
  out.key = std::string{spec.substr(0, eq)};
  for (std::size_t from = eq + 1;;) {
    const auto comma = spec.find(',', from);
    out.values.emplace_back(spec.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from));
    if (out.values.back().empty()) throw scenario_error("", "--sweep: an empty value in \"" + std::string{spec} + "\"");
    if (comma == std::string_view::npos) break;
    from = comma + 1;
  }
  return out;
}

} // namespace esm_sim
