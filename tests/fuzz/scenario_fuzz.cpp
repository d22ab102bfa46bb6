// libFuzzer target for esm-sim's scenario reader (tools/esm-sim/scenario.cpp): the input is a
// scenario file's text. `parse_json` and `parse_scenario` either give a scenario or throw
// esm_sim::scenario_error, nothing else, whose message holds its problem whole (no NUL cuts it
// short); reading is deterministic (the same scenario, or the same message); the text of a
// scenario read is UTF-8. A `csv` producer's `file` is replaced by one of the seed CSV files this target
// writes to a temporary directory, so inputs never name files of the machine.
#include "scenario.hpp"

#include <esm/detail/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

void check(bool ok) {
  if (!ok) std::abort();
}

// A directory with two CSV files, made once per process.
const fs::path& csv_dir() {
  static const fs::path dir = [] {
    std::error_code ec;
    fs::path d = fs::temp_directory_path(ec);
    if (ec) d = ".";
    d /= "esm_scenario_fuzz_" + std::to_string(static_cast<unsigned long>(::getpid()));
    fs::create_directories(d);
    std::ofstream{d / "a.csv"} << "time,key\n0,a\n0.5,b\n1.25s,a\n2s,\n";
    std::ofstream{d / "b.csv"} << "key,time\nx,1\ny,2\n";
    return d;
  }();
  return dir;
}

// Points every producer's `file` at a.csv or b.csv (a string value keeps its parity's file).
void confine_files(json& doc) {
  if (!doc.is_object()) return;
  const auto ps = doc.find("producers");
  if (ps == doc.end() || !ps->is_array()) return;
  for (auto& p : *ps) {
    if (!p.is_object()) continue;
    const auto f = p.find("file");
    if (f == p.end() || !f->is_string()) continue;
    *f = f->get_ref<const std::string&>().size() % 2 == 0 ? "a.csv" : "b.csv";
  }
}

// What two readings of one document must agree on.
std::string digest(const esm_sim::scenario& s) {
  std::string d = s.name + '\n' + s.description + '\n' + std::to_string(s.seed) + '\n' +
                  std::to_string(s.run_length.count()) + '\n' + std::to_string(s.sample_interval.count()) + '\n' +
                  std::string{esm_sim::to_string(s.source.type)} + '\n' + std::to_string(s.producers.size()) + '\n';
  for (const auto& p : s.producers) d += p.name + ' ' + std::to_string(p.times.size()) + ' ' + p.keys.prefix + '\n';
  for (const auto& g : s.goals) d += g.metric + g.op + std::to_string(g.value) + '\n';
  d += std::to_string(s.charts.size()) + ' ' + std::to_string(s.timeline_columns.size());
  return d;
}

// The scenario's digest, or the error's message.
std::string read(json doc) {
  confine_files(doc);
  try {
    const esm_sim::scenario s = esm_sim::parse_scenario(doc, csv_dir());
    // What the reader checked holds.
    check(!s.producers.empty());
    check(s.run_length >= std::chrono::seconds{1} && s.sample_interval > esm::duration::zero() &&
          s.sample_interval <= s.run_length);
    // Text that reaches reports (JSON, SVG) is UTF-8.
    check(esm::detail::valid_utf8(s.name) && esm::detail::valid_utf8(s.description));
    for (const auto& p : s.producers) {
      check(p.times.size() == p.time_keys.size());
      check(esm::detail::valid_utf8(p.name) && esm::detail::valid_utf8(p.keys.prefix));
    }
    for (const auto& k : s.function.poison_keys) check(esm::detail::valid_utf8(k));
    return "ok\n" + digest(s);
  } catch (const esm_sim::scenario_error& e) {
    check(std::string{e.what()}.find(e.problem()) != std::string::npos);
    return std::string{"error\n"} + e.what();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    json doc;
    try {
      doc = esm_sim::parse_json(text, "fuzz.json");
    } catch (const esm_sim::scenario_error& e) {
      // Text that is not JSON, or JSON with a key twice in one object.
      check(e.problem().starts_with("fuzz.json: invalid JSON: ") || e.problem().starts_with("duplicate key at line "));
      return 0;
    }
    check(read(doc) == read(doc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort(); // anything but a scenario_error
  } catch (...) {
    std::abort();
  }
  return 0;
}
