#pragma once
/// \file scenario.hpp
/// esm-sim's scenario: what a scenario file (JSON) says, checked before anything runs.
///
/// A scenario names one source (Kinesis, DynamoDB, SQS standard or FIFO), the producers that
/// write to it, the function, the event source mapping, the run length, the seed, the sample
/// interval, the charts and the goals. `parse_scenario` reads and validates it: an unknown key, a
/// wrong type or a value outside AWS's range throws `scenario_error` naming the JSON path and the
/// allowed values. docs/esm-sim.md documents every key.

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>
#include <esm/filter/criteria.hpp>
#include <esm/policies/batching.hpp>
#include <esm/policies/parallelization.hpp>
#include <esm/policies/retry.hpp>
#include <esm/policies/scaling.hpp>
#include <esm/policies/throttle.hpp>
#include <esm/policies/tumbling_window.hpp>
#include <esm/policies/visibility.hpp>
#include <esm/sources/shard.hpp>

namespace esm_sim {

/// `text` with what would garble a message escaped: control characters (NUL included) as
/// `\u00XX` and bytes that are not UTF-8 as `\xXX`; everything else, other scripts included, is
/// kept (a backslash too, so escaping twice changes nothing).
[[nodiscard]] std::string printable(std::string_view text);

/// A scenario file that cannot be used: `path` is the JSON path of the offending value
/// (`mapping.batch_size`), `what()` is `path: problem`. Both are `printable`: a key or value
/// quoted in them shows its control characters and non-UTF-8 bytes escaped.
class scenario_error : public std::runtime_error {
public:
  /// An error at `path` (empty: the whole document).
  scenario_error(std::string path, const std::string& problem)
      : scenario_error(printable_parts{printable(path), printable(problem)}) {}
  /// The JSON path of the offending value.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// What is wrong with it (the message without the path).
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

private:
  struct printable_parts {
    std::string path;
    std::string problem;
  };
  explicit scenario_error(printable_parts p)
      : std::runtime_error(p.path.empty() ? p.problem : p.path + ": " + p.problem), path_(std::move(p.path)),
        problem_(std::move(p.problem)) {}

  std::string path_;
  std::string problem_;
};

/// Runs a validation of the library's (a policy's `validate()`, a source's or function's
/// constructor); its `esm::config_error` names the parameter, which `paths` maps to the scenario's
/// key (an exact name, or a prefix before a `.`), and becomes a `scenario_error` at that path with
/// the library's allowed range: `mapping.batch_size: must be in [1, 10000] for ..., got 20000`.
/// An unmapped parameter is reported at `fallback`.
template <class F>
void library_check(F&& validate, std::initializer_list<std::pair<std::string_view, std::string_view>> paths,
                   std::string_view fallback) {
  try {
    validate();
  } catch (const esm::config_error& e) {
    const std::string& p = e.parameter();
    std::string path{fallback};
    for (const auto& [name, key] : paths) {
      if (p == name || (p.size() > name.size() && p.compare(0, name.size(), name) == 0 && p[name.size()] == '.')) {
        path = key;
        break;
      }
    }
    std::string problem = e.what();
    if (problem.compare(0, p.size() + 1, p + " ") == 0) problem.erase(0, p.size() + 1); // "must be ..., got ..."
    throw scenario_error(path, problem);
  }
}

/// The kind of source.
enum class source_type { kinesis, dynamodb, sqs, sqs_fifo };
/// `kinesis`, `dynamodb`, `sqs`, `sqs_fifo`.
[[nodiscard]] std::string_view to_string(source_type t) noexcept;
/// True for Kinesis and DynamoDB.
[[nodiscard]] constexpr bool is_stream(source_type t) noexcept {
  return t == source_type::kinesis || t == source_type::dynamodb;
}

/// The source and its attributes.
struct source_spec {
  source_type type = source_type::kinesis; ///< `type`
  std::string name = "source";             ///< `name`: stream, table or queue name
  int shards = 1;                          ///< Kinesis `shards` [1, 100000] / DynamoDB `partitions` [1, 1000]
  bool until_consumed = false;             ///< streams: `retention: "until_consumed"` (a modelling aid)
  bool write_limits = false;               ///< Kinesis `write_limits`: 1,000 records/s and 1 MiB/s per shard
  /// A Kinesis resharding at a moment of the run: every open shard split in two (`SplitShard` at
  /// the middle of its range), or adjacent open shards merged in pairs (`MergeShards`).
  struct reshard {
    esm::duration at{};  ///< `at`: when, [0s, run length]
    bool split = true;   ///< `action`: `split_all` (true) or `merge_all`
  };
  std::vector<reshard> reshards;           ///< Kinesis `reshard`, in time order
  esm::duration retention{};               ///< streams: 24h–8760h (DynamoDB: 24h); SQS 60s–14d (default 4d)
  esm::duration rollover = std::chrono::hours{4}; ///< DynamoDB `rollover` [1min, 24h]
  esm::duration visibility_timeout = std::chrono::seconds{30}; ///< SQS `visibility_timeout` [0s, 12h]
  esm::duration delay{};                   ///< SQS `delay` [0s, 900s]
  bool content_based_deduplication = false; ///< FIFO `content_based_deduplication`
  std::optional<int> max_receive_count;    ///< SQS `dead_letter_queue.max_receive_count` [1, 1000]
  double duplicate_probability = 0;        ///< SQS standard `at_least_once.duplicate_probability` [0, 1]
  double reorder_probability = 0;          ///< SQS standard `at_least_once.reorder_probability` [0, 1]
};

/// How producers choose a record's partition key (streams) or message group (FIFO).
struct key_spec {
  enum class kind { uniform, hot, zipf } type = kind::uniform; ///< `type`
  int count = 100;          ///< `count`: distinct keys [1, 1000000]
  int hot_keys = 1;         ///< `hot_keys` [1, count]: the keys that take `hot_share`
  double hot_share = 0.5;   ///< `hot_share` [0, 1]
  double zipf_s = 1.0;      ///< `s` (0, 10]: key i has weight 1/i^s
  std::string prefix = "key-"; ///< `prefix`: keys are prefix + index (1–64 characters in all)
};

/// One producer: when it writes records and with which keys.
struct producer_spec {
  enum class kind { constant, poisson, bursts, ramp, csv } type = kind::constant; ///< `type`
  std::string name;               ///< `name` (default `producer-<n>`)
  double rate = 0;                ///< constant / poisson `rate`: records per second (0, 10^7]
  double from_rate = 0;           ///< ramp `from`: records per second [0, 10^7]
  double to_rate = 0;             ///< ramp `to`: records per second [0, 10^7]
  std::uint64_t count = 0;        ///< bursts `count`: records per burst [1, 10^8]
  esm::duration every{};          ///< bursts `every` (> 0)
  std::uint64_t repeat = 0;       ///< bursts `repeat`: number of bursts, 0 = until `stop`
  std::vector<esm::duration> times; ///< csv: arrival offsets, ascending
  std::vector<int> time_keys;     ///< csv: key index per row (-1: from `keys`)
  std::vector<std::string> csv_keys; ///< csv: the distinct keys named in the file
  esm::duration start{};          ///< `start`: first record [0, run length]
  std::optional<esm::duration> stop; ///< `stop`: no record at or after it (default: run end)
  key_spec keys;                  ///< `keys`
  std::uint32_t record_bytes = 256; ///< `record_bytes`: payload size [1, 1048576]
  /// DynamoDB `operation`: the writes are `INSERT`s, `MODIFY`s (old and new image) or `REMOVE`s.
  enum class write_kind : std::uint8_t { insert, modify, remove } operation = write_kind::insert;
};

/// A duration distribution.
struct duration_spec {
  enum class kind { fixed, uniform, exponential, normal } type = kind::fixed; ///< `type`
  esm::duration a = std::chrono::milliseconds{10}; ///< fixed `value`, uniform `min`, exponential / normal `mean`
  esm::duration b{};                                ///< uniform `max`, normal `stddev`
  esm::duration per_record{};                       ///< `per_record`: added per record of the batch
};

/// The function.
struct function_spec {
  std::string name = "consumer";                  ///< `name`
  esm::duration timeout = std::chrono::seconds{3}; ///< `timeout` [1s, 900s], whole seconds
  std::optional<int> reserved_concurrency;        ///< `reserved_concurrency` [0, account − 100]
  int memory_mb = 128;                            ///< `memory_mb` [128, 10240]
  duration_spec duration;                         ///< `duration`
  bool cold_starts = false;                       ///< `cold_start` present
  duration_spec cold_start_init{duration_spec::kind::fixed, std::chrono::milliseconds{250}, {}, {}}; ///< `cold_start.init`
  esm::duration keep_warm = std::chrono::minutes{5}; ///< `cold_start.keep_warm` [0s, 24h]
  double error_rate = 0;                          ///< `error_rate` [0, 1]: an invocation throws (transient)
  std::vector<std::uint64_t> poison_records;      ///< `poison.records`: 1-based record numbers, always fail
  double poison_rate = 0;                         ///< `poison.rate` [0, 1]: share of records that always fail
  std::vector<std::string> poison_keys;           ///< `poison.keys`: every record of these keys fails
  int account_concurrency = 1000;                 ///< `account_concurrency` [1, 1000000]
};

/// The event source mapping, as the library's own policy types (the scenario's keys are AWS's
/// parameter names in snake_case). `parse_scenario` fills them and has the library validate
/// them (`validate()` of each policy), so esm-sim states no AWS range of its own.
struct mapping_spec {
  /// `batch_size` (unset: the source's default, 100 for streams, 10 for SQS) and
  /// `maximum_batching_window`.
  esm::batching batching{};
  esm::parallelization parallelization{};  ///< streams: `parallelization_factor`
  /// streams: `maximum_retry_attempts`, `maximum_record_age`, `bisect_batch_on_function_error`.
  esm::stream_retry retry{};
  esm::tumbling_window tumbling_window{};  ///< streams: `tumbling_window`
  /// streams: `throttle_backoff`, a flat delay after each throttled invocation (default 1 s).
  esm::throttle_backoff throttle = esm::throttle_backoff::streams();
  /// streams: `starting_position`, required (`TRIM_HORIZON` or `LATEST`), as AWS's `StartingPosition`.
  esm::starting_position start = esm::starting_position::trim_horizon();
  bool report_batch_item_failures = false; ///< `report_batch_item_failures`
  bool on_failure_destination = false;     ///< streams: `on_failure_destination`
  /// SQS: `scaling` (`current`: `esm::sqs_scaling`; `2022`: `esm::sqs_scaling_2022`) with
  /// `maximum_concurrency`.
  std::variant<esm::sqs_scaling, esm::sqs_scaling_2022> scaling{};
  /// SQS: `visibility_backoff` (absent: the queue's visibility timeout).
  std::optional<esm::exponential_backoff_visibility> visibility_backoff;
  esm::filter_criteria filter_criteria{};  ///< `filter_criteria` (empty: none)

  /// SQS `maximum_concurrency` (unset: none).
  [[nodiscard]] std::optional<int> maximum_concurrency() const {
    return std::visit([](const auto& p) { return p.maximum_concurrency; }, scaling);
  }
  /// True for `scaling: "2022"`.
  [[nodiscard]] bool scaling_2022() const noexcept { return scaling.index() == 1; }
};

/// A metric the summary reports and goals can name.
struct metric_info {
  std::string_view name;  ///< e.g. `iterator_age_p99`
  bool is_duration;       ///< compared as seconds; values may carry units
  bool streams;           ///< exists for streams
  bool queues;            ///< exists for SQS
  std::string_view what;  ///< one line of explanation
};
/// Every metric, in summary order.
[[nodiscard]] const std::vector<metric_info>& metrics_catalogue();

/// A goal: `metric op value`, e.g. `iterator_age_p99 < 60s`.
struct goal {
  std::string text;       ///< as written
  std::string metric;     ///< a name from `metrics_catalogue()`
  std::string op;         ///< `<`, `<=`, `>`, `>=`, `==`, `!=`
  double value = 0;       ///< seconds for durations
};

/// A chart esm-sim draws.
enum class chart_kind { iterator_age, backlog, concurrency, throughput, errors };
/// `iterator_age`, `backlog`, `concurrency`, `throughput`, `errors`.
[[nodiscard]] std::string_view to_string(chart_kind k) noexcept;

/// A whole scenario.
struct scenario {
  std::string name;                              ///< `name`
  std::string description;                       ///< `description`
  std::uint64_t seed = 1;                        ///< `seed`
  esm::duration run_length = std::chrono::minutes{10}; ///< `duration` [1s, 30d]
  esm::duration sample_interval = std::chrono::seconds{10}; ///< `sample_interval` [1ms, duration]
  source_spec source;                            ///< `source`
  std::vector<producer_spec> producers;          ///< `producers`
  function_spec function;                        ///< `function`
  mapping_spec mapping;                          ///< `mapping`
  std::vector<goal> goals;                       ///< `goals`
  std::vector<chart_kind> charts;                ///< `charts` (default: all five)
  std::vector<std::string> timeline_columns;     ///< `metrics`: the timeline's columns (default: all)
};

/// The columns a timeline can have, in order (`time_s` always comes first).
[[nodiscard]] const std::vector<std::string_view>& timeline_column_names();

/// Reads and validates a scenario. `base_dir` resolves relative CSV paths. Throws
/// `scenario_error` (JSON path + allowed values) for anything it cannot use.
[[nodiscard]] scenario parse_scenario(const nlohmann::json& doc, const std::filesystem::path& base_dir = {});
/// Reads a file: JSON syntax errors and I/O errors become `scenario_error`.
[[nodiscard]] nlohmann::json load_json(const std::filesystem::path& file);
/// Parses JSON text (what `load_json` read from `source`, a file name for messages): a syntax
/// error becomes a `scenario_error` `<source>: invalid JSON: parse error at line L, column C: ...`.
[[nodiscard]] nlohmann::json parse_json(std::string_view text, const std::string& source);
/// Reads the arrivals of a `csv` producer from `in` (the file `file`, named in messages) into
/// `p.times`, `p.time_keys` and `p.csv_keys`: a header naming `time` (and optionally `key`), one
/// row per record, times ascending, keys UTF-8. Throws `scenario_error` at `path` (the
/// producer's `file`).
void read_producer_csv(producer_spec& p, std::istream& in, const std::filesystem::path& file, const std::string& path);
/// A `--sweep key=v1,v2,...` value: the key and its values, in order.
struct sweep_spec {
  std::string key;                 ///< the dotted path, as for `apply_override`
  std::vector<std::string> values; ///< the values, each non-empty
};
/// Splits `--sweep`'s value into the key and its values. Throws `scenario_error` (empty path)
/// for a malformed one.
[[nodiscard]] sweep_spec parse_sweep(std::string_view spec);
/// Applies `--set path=value` to a document: `path` is dotted (`mapping.batch_size`,
/// `producers.0.rate`); `value` is JSON when it parses as JSON, else a string. Throws
/// `scenario_error` for a malformed assignment, a key or value that is not UTF-8, or a path
/// through a non-object.
void apply_override(nlohmann::json& doc, std::string_view assignment);
/// Parses a goal text (`iterator_age_p99 < 60s`) for a source type. Throws `scenario_error` at `path`.
[[nodiscard]] goal parse_goal(std::string_view text, source_type source, const std::string& path);
/// Parses a duration: a number with a unit, `250ms`, `1.5s`, `10min`, `2h`, `4d` (also `us`, `ns`).
/// Returns nullopt when the text is not one.
[[nodiscard]] std::optional<esm::duration> parse_duration(std::string_view text) noexcept;
/// A duration as short text with a unit (`250ms`, `1.5s`, `4min`, `2h`).
[[nodiscard]] std::string duration_text(esm::duration d);

} // namespace esm_sim
