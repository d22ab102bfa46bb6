// libFuzzer target for esm-sim's producer CSV reader (tools/esm-sim/scenario.cpp,
// read_producer_csv): the input is a CSV file's text. Reading either fills the producer's
// arrivals or throws esm_sim::scenario_error, nothing else. What it fills holds what the reader
// promises: one key index per time, times ascending and non-negative, each index -1 or naming
// one of the distinct keys (1-128 characters of UTF-8). Deterministic. An error's message holds
// its problem whole (no NUL cuts it short).
#include "scenario.hpp"

#include <esm/detail/utf8.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <sstream>
#include <string>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::string read(const std::string& text) {
  std::istringstream in{text};
  esm_sim::producer_spec p;
  try {
    esm_sim::read_producer_csv(p, in, "fuzz.csv", "producers.0.file");
  } catch (const esm_sim::scenario_error& e) {
    check(e.path() == "producers.0.file" && std::string{e.what()}.find(e.problem()) != std::string::npos);
    return std::string{"error "} + e.what();
  }
  check(!p.times.empty() && p.times.size() == p.time_keys.size());
  check(std::is_sorted(p.times.begin(), p.times.end()) && p.times.front() >= esm::duration::zero());
  check(std::set<std::string>(p.csv_keys.begin(), p.csv_keys.end()).size() == p.csv_keys.size());
  for (const auto& k : p.csv_keys) check(!k.empty() && k.size() <= 128 && esm::detail::valid_utf8(k));
  std::string out = "ok";
  for (std::size_t i = 0; i < p.times.size(); ++i) {
    check(p.time_keys[i] >= -1 && p.time_keys[i] < static_cast<int>(p.csv_keys.size()));
    out += ' ' + std::to_string(p.times[i].count()) + ':' + std::to_string(p.time_keys[i]);
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    check(read(text) == read(text));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort(); // anything but a scenario_error
  } catch (...) {
    std::abort();
  }
  return 0;
}
