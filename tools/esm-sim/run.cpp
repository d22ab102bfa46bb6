// esm-sim: the engine. Builds the source, the function and the mapping from a scenario, drives
// the producers as simulation events, and samples the metrics once per interval.
#include "run.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/core.h>

#include <esm/core/simulation.hpp>
#include <esm/filter/criteria.hpp>
#include <esm/lambda/function.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/record_filter.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>

namespace esm_sim {

using namespace std::chrono_literals;

double run_result::metric(std::string_view name) const {
  const auto u = [](std::uint64_t v) { return static_cast<double>(v); };
  if (name == "records_in") return u(records_in);
  if (name == "processed") return u(processed);
  if (name == "filtered") return u(filtered);
  if (name == "dropped") return u(dropped);
  if (name == "to_dlq") return u(to_dlq);
  if (name == "remaining") return u(remaining);
  if (name == "rejected") return u(rejected);
  if (name == "invocations") return u(invocations);
  if (name == "errors") return u(errors);
  if (name == "throttles") return u(throttles);
  if (name == "retries") return u(retries);
  if (name == "bisections") return u(bisections);
  if (name == "cold_starts") return u(cold_starts);
  if (name == "duplicates") return u(duplicates);
  if (name == "windows") return u(windows);
  if (name == "window_records") return u(window_records);
  if (name == "iterator_age_max") return iterator_age_max;
  if (name == "iterator_age_p50") return iterator_age_p50;
  if (name == "iterator_age_p99") return iterator_age_p99;
  if (name == "oldest_message_age_max") return oldest_message_age_max;
  if (name == "oldest_message_age_p99") return oldest_message_age_p99;
  if (name == "concurrency_max") return concurrency_max;
  if (name == "concurrency_mean") return concurrency_mean;
  if (name == "target_concurrency_max") return target_concurrency_max;
  if (name == "time_to_target_max") return time_to_target_max;
  if (name == "drain_time") return drain_time;
  return std::numeric_limits<double>::quiet_NaN();
}

bool goal_met(const goal& g, double v) noexcept {
  if (std::isnan(v)) return false;
  if (g.op == "<") return v < g.value;
  if (g.op == "<=") return v <= g.value;
  if (g.op == ">") return v > g.value;
  if (g.op == ">=") return v >= g.value;
  if (g.op == "==") return v == g.value;
  if (g.op == "!=") return v != g.value;
  return false;
}

/// What a record carries: its number, its modelled size, whether it is poison, and, when the
/// mapping has filter criteria, its content as JSON text, `{"producer":"orders","n":42}` (the
/// `data` / `body` / `NewImage` a filter reads; no allocation). Its size for batching and limits
/// is `bytes`. (Outside the anonymous namespace: g++ 12 warns "used but never defined" for the
/// hidden friends of esm::queue_batch's iterator when the message type has internal linkage.)
struct payload {
  std::uint64_t id = 0;
  std::uint32_t bytes = 0;
  bool poison = false;
  producer_spec::write_kind operation = producer_spec::write_kind::insert; // DynamoDB
  std::uint8_t text_size = 0;
  std::array<char, 64> text{};
  [[nodiscard]] std::size_t payload_bytes() const noexcept { return bytes; }
  [[nodiscard]] const char* data() const noexcept { return text.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return text_size; }
  [[nodiscard]] const char* begin() const noexcept { return text.data(); }
  [[nodiscard]] const char* end() const noexcept { return text.data() + text_size; }
};

} // namespace esm_sim

/// A DynamoDB image of an esm-sim record, as an AttributeValue map (what `dynamodb.NewImage`
/// filters read): `{"producer":{"S":"orders"},"n":{"N":"42"}}`.
template <>
struct esm::dynamodb_item_json<esm_sim::payload> {
  static void write(const esm_sim::payload& p, std::string& out) {
    // The payload's text, when the mapping filters, is {"producer":"<name>","n":<id>}: the name
    // follows the first `:"`. Without text (no filter reads images) only `n` is written.
    const std::string_view t{p.text.data(), p.text_size};
    const auto colon = t.find(":\"");
    const auto name_end = colon == std::string_view::npos ? colon : t.find('"', colon + 2);
    out += '{';
    if (name_end != std::string_view::npos) {
      out += R"("producer":{"S":")";
      out += t.substr(colon + 2, name_end - colon - 2);
      out += R"("},)";
    }
    out += R"("n":{"N":")";
    out += std::to_string(p.id);
    out += R"("}})";
  }
};

namespace esm_sim {
namespace {

double seconds(esm::duration d) { return std::chrono::duration<double>(d).count(); }

/// The error a failing handler throws (a function error for the mapping).
struct handler_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Cumulative counters read from the library at a sample.
struct counters {
  std::uint64_t records_in = 0, processed = 0, filtered = 0, dropped = 0, to_dlq = 0, invocations = 0, errors = 0, timeouts = 0,
                throttles = 0, retries = 0, bisections = 0, cold_starts = 0, duplicates = 0, backlog = 0;
  double oldest_age = std::numeric_limits<double>::quiet_NaN();
  int concurrency = 0;
  int target = 0;
  int target_max = 0;
  esm::duration busy{};
};

/// State shared by the handler and the sampler.
struct run_state {
  explicit run_state(const scenario& sc) : s(sc), sim({.seed = sc.seed}), fail_rng(sim.rng("esm-sim/failures")) {}

  const scenario& s;
  esm::simulation sim;
  esm::random_stream fail_rng;
  // The current interval.
  double iv_age_max = std::numeric_limits<double>::quiet_NaN();
  double iv_age_sum = 0;
  std::uint64_t iv_age_n = 0;
  int iv_conc_max = 0;
  std::vector<std::int64_t> ages; // IteratorAge of every invocation, ns
  std::uint64_t windows = 0;
  std::uint64_t window_records = 0;
  std::uint64_t rejected = 0;     // Kinesis puts refused by the write limits
  std::uint64_t redeliveries = 0; // SQS: messages handed to the function again (ApproximateReceiveCount > 1)
  esm::account* account = nullptr;
  // An allocation failed in a handler: the library takes a handler's exception for a function
  // error, so the handler notes it here and the sample loop ends the run with std::bad_alloc.
  bool out_of_memory = false;

  void on_invoke() noexcept { iv_conc_max = std::max(iv_conc_max, account->concurrent_executions()); }
  void on_stream_invoke(esm::duration age) {
    on_invoke();
    ages.push_back(age.count());
    const double a = seconds(age);
    iv_age_max = std::isnan(iv_age_max) ? a : std::max(iv_age_max, a);
    iv_age_sum += a;
    ++iv_age_n;
  }
  // A transient function error, drawn per invocation.
  void maybe_fail() {
    if (s.function.error_rate > 0 && fail_rng.bernoulli(s.function.error_rate)) {
      throw handler_failure{"transient error (error_rate)"};
    }
  }
};

/// One producer's state.
struct producer_state {
  producer_state(const producer_spec& s, esm::random_stream r) : spec(&s), rng(r) {}
  const producer_spec* spec = nullptr;
  std::vector<std::string> keys;  // generated keys, then the CSV's
  std::vector<double> zipf_cdf;   // cumulative weights (zipf)
  std::vector<std::uint8_t> poison_key;
  esm::random_stream rng;
  std::uint64_t k = 0;            // records (or bursts, or CSV rows) emitted
  esm::time_point poisson_next{};
};

/// Drives the producers: one event per record (one per burst), no allocation per record.
template <class Sink>
class producers {
public:
  producers(run_state& st, Sink sink) : st_(st), sink_(std::move(sink)) {
    const auto& fn = st.s.function;
    for (std::size_t i = 0; i < st.s.producers.size(); ++i) {
      const auto& spec = st.s.producers[i];
      producer_state p{spec, st.sim.rng("esm-sim/producer/" + std::to_string(i))};
      p.keys.reserve(static_cast<std::size_t>(spec.keys.count) + spec.csv_keys.size());
      for (int k = 0; k < spec.keys.count; ++k) p.keys.push_back(spec.keys.prefix + std::to_string(k));
      for (const auto& k : spec.csv_keys) p.keys.push_back(k);
      if (spec.keys.type == key_spec::kind::zipf) {
        double sum = 0;
        p.zipf_cdf.reserve(static_cast<std::size_t>(spec.keys.count));
        for (int k = 1; k <= spec.keys.count; ++k) p.zipf_cdf.push_back(sum += 1.0 / std::pow(k, spec.keys.zipf_s));
        for (auto& c : p.zipf_cdf) c /= sum;
      }
      p.poison_key.assign(p.keys.size(), 0);
      for (std::size_t k = 0; k < p.keys.size(); ++k) {
        p.poison_key[k] = std::find(fn.poison_keys.begin(), fn.poison_keys.end(), p.keys[k]) != fn.poison_keys.end();
      }
      states_.push_back(std::move(p));
    }
  }

  void start() {
    for (std::uint32_t i = 0; i < states_.size(); ++i) schedule_next(i);
  }

private:
  struct event {
    producers* self;
    std::uint32_t i;
    void operator()() const { self->fire(i); }
  };

  [[nodiscard]] esm::time_point origin() const { return esm::time_point{}; }
  [[nodiscard]] esm::time_point end_of(const producer_spec& p) const {
    return origin() + (p.stop ? *p.stop : st_.s.run_length);
  }

  // When the next record (burst, row) of producer i is due; nullopt when it has finished.
  std::optional<esm::time_point> next_time(producer_state& p) {
    const auto& s = *p.spec;
    const auto start = origin() + s.start;
    const double k = static_cast<double>(p.k);
    std::optional<esm::time_point> t;
    switch (s.type) {
    case producer_spec::kind::constant:
      t = start + esm::duration{static_cast<esm::duration::rep>(std::llround(k * 1e9 / s.rate))};
      break;
    case producer_spec::kind::poisson:
      if (p.k == 0) p.poisson_next = start;
      p.poisson_next += esm::duration{static_cast<esm::duration::rep>(std::llround(p.rng.exponential(1e9 / s.rate)))};
      t = p.poisson_next;
      break;
    case producer_spec::kind::ramp: {
      // Records so far N(τ) = from·τ + (to − from)·τ²/(2T); the k-th (from 0) is at N(τ) = k + 1/2.
      const double T = seconds(*s.stop - s.start);
      const double a = (s.to_rate - s.from_rate) / (2 * T);
      const double b = s.from_rate;
      const double n = k + 0.5;
      double tau = 0;
      if (std::abs(a) < 1e-12) {
        if (b <= 0) return std::nullopt;
        tau = n / b;
      } else {
        const double disc = b * b + 4 * a * n;
        if (disc < 0) return std::nullopt; // a falling ramp that never reaches n records
        tau = (-b + std::sqrt(disc)) / (2 * a);
      }
      if (!(tau >= 0) || tau > T) return std::nullopt;
      t = start + esm::duration{static_cast<esm::duration::rep>(std::llround(tau * 1e9))};
      break;
    }
    case producer_spec::kind::bursts:
      if (s.repeat != 0 && p.k >= s.repeat) return std::nullopt;
      t = start + s.every * static_cast<esm::duration::rep>(p.k);
      break;
    case producer_spec::kind::csv:
      if (p.k >= s.times.size()) return std::nullopt;
      t = origin() + s.times[p.k];
      if (*t < start) t = start;
      break;
    }
    if (*t >= end_of(s) || *t >= origin() + st_.s.run_length) return std::nullopt;
    return t;
  }

  void schedule_next(std::uint32_t i) {
    if (const auto t = next_time(states_[i])) st_.sim.schedule_at(*t, event{this, i});
  }

  std::uint32_t pick_key(producer_state& p) {
    const auto& k = p.spec->keys;
    const auto n = static_cast<std::uint64_t>(k.count);
    switch (k.type) {
    case key_spec::kind::uniform:
      return static_cast<std::uint32_t>(p.rng.uniform_int(0, n - 1));
    case key_spec::kind::hot: {
      const auto hot = static_cast<std::uint64_t>(k.hot_keys);
      if (hot >= n || p.rng.bernoulli(k.hot_share)) return static_cast<std::uint32_t>(p.rng.uniform_int(0, hot - 1));
      return static_cast<std::uint32_t>(p.rng.uniform_int(hot, n - 1));
    }
    case key_spec::kind::zipf: {
      const double u = p.rng.uniform01();
      const auto it = std::lower_bound(p.zipf_cdf.begin(), p.zipf_cdf.end(), u);
      return static_cast<std::uint32_t>(std::min<std::ptrdiff_t>(it - p.zipf_cdf.begin(), k.count - 1));
    }
    }
    return 0;
  }

  void emit(producer_state& p, std::uint32_t key) {
    const std::uint64_t id = next_id_++;
    const auto& fn = st_.s.function;
    bool poison = p.poison_key[key] != 0;
    while (poison_at_ < fn.poison_records.size() && fn.poison_records[poison_at_] < id) ++poison_at_;
    if (poison_at_ < fn.poison_records.size() && fn.poison_records[poison_at_] == id) poison = true;
    if (fn.poison_rate > 0 && p.rng.bernoulli(fn.poison_rate)) poison = true;
    payload pl{id, p.spec->record_bytes, poison, p.spec->operation, 0, {}};
    if (!st_.s.mapping.filter_criteria.empty()) {
      const auto r = fmt::format_to_n(pl.text.data(), pl.text.size(), R"({{"producer":"{}","n":{}}})", p.spec->name, id);
      pl.text_size = static_cast<std::uint8_t>(std::min(r.size, pl.text.size()));
    }
    sink_(p.keys[key], pl, id);
  }

  void fire(std::uint32_t i) {
    auto& p = states_[i];
    const auto& s = *p.spec;
    if (s.type == producer_spec::kind::bursts) {
      for (std::uint64_t n = 0; n < s.count; ++n) emit(p, pick_key(p));
    } else if (s.type == producer_spec::kind::csv) {
      const int key = s.time_keys[p.k];
      emit(p, key >= 0 ? static_cast<std::uint32_t>(s.keys.count + key) : pick_key(p));
    } else {
      emit(p, pick_key(p));
    }
    ++p.k;
    schedule_next(i);
  }

  run_state& st_;
  Sink sink_;
  std::vector<producer_state> states_;
  std::uint64_t next_id_ = 1;
  std::size_t poison_at_ = 0;
};

template <class Sink>
producers(run_state&, Sink) -> producers<Sink>;

/// Samples once per interval until the run length, and fills the result.
template <class Snapshot>
run_result sample_loop(run_state& st, Snapshot snapshot, const progress_fn& progress) {
  const auto& s = st.s;
  run_result r;
  r.virtual_seconds = seconds(s.run_length);
  const auto n = static_cast<std::size_t>((s.run_length + s.sample_interval - esm::duration{1}) / s.sample_interval);
  r.timeline.reserve(n);
  st.ages.reserve(1024);
  counters prev{};
  std::vector<double> oldest;
  esm::duration last_stop{};
  for (const auto& p : s.producers) {
    esm::duration stop = p.stop ? *p.stop : s.run_length;
    if (p.type == producer_spec::kind::csv && !p.times.empty()) stop = std::min(stop, p.times.back() + 1ns);
    if (p.type == producer_spec::kind::bursts && p.repeat != 0) stop = std::min(stop, p.start + p.every * static_cast<esm::duration::rep>(p.repeat - 1) + 1ns);
    last_stop = std::max(last_stop, stop);
  }
  bool drained = false;
  r.producing_at_end = last_stop >= s.run_length;
  for (std::size_t i = 1; i <= n; ++i) {
    const esm::duration t = std::min(s.sample_interval * static_cast<esm::duration::rep>(i), s.run_length);
    st.sim.run_until(esm::time_point{} + t); // the interval [t - interval, t): an event at t is the next one's
    if (st.out_of_memory) throw std::bad_alloc{};
    const counters c = snapshot();
    sample_row row;
    row.t = seconds(t);
    row.records_in = c.records_in - prev.records_in;
    row.processed = c.processed - prev.processed;
    row.filtered = c.filtered - prev.filtered;
    row.invocations = c.invocations - prev.invocations;
    row.errors = c.errors - prev.errors;
    row.throttles = c.throttles - prev.throttles;
    row.retries = c.retries - prev.retries;
    row.bisections = c.bisections - prev.bisections;
    row.dropped = c.dropped - prev.dropped;
    row.to_dlq = c.to_dlq - prev.to_dlq;
    row.cold_starts = c.cold_starts - prev.cold_starts;
    if (st.iv_age_n > 0) {
      row.iterator_age_max = st.iv_age_max;
      row.iterator_age_mean = st.iv_age_sum / static_cast<double>(st.iv_age_n);
    }
    row.backlog = c.backlog;
    row.oldest_age = c.oldest_age;
    row.concurrency = c.concurrency;
    row.concurrency_max = std::max(st.iv_conc_max, c.concurrency);
    row.target = c.target;
    if (!std::isnan(c.oldest_age)) oldest.push_back(c.oldest_age);
    if (c.target_max > r.target_concurrency_max) {
      r.target_concurrency_max = c.target_max;
      r.time_to_target_max = row.t;
    }
    if (!drained && t >= last_stop && c.backlog == 0) {
      drained = true;
      r.drain_time = row.t;
    }
    r.concurrency_max = std::max(r.concurrency_max, row.concurrency_max);
    r.timeline.push_back(row);
    st.iv_age_max = std::numeric_limits<double>::quiet_NaN();
    st.iv_age_sum = 0;
    st.iv_age_n = 0;
    st.iv_conc_max = c.concurrency;
    prev = c;
    if (progress) progress(static_cast<double>(i) / static_cast<double>(n));
  }
  r.records_in = prev.records_in;
  r.processed = prev.processed;
  r.filtered = prev.filtered;
  r.dropped = prev.dropped;
  r.to_dlq = prev.to_dlq;
  r.remaining = prev.backlog;
  r.invocations = prev.invocations;
  r.errors = prev.errors;
  r.timeouts = prev.timeouts;
  r.throttles = prev.throttles;
  r.retries = prev.retries;
  r.bisections = prev.bisections;
  r.cold_starts = prev.cold_starts;
  r.duplicates = prev.duplicates;
  r.rejected = st.rejected;
  r.windows = st.windows;
  r.window_records = st.window_records;
  r.concurrency_mean = seconds(prev.busy) / r.virtual_seconds;
  r.events = st.sim.events_run();
  // Percentiles by nearest rank.
  auto pct = [](std::vector<double>& v, double q) {
    if (v.empty()) return 0.0;
    const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    const auto idx = std::min(v.size() - 1, k == 0 ? 0 : k - 1);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
    return v[idx];
  };
  if (!st.ages.empty()) {
    std::vector<double> a;
    a.reserve(st.ages.size());
    for (const auto ns : st.ages) a.push_back(static_cast<double>(ns) / 1e9);
    r.iterator_age_max = *std::max_element(a.begin(), a.end());
    r.iterator_age_p50 = pct(a, 0.50);
    r.iterator_age_p99 = pct(a, 0.99);
  }
  if (!oldest.empty()) {
    r.oldest_message_age_max = *std::max_element(oldest.begin(), oldest.end());
    r.oldest_message_age_p99 = pct(oldest, 0.99);
  }
  return r;
}

esm::duration_model to_model(const duration_spec& d) {
  esm::duration_model m = esm::duration_model::fixed(d.a);
  switch (d.type) {
  case duration_spec::kind::fixed:
    break;
  case duration_spec::kind::uniform:
    m = esm::duration_model::uniform(d.a, d.b);
    break;
  case duration_spec::kind::exponential:
    m = esm::duration_model::exponential(d.a);
    break;
  case duration_spec::kind::normal:
    m = esm::duration_model::normal(d.a, d.b);
    break;
  }
  if (d.per_record > esm::duration::zero()) m.plus_per_item(d.per_record);
  return m;
}

// The library configurations the scenario describes: the run builds these, and
// check_with_library() has the library validate them before anything runs.
esm::account_config account_config_of(const function_spec& f) {
  return {.concurrency_limit = f.account_concurrency, .unreserved_minimum = std::min(100, f.account_concurrency)};
}
esm::function_config function_config_of(const function_spec& f) {
  esm::function_config fc;
  fc.name = f.name;
  fc.timeout = f.timeout;
  fc.reserved_concurrency = f.reserved_concurrency;
  fc.memory_mb = f.memory_mb;
  fc.default_duration = to_model(f.duration);
  if (f.cold_starts) fc.cold_start = esm::cold_start_model{.init = to_model(f.cold_start_init), .keep_warm = f.keep_warm};
  return fc;
}
esm::retention retention_of(const source_spec& src) {
  return src.until_consumed ? esm::retention::until_consumed() : esm::retention::period(src.retention);
}
esm::kinesis_stream_config kinesis_config_of(const source_spec& src) {
  return {.name = src.name, .shard_count = src.shards, .retention = retention_of(src), .write_limits = src.write_limits};
}
esm::dynamodb_stream_config dynamodb_config_of(const source_spec& src) {
  esm::dynamodb_stream_config dc;
  dc.name = src.name;
  dc.partitions = src.shards;
  dc.rollover = src.rollover;
  dc.retention = retention_of(src);
  return dc;
}
template <class Queue>
typename Queue::config_type queue_config_of(const source_spec& src) {
  typename Queue::config_type qc;
  qc.name = src.name;
  qc.visibility_timeout = src.visibility_timeout;
  qc.delay = src.delay;
  qc.retention = src.retention;
  if constexpr (Queue::is_fifo) {
    qc.content_based_deduplication = src.content_based_deduplication;
  } else {
    qc.delivery = esm::at_least_once{.duplicate_rate = src.duplicate_probability, .reorder_rate = src.reorder_probability};
  }
  return qc;
}
// The dead-letter queue esm-sim attaches: the source's settings, 14 days, no delivery faults.
template <class Queue>
typename Queue::config_type dlq_config_of(const source_spec& src) {
  auto dc = queue_config_of<Queue>(src);
  dc.name = Queue::is_fifo ? src.name.substr(0, src.name.size() - 5) + "-dlq.fifo" : src.name + "-dlq";
  if constexpr (!Queue::is_fifo) dc.delivery = {};
  dc.retention = 14 * 24h;
  return dc;
}

/// AWS's on-demand scaling, current or 2022, chosen at run time: the scenario's policy, held by
/// value (its state lives across calls), reached through `std::visit`.
struct sim_scaling {
  std::variant<esm::sqs_scaling, esm::sqs_scaling_2022> policy;
  [[nodiscard]] int initial_concurrency() const {
    return std::visit([](const auto& p) { return p.initial_concurrency(); }, policy);
  }
  [[nodiscard]] esm::duration interval() const {
    return std::visit([](const auto& p) { return p.interval(); }, policy);
  }
  [[nodiscard]] int next_target(const esm::scaling_observation& o) {
    return std::visit([&](auto& p) { return p.next_target(o); }, policy);
  }
  [[nodiscard]] std::optional<int> concurrency_cap() const {
    return std::visit([](const auto& p) { return p.concurrency_cap(); }, policy);
  }
  void validate(esm::source_kind k) const {
    std::visit([&](const auto& p) { p.validate(k); }, policy);
  }
};

/// The queue's own visibility timeout, or exponential backoff through ChangeMessageVisibility.
struct sim_visibility {
  std::optional<esm::exponential_backoff_visibility> backoff;
  [[nodiscard]] std::optional<esm::duration> on_failure(const esm::failed_message& m) const {
    return backoff ? backoff->on_failure(m) : std::nullopt;
  }
  void validate() const {
    if (backoff) backoff->validate();
  }
};

template <class Record>
const payload& payload_of(const Record& r) {
  if constexpr (requires { r.data; }) {
    return r.data;
  } else if constexpr (requires { r.new_image; }) {
    return r.new_image ? *r.new_image : *r.old_image; // a REMOVE has only the old image
  } else {
    return r.body;
  }
}

// Runs a handler's body; an allocation that fails in it is noted (the library would take the
// std::bad_alloc for a function error) and rethrown.
template <class F>
auto noting_out_of_memory(run_state& st, F&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    st.out_of_memory = true;
    throw;
  }
}

// One stream handler with both call forms: the poller calls the window form while the mapping
// has a tumbling window and the plain form otherwise, so one poller type serves every scenario.
template <class Batch, class Fail>
struct stream_handler {
  run_state* st;
  Fail fail; // the scenario's failures for a batch
  esm::batch_response operator()(const Batch& b, esm::invocation_context& ctx) const {
    return noting_out_of_memory(*st, [&] {
      st->on_stream_invoke(ctx.now() - b.back().arrival);
      return fail(b);
    });
  }
  esm::window_response operator()(const Batch& b, const esm::window_context& w, esm::invocation_context& ctx) const {
    return noting_out_of_memory(*st, [&] { return window(b, w, ctx); });
  }
  esm::window_response window(const Batch& b, const esm::window_context& w, esm::invocation_context& ctx) const {
    if (!b.empty()) st->on_stream_invoke(ctx.now() - b.back().arrival);
    else st->on_invoke();
    auto f = fail(b);
    std::uint64_t count = 0;
    for (const char c : w.state) count = count * 10 + static_cast<std::uint64_t>(c - '0');
    count += b.size();
    if (w.is_final_invoke_for_window && f.empty()) {
      ++st->windows;
      st->window_records += count;
    }
    return {std::to_string(count), std::move(f.batch_item_failures)};
  }
};

// The on-failure destination, there or not as the scenario says (records counted in `to_dlq`).
struct sim_destination {
  using esm_role = esm::destination_role;
  bool on = false;
  [[nodiscard]] bool configured() const noexcept { return on; }
  static bool send(const esm::stream_failure_record&) noexcept { return true; }
};

template <class Stream, class Sink>
run_result run_stream(run_state& st, Stream& stream, esm::function& fn, Sink sink, const progress_fn& progress) {
  const auto& s = st.s;
  const auto& m = s.mapping;
  using batch = esm::stream_batch<typename Stream::record_type>;
  const bool rbif = m.report_batch_item_failures;

  auto failures = [&st, rbif](const batch& b) -> esm::batch_response {
    st.maybe_fail();
    for (const auto& r : b) {
      if (payload_of(r).poison) {
        if (!rbif) throw handler_failure{fmt::format("poison record {}", payload_of(r).id)};
        return esm::batch_response{}.fail(r.sequence_number());
      }
    }
    return {};
  };
  esm::stream_options opts;
  opts.start = m.start;
  opts.report_batch_item_failures = rbif;
  opts.name = s.name.empty() ? "esm" : "esm-sim";
  producers prod{st, std::move(sink)};
  auto go = [&](auto& poller) {
    prod.start();
    auto snapshot = [&]() {
      counters c;
      const auto& pm = poller.metrics();
      const auto& fm = fn.metrics();
      if constexpr (requires { stream.metrics().records_put; }) c.records_in = stream.metrics().records_put;
      else c.records_in = stream.metrics().records_written;
      c.processed = pm.processed_event_count;
      c.filtered = pm.filtered_out_event_count;
      c.dropped = pm.dropped_event_count + pm.expired_event_count;
      c.to_dlq = pm.on_failure_destination_delivered_event_count;
      c.invocations = fm.invocations;
      c.errors = fm.errors;
      c.timeouts = fm.timeouts;
      c.throttles = fm.throttles;
      c.retries = pm.retries;
      c.bisections = pm.bisections;
      c.cold_starts = fm.cold_starts;
      const auto done = c.processed + c.filtered + c.dropped + c.to_dlq;
      c.backlog = c.records_in > done ? c.records_in - done : 0;
      c.concurrency = pm.concurrency;
      c.busy = fm.duration.sum + fm.init_duration.sum;
      return c;
    };
    return sample_loop(st, snapshot, progress);
  };
  esm::stream_poller p{stream, fn, stream_handler<batch, decltype(failures)>{&st, failures}, m.batching, m.parallelization, m.retry, m.throttle,
                       opts, m.tumbling_window, sim_destination{m.on_failure_destination}, m.filter_criteria};
  return go(p);
}

template <class Queue>
run_result run_queue(run_state& st, esm::function& fn, const progress_fn& progress) {
  const auto& s = st.s;
  const auto& src = s.source;
  const auto& m = s.mapping;
  Queue q{st.sim, queue_config_of<Queue>(src)};
  Queue dlq{st.sim, dlq_config_of<Queue>(src)};
  if (src.max_receive_count) q.set_redrive_policy(dlq, *src.max_receive_count);

  using batch = esm::queue_batch<typename Queue::message_type>;
  const bool rbif = m.report_batch_item_failures;
  auto handle = [&st, rbif](const batch& b) -> esm::batch_response {
    st.on_invoke();
    st.maybe_fail();
    esm::batch_response out;
    // FIFO: once a message of a group fails, every later message of that group in the batch is
    // returned too, so the group keeps its order (spec 3.6); other groups are not held back.
    std::array<std::string_view, 10> failed_groups{};
    std::size_t failed = 0;
    for (const auto& msg : b) {
      if (msg.receive_count > 1) ++st.redeliveries;
      bool fails = msg.body.poison;
      if constexpr (Queue::is_fifo) {
        const std::string_view g{msg.group_id};
        const bool group_failed = std::find(failed_groups.begin(), failed_groups.begin() + static_cast<std::ptrdiff_t>(failed), g) !=
                                  failed_groups.begin() + static_cast<std::ptrdiff_t>(failed);
        if (fails && !group_failed && failed < failed_groups.size()) failed_groups[failed++] = g;
        fails = fails || group_failed;
      }
      if (!fails) continue;
      if (!rbif) throw handler_failure{fmt::format("poison message {}", msg.body.id)};
      out.fail(std::string{msg.message_id()});
    }
    return out;
  };
  auto handler = [&st, &handle](const batch& b, esm::invocation_context&) {
    return noting_out_of_memory(st, [&] { return handle(b); });
  };
  esm::queue_poller poller{q,
                           fn,
                           handler,
                           m.filter_criteria,
                           m.batching,
                           sim_scaling{m.scaling},
                           sim_visibility{m.visibility_backoff},
                           esm::queue_options{.report_batch_item_failures = rbif, .enabled = true, .name = "esm-sim"}};
  auto sink = [&q](const std::string& key, payload p, std::uint64_t id) {
    if constexpr (Queue::is_fifo) {
      esm::send_options o;
      o.group_id = key;
      o.deduplication_id = std::to_string(id);
      q.send(p, std::move(o));
    } else {
      (void)key;
      (void)id;
      q.send(p);
    }
  };
  producers prod{st, sink};
  prod.start();
  auto snapshot = [&]() {
    counters c;
    const auto& pm = poller.metrics();
    const auto& fm = fn.metrics();
    const auto& qm = q.metrics();
    c.records_in = qm.sent;
    c.processed = pm.processed_event_count;
    c.filtered = pm.filtered_out_event_count;
    c.dropped = qm.expired;
    c.to_dlq = qm.redriven_out;
    c.invocations = fm.invocations;
    c.errors = fm.errors;
    c.timeouts = fm.timeouts;
    c.throttles = fm.throttles;
    c.retries = st.redeliveries; // a failed message is not re-invoked but received again
    c.cold_starts = fm.cold_starts;
    c.duplicates = qm.duplicate_deliveries;
    c.backlog = q.size();
    c.oldest_age = seconds(q.approximate_age_of_oldest_message());
    c.concurrency = pm.concurrency;
    c.target = poller.target_concurrency();
    c.target_max = pm.max_target_concurrency; // cumulative already
    c.busy = fm.duration.sum + fm.init_duration.sum;
    return c;
  };
  return sample_loop(st, snapshot, progress);
}

} // namespace

void check_with_library(const source_spec& src, const function_spec& f) {
  esm::simulation scratch; // the objects are built and dropped: only their validation matters
  library_check([&] { (void)esm::account::configure(scratch, account_config_of(f)); },
                {{"concurrency_limit", "function.account_concurrency"}}, "function");
  library_check([&] { esm::function fn{scratch, function_config_of(f)}; },
                {{"name", "function.name"},
                 {"timeout", "function.timeout"},
                 {"memory_mb", "function.memory_mb"},
                 {"reserved_concurrency", "function.reserved_concurrency"},
                 {"cold_start.keep_warm", "function.cold_start.keep_warm"}},
                "function");
  auto queue = [&]<class Queue>(std::type_identity<Queue>) {
    Queue q{scratch, queue_config_of<Queue>(src)};
    Queue dlq{scratch, dlq_config_of<Queue>(src)};
    if (src.max_receive_count) q.set_redrive_policy(dlq, *src.max_receive_count);
  };
  library_check(
      [&] {
        switch (src.type) {
        case source_type::kinesis:
          (void)esm::kinesis_stream<payload>{scratch, kinesis_config_of(src)};
          break;
        case source_type::dynamodb:
          (void)esm::dynamodb_stream<payload>{scratch, dynamodb_config_of(src)};
          break;
        case source_type::sqs:
          queue(std::type_identity<esm::sqs_queue<payload>>{});
          break;
        case source_type::sqs_fifo:
          queue(std::type_identity<esm::sqs_fifo_queue<payload>>{});
          break;
        }
      },
      {{"name", "source.name"},
       {"shard_count", "source.shards"},
       {"partitions", "source.partitions"},
       {"retention", "source.retention"},
       {"rollover", "source.rollover"},
       {"visibility_timeout", "source.visibility_timeout"},
       {"delay", "source.delay"},
       {"max_receive_count", "source.dead_letter_queue.max_receive_count"},
       {"delivery.duplicate_rate", "source.at_least_once.duplicate_probability"},
       {"delivery.reorder_rate", "source.at_least_once.reorder_probability"}},
      "source");
}

run_result run_scenario(const scenario& s, const progress_fn& progress) {
  run_state st{s};
  try {
    const auto& f = s.function;
    st.account = &esm::account::configure(st.sim, account_config_of(f));
    esm::function fn{st.sim, function_config_of(f)};
    switch (s.source.type) {
    case source_type::kinesis: {
      esm::kinesis_stream<payload> stream{st.sim, kinesis_config_of(s.source)};
      struct reshard_event { // splits every open shard in two, or merges adjacent open shards in pairs
        esm::kinesis_stream<payload>* stream;
        bool split;
        void operator()() const {
          std::vector<std::string> ids; // in hash-key order
          for (const auto o : stream->open_shards()) ids.push_back(stream->shard_at(o).id());
          if (split) {
            for (const auto& id : ids) (void)stream->split_shard(id);
          } else {
            for (std::size_t i = 0; i + 1 < ids.size(); i += 2) (void)stream->merge_shards(ids[i], ids[i + 1]);
          }
        }
      };
      for (const auto& rs : s.source.reshards) st.sim.schedule_at(esm::time_point{} + rs.at, reshard_event{&stream, rs.split});
      auto sink = [&stream, &st](const std::string& key, payload p, std::uint64_t) {
        try {
          stream.put(key, p);
        } catch (const esm::throughput_exceeded&) {
          ++st.rejected; // the producer's write failed: the record never entered the stream
        }
      };
      return run_stream(st, stream, fn, sink, progress);
    }
    case source_type::dynamodb: {
      esm::dynamodb_stream<payload> stream{st.sim, dynamodb_config_of(s.source)};
      auto sink = [&stream](const std::string& key, payload p, std::uint64_t) {
        switch (p.operation) {
        case producer_spec::write_kind::insert:
          stream.insert(esm::dynamodb_key{key}, p);
          break;
        case producer_spec::write_kind::modify:
          stream.modify(esm::dynamodb_key{key}, p, p); // the item, before and after
          break;
        case producer_spec::write_kind::remove:
          stream.remove(esm::dynamodb_key{key}, p);
          break;
        }
      };
      return run_stream(st, stream, fn, sink, progress);
    }
    case source_type::sqs:
      return run_queue<esm::sqs_queue<payload>>(st, fn, progress);
    case source_type::sqs_fifo:
      return run_queue<esm::sqs_fifo_queue<payload>>(st, fn, progress);
    }
  } catch (const esm::config_error& e) {
    throw scenario_error("", std::string{"the library rejected the scenario: "} + e.what());
  }
  throw scenario_error("source.type", "unknown source type");
}

} // namespace esm_sim
