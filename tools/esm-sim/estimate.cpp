// esm-sim: the resource guard's estimate and memory limit (docs/esm-sim.md, "Memory").
#include "estimate.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <vector>

#include <fmt/core.h>

#include <esm/policies/batching.hpp>
#include <esm/sources/kinesis_stream.hpp>

namespace esm_sim {

namespace {

double seconds(esm::duration d) { return std::chrono::duration<double>(d).count(); }

// Bytes one record held in the source costs, measured (docs/esm-sim.md, "Memory"): the stored
// record (payload, key, sequence number, arrival), the shard's or queue's index of it, and the
// allocator's overhead.
double bytes_per_record(source_type t) {
  switch (t) {
  case source_type::kinesis:
    return 160;
  case source_type::dynamodb:
    return 360;
  case source_type::sqs:
    return 420;
  case source_type::sqs_fifo:
    return 480;
  }
  return 480;
}
constexpr double bytes_per_invocation = 24;      // its IteratorAge (8 bytes, a doubling vector) and the percentile copy
constexpr double bytes_per_deduplication_id = 200; // FIFO: a message's deduplication id, kept 5 minutes
constexpr double bytes_per_shard = 1024;         // a shard or lane, its state and its timers
constexpr double bytes_per_key = 64;             // a producer's key string and its tables
constexpr double bytes_per_sample = 512;         // a timeline row, its CSV line, its chart points
constexpr double bytes_base = 8.0 * 1024 * 1024; // the program, the library, the report

// Records producer p has written by time t (bursts and CSV rows at t included).
double written_by(const producer_spec& p, esm::duration run, double t) {
  const double start = seconds(p.start);
  const double end = seconds(p.stop ? *p.stop : run);
  if (t < start) return 0;
  const double active = std::min(t, end) - start;
  switch (p.type) {
  case producer_spec::kind::constant:
  case producer_spec::kind::poisson:
    return p.rate * std::max(0.0, active);
  case producer_spec::kind::ramp: {
    const double T = end - start;
    const double tau = std::clamp(active, 0.0, T);
    return p.from_rate * tau + (p.to_rate - p.from_rate) * tau * tau / (2 * T);
  }
  case producer_spec::kind::bursts: {
    const double every = seconds(p.every);
    // Bursts at start + k·every, k = 0, 1, ..., strictly before the end, at or before t.
    const double last = std::min(t, std::nextafter(end, 0.0));
    double n = last < start ? 0 : std::floor((last - start) / every) + 1;
    if (p.repeat != 0) n = std::min(n, static_cast<double>(p.repeat));
    return n * static_cast<double>(p.count);
  }
  case producer_spec::kind::csv: {
    const auto limit = esm::duration{static_cast<esm::duration::rep>(std::min(t, end) * 1e9)};
    return static_cast<double>(std::upper_bound(p.times.begin(), p.times.end(), limit) - p.times.begin());
  }
  }
  return 0;
}

double mean_of(const duration_spec& d, double batch) {
  double m = seconds(d.a);
  if (d.type == duration_spec::kind::uniform) m = (seconds(d.a) + seconds(d.b)) / 2;
  return m + seconds(d.per_record) * batch;
}

esm::source_kind kind_of(source_type t) {
  switch (t) {
  case source_type::kinesis:
    return esm::source_kind::kinesis;
  case source_type::dynamodb:
    return esm::source_kind::dynamodb;
  case source_type::sqs:
    return esm::source_kind::sqs_standard;
  case source_type::sqs_fifo:
    return esm::source_kind::sqs_fifo;
  }
  return esm::source_kind::kinesis;
}

} // namespace

resource_estimate estimate_resources(const scenario& s) {
  resource_estimate e;
  const double run = seconds(s.run_length);
  const auto& src = s.source;
  const bool stream = is_stream(src.type);
  auto written = [&](double t) {
    double n = 0;
    for (const auto& p : s.producers) n += written_by(p, s.run_length, t);
    return n;
  };
  auto written_at_rates = [&](double t) { // by the constant, poisson and ramp producers
    double n = 0;
    for (const auto& p : s.producers) {
      if (p.type != producer_spec::kind::bursts && p.type != producer_spec::kind::csv)
        n += written_by(p, s.run_length, t);
    }
    return n;
  };
  e.records = written(run);

  // The most shards open at once (each split_all doubles them, each merge_all halves them).
  double shards = src.shards, most_shards = shards;
  for (const auto& r : src.reshards) {
    shards = r.split ? shards * 2 : std::ceil(shards / 2);
    most_shards = std::max(most_shards, shards);
  }

  // How fast the mapping can consume: concurrent invocations × records per invocation / its time.
  double record_bytes = 1;
  for (const auto& p : s.producers) record_bytes = std::max(record_bytes, static_cast<double>(p.record_bytes));
  const double batch =
      std::max(1.0, std::min(static_cast<double>(s.mapping.batching.effective_batch_size(kind_of(src.type))),
                             std::floor(static_cast<double>(esm::max_invoke_payload_bytes) / record_bytes)));
  const double invoke_s = std::max(1e-3, mean_of(s.function.duration, batch));
  double most_concurrent = static_cast<double>(s.function.account_concurrency);
  if (s.function.reserved_concurrency)
    most_concurrent = std::min(most_concurrent, static_cast<double>(*s.function.reserved_concurrency));
  const bool poison =
      !s.function.poison_records.empty() || s.function.poison_rate > 0 || !s.function.poison_keys.empty();
  auto concurrency_at = [&](double t) {
    if (stream) return std::min(most_concurrent, most_shards * static_cast<double>(s.mapping.parallelization.factor));
    const bool y2022 = s.mapping.scaling_2022();
    const double ceiling = y2022 ? 1000 : 1250;
    const double ramp = 5 + (y2022 ? 60 : 300) * t / 60;
    return std::min(
        {most_concurrent, ceiling, ramp, static_cast<double>(s.mapping.maximum_concurrency().value_or(1250))});
  };
  // A failing invocation consumes nothing; a poison record may block its shard for good (the
  // estimate assumes the mapping then consumes nothing at all).
  const double success = stream && poison ? 0.0 : 1.0 - s.function.error_rate;
  // Kinesis: a shard is read at 2 MiB/s at most (GetRecords), whatever the lanes could take.
  const double read_cap =
      src.type == source_type::kinesis
          ? most_shards * static_cast<double>(esm::kinesis_stream<int>::max_read_bytes_per_second) / record_bytes
          : std::numeric_limits<double>::infinity();
  // More lanes than concurrency: lanes are throttled and each throttle costs its lane the
  // throttle backoff (1 s by default), which the estimate charges to every invocation.
  const double lanes = most_shards * static_cast<double>(s.mapping.parallelization.factor);
  const double cycle_s =
      stream && lanes > most_concurrent ? invoke_s + seconds(s.mapping.throttle.delay.initial) : invoke_s;
  auto capacity_at = [&](double t) { return std::min(concurrency_at(t) * batch / cycle_s, read_cap) * success; };
  // A mapping that keeps up still holds what arrives while it waits for its next poll (Kinesis
  // 1 s, DynamoDB 250 ms, an SQS poll taken as 1 s), its batching window and the invocation.
  const double poll_s = src.type == source_type::kinesis ? 1.0 : src.type == source_type::dynamodb ? 0.25 : 1.0;
  const double latency_s = poll_s + seconds(s.mapping.batching.window) + invoke_s;

  // Records held, stepped through the run: streams keep every record younger than the
  // retention period (consumed or not); `until_consumed` streams and queues keep the backlog
  // (queues at most their retention period's worth too).
  const bool by_retention = stream && !src.until_consumed;
  const double retention = seconds(src.retention);
  e.held_reason = by_retention ? duration_text(src.retention) + " retention"
                  : stream     ? "until consumed"
                               : "the queue's backlog";
  constexpr int steps = 4000;
  const double dt = run / steps;
  double backlog = 0, prev = 0, prev_at_rates = 0, consumed = 0, dedup_peak = 0;
  for (int k = 1; k <= steps; ++k) {
    const double t = dt * k;
    const double now = written(t);
    const double in = now - prev;
    prev = now;
    const double now_at_rates = written_at_rates(t);
    const double waiting = (now_at_rates - prev_at_rates) / dt * latency_s;
    prev_at_rates = now_at_rates;
    double held = 0;
    if (by_retention) {
      held = now - (t > retention ? written(t - retention) : 0.0);
      consumed += std::min(backlog + in, capacity_at(t) * dt);
      backlog = std::max(0.0, backlog + in - capacity_at(t) * dt);
    } else {
      const double before = backlog + in; // before this step's consumption: errs high by one step's worth
      const double out = std::min(before, capacity_at(t) * dt);
      consumed += out;
      backlog = before - out;
      held = std::min(before + waiting, now);
      if (!stream) held = std::min(held, now - (t > retention ? written(t - retention) : 0.0));
    }
    e.peak_held = std::max(e.peak_held, held);
    if (src.type == source_type::sqs_fifo) { // deduplication ids sent in the last 5 minutes
      dedup_peak = std::max(dedup_peak, now - (t > 300 ? written(t - 300) : 0.0));
    }
  }

  // Invocations: one per batch consumed, at least one per lane per invocation time while
  // records flow (a lane that keeps up invokes with smaller batches).
  const double lanes_rate = concurrency_at(run) / invoke_s;
  e.invocations =
      std::min(std::max(consumed / batch, std::min(consumed, lanes_rate * run)), e.records + lanes_rate * run);
  if (stream && poison) e.invocations = std::max(e.invocations, lanes_rate * run);
  const double samples = std::ceil(seconds(s.run_length) / seconds(s.sample_interval));
  double producer_events = 0, keys = 0;
  for (const auto& p : s.producers) {
    producer_events += p.type == producer_spec::kind::bursts
                           ? written_by(p, s.run_length, run) / static_cast<double>(p.count)
                           : written_by(p, s.run_length, run);
    keys += p.keys.count + static_cast<double>(p.csv_keys.size());
  }
  // Per invocation: the invoke and its completion (polls, checkpoints and deletes ride on them).
  e.events = producer_events + 2 * e.invocations + samples + (stream ? most_shards : 0);
  e.bytes = bytes_base + e.peak_held * bytes_per_record(src.type) + e.invocations * bytes_per_invocation +
            most_shards * bytes_per_shard * (stream ? s.mapping.parallelization.factor : 1) + keys * bytes_per_key +
            samples * bytes_per_sample + dedup_peak * bytes_per_deduplication_id;
  return e;
}

memory_limit default_memory_limit() {
  memory_limit m;
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) {
    const double phys = static_cast<double>(pages) * static_cast<double>(page);
    m = {phys / 2, "half of the physical memory (" + bytes_text(phys) + ")"};
  } else {
    m = {4.0 * 1024 * 1024 * 1024, "4 GiB (the physical memory is unknown)"};
  }
  std::ifstream cg("/sys/fs/cgroup/memory.max");
  std::string text;
  if (cg >> text && text != "max") {
    double v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc{} && ptr == text.data() + text.size() && v > 0 && 0.8 * v < m.bytes) {
      m = {0.8 * v, "80% of the cgroup's memory.max (" + bytes_text(v) + ")"};
    }
  }
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY &&
      static_cast<double>(as.rlim_cur) / 2 < m.bytes) {
    m = {static_cast<double>(as.rlim_cur) / 2,
         "half of the address-space limit, RLIMIT_AS (" + bytes_text(static_cast<double>(as.rlim_cur)) + ")"};
  }
  return m;
}

std::optional<double> parse_size(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + i, v);
  if (ec != std::errc{} || end != text.data() + i) return std::nullopt;
  std::string unit;
  for (const char c : text.substr(i)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double mult = 0;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    mult = 1024.0;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tb" || unit == "tib")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else
    return std::nullopt;
  const double bytes = v * mult;
  if (!(bytes >= 1) || bytes > std::ldexp(1.0, 60)) return std::nullopt;
  return bytes;
}

std::string bytes_text(double b) {
  constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (b >= 1024 && u < 6) {
    b /= 1024;
    ++u;
  }
  return u == 0   ? fmt::format("{:.0f} B", b)
         : b < 10 ? fmt::format("{:.1f} {}", b, units[u])
                  : fmt::format("{:.0f} {}", b, units[u]);
}

std::string count_text(double n) {
  if (n < 1e6) return fmt::format("{:.0f}", n);
  int exp = static_cast<int>(std::floor(std::log10(n)));
  double mantissa = n / std::pow(10.0, exp);
  if (mantissa >= 9.95) { // 9.96e8 reads 1.0e9, not 10.0e8
    mantissa /= 10;
    ++exp;
  }
  return fmt::format("{:.1f}e{}", mantissa, exp);
}

} // namespace esm_sim
