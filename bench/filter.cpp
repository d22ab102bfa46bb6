// Event filter benchmark (esm/filter/criteria.hpp): 1,000 varied JSON SQS bodies of about 200
// bytes (seeded generator), matched as `text_or_json` `body` fields, round-robin.
//
// BM_filter_three_conditions: {"body":{"type":["order"],"price":[{"numeric":[">",100]}],
//   "region":[{"prefix":"eu-"}]}}.
// BM_filter_early_miss: a pattern whose first condition fails on the first key of every body
//   (esm still validates the whole body: invalid JSON would change the outcome of text patterns).
// BM_filter_or: a three-branch `$or`, one branch nested one level down.
// Each BM_<name>_baseline does the same with nlohmann::json: parse the body (no exceptions) and
// compare the same fields by hand. Items: records matched; bytes: body bytes read. Each esm case
// also reports `x_nlohmann`, the baseline's time per record over esm's, both measured in this
// process outside the timed loop (min of 5 passes). Both sides must keep the same records (checked
// before timing).
#include <esm/filter/criteria.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t records = 1000;

/// ~200-byte JSON bodies with the fields the patterns name, in a few shapes and key orders.
const std::vector<std::string>& bodies() {
  static const std::vector<std::string> all = [] {
    std::mt19937_64 rng{20211126};
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const char* types[] = {"order", "order", "refund", "quote"};
    const char* regions[] = {"eu-west-1", "eu-central-1", "us-east-1", "ap-south-1"};
    const char* tiers[] = {"gold", "silver", "bronze"};
    const char* names[] = {"Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov"};
    std::vector<std::string> out;
    out.reserve(records);
    for (std::size_t i = 0; i < records; ++i) {
      const std::string id = "\"id\":\"ord-" + std::to_string(100000 + rng() % 900000) + "\"";
      const std::string type = std::string{"\"type\":\""} + types[pick(4)] + "\"";
      const std::string price = "\"price\":" + std::to_string(pick(500)) + "." + std::to_string(pick(100));
      const std::string region = std::string{"\"region\":\""} + regions[pick(4)] + "\"";
      std::string s = "{" + id + ",";
      if (pick(2) == 0) {
        s += type + "," + price + "," + region;
      } else {
        s += region + "," + price + "," + type;
      }
      s += std::string{",\"customer\":{\"name\":\""} + names[pick(5)] + "\",\"tier\":\"" + tiers[pick(3)] + "\"}";
      s += ",\"items\":[";
      const std::size_t n = 1 + pick(3);
      for (std::size_t k = 0; k < n; ++k) {
        if (k != 0) s += ',';
        s += "{\"sku\":\"SKU-" + std::to_string(pick(10000)) + "\",\"qty\":" + std::to_string(1 + pick(9)) + "}";
      }
      s += "],\"note\":\"";
      while (s.size() < 196) s += static_cast<char>('a' + pick(26));
      s += "\"}";
      out.push_back(std::move(s));
    }
    return out;
  }();
  return all;
}

std::size_t total_bytes() {
  std::size_t n = 0;
  for (const auto& b : bodies()) n += b.size();
  return n;
}

// ---- the three workloads, esm and by hand ----------------------------------------------------

struct workload {
  const char* pattern;
  bool (*by_hand)(const nlohmann::json&);
};

bool is_string_equal(const nlohmann::json& j, const char* key, std::string_view value) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() && it->get_ref<const std::string&>() == value;
}
bool is_number_above(const nlohmann::json& j, const char* key, double bound) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() && it->get<double>() > bound;
}
bool has_prefix(const nlohmann::json& j, const char* key, std::string_view prefix) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() && it->get_ref<const std::string&>().starts_with(prefix);
}

const workload three_conditions{
    R"({"body":{"type":["order"],"price":[{"numeric":[">",100]}],"region":[{"prefix":"eu-"}]}})",
    [](const nlohmann::json& j) {
      return is_string_equal(j, "type", "order") && is_number_above(j, "price", 100) && has_prefix(j, "region", "eu-");
    }};

const workload early_miss{R"({"body":{"id":["ord-0"],"type":["order"]}})", [](const nlohmann::json& j) {
                            return is_string_equal(j, "id", "ord-0") && is_string_equal(j, "type", "order");
                          }};

const workload or_branches{
    R"({"body":{"$or":[{"type":["refund"]},{"price":[{"numeric":[">",450]}]},{"customer":{"tier":["gold"]}}]}})",
    [](const nlohmann::json& j) {
      if (is_string_equal(j, "type", "refund") || is_number_above(j, "price", 450)) return true;
      const auto c = j.find("customer");
      if (c == j.end()) return false;
      if (c->is_object()) return is_string_equal(*c, "tier", "gold");
      if (c->is_array()) {
        for (const auto& e : *c) {
          if (e.is_object() && is_string_equal(e, "tier", "gold")) return true;
        }
      }
      return false;
    }};

std::size_t esm_pass(const esm::filter_criteria& criteria) {
  std::size_t kept = 0;
  for (const std::string& b : bodies()) {
    const esm::filter::field f[] = {{"body", esm::filter::field_kind::text_or_json, b}};
    kept += criteria.matches(f) ? 1 : 0;
  }
  return kept;
}

std::size_t baseline_pass(const workload& w) {
  std::size_t kept = 0;
  for (const std::string& b : bodies()) {
    const nlohmann::json j = nlohmann::json::parse(b, nullptr, false);
    if (j.is_discarded() || !(j.is_object() || j.is_array())) continue; // a JSON pattern never matches text
    if (j.is_object()) {
      kept += w.by_hand(j) ? 1 : 0;
    } else {
      for (const auto& e : j) {
        if (e.is_object() && w.by_hand(e)) {
          ++kept;
          break;
        }
      }
    }
  }
  return kept;
}

/// Seconds per pass, the minimum of 5.
template <class F>
double seconds_per_pass(F&& pass) {
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(pass());
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

void run_esm(benchmark::State& state, const workload& w) {
  const esm::filter_criteria criteria{w.pattern};
  const std::size_t expected = baseline_pass(w);
  if (esm_pass(criteria) != expected) {
    state.SkipWithError("esm and the baseline keep different records");
    return;
  }
  std::size_t kept = 0;
  for (auto _ : state) kept += esm_pass(criteria);
  benchmark::DoNotOptimize(kept);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes()));
  const double ours = seconds_per_pass([&] { return esm_pass(criteria); });
  const double theirs = seconds_per_pass([&] { return baseline_pass(w); });
  state.counters["x_nlohmann"] = theirs / ours;
  state.counters["kept%"] = 100.0 * static_cast<double>(expected) / records;
}

void run_baseline(benchmark::State& state, const workload& w) {
  std::size_t kept = 0;
  for (auto _ : state) kept += baseline_pass(w);
  benchmark::DoNotOptimize(kept);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes()));
}

void BM_filter_three_conditions(benchmark::State& state) { run_esm(state, three_conditions); }
void BM_filter_three_conditions_baseline(benchmark::State& state) { run_baseline(state, three_conditions); }
void BM_filter_early_miss(benchmark::State& state) { run_esm(state, early_miss); }
void BM_filter_early_miss_baseline(benchmark::State& state) { run_baseline(state, early_miss); }
void BM_filter_or(benchmark::State& state) { run_esm(state, or_branches); }
void BM_filter_or_baseline(benchmark::State& state) { run_baseline(state, or_branches); }

} // namespace

BENCHMARK(BM_filter_three_conditions)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_filter_three_conditions_baseline)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_filter_early_miss)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_filter_early_miss_baseline)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_filter_or)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_filter_or_baseline)->Unit(benchmark::kMicrosecond);
