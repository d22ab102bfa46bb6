// libFuzzer target for esm-sim's `--set key=value` and `--sweep key=v1,v2,...` values
// (tools/esm-sim/scenario.cpp: apply_override, parse_sweep). The input is lines: `sweep:<spec>`
// is a --sweep value, `base:<n>` picks one of four valid scenarios (Kinesis, DynamoDB, SQS, FIFO)
// to start from, any other line is a --set assignment. Each assignment is applied, then the
// scenario read, as esm-sim does; every step either works or throws esm_sim::scenario_error,
// nothing else, whose message holds its problem whole (no NUL cuts it short). An assignment that
// works leaves its value at its path (a JSON value when the text is JSON, else the text as a
// string). A sweep's values rejoin to the spec. Deterministic.
#include "scenario.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr const char* bases[] = {
    R"({"duration":"1min","source":{"type":"kinesis","shards":2},"producers":[{"type":"constant","rate":10}],
        "mapping":{"starting_position":"TRIM_HORIZON","batch_size":100},"goals":["iterator_age_p99 < 60s"]})",
    R"({"duration":"1min","source":{"type":"dynamodb"},"producers":[{"type":"poisson","rate":5,"operation":"modify"}],
        "mapping":{"starting_position":"LATEST"}})",
    R"({"duration":"1min","source":{"type":"sqs","visibility_timeout":"30s"},"producers":[{"type":"bursts","count":10,"every":"10s"}],
        "function":{"timeout":"3s","duration":{"type":"fixed","value":"100ms"}},"mapping":{"batch_size":10}})",
    R"({"duration":"1min","source":{"type":"sqs_fifo","content_based_deduplication":true},
        "producers":[{"type":"ramp","from":1,"to":10,"keys":{"type":"hot","count":10}}],"mapping":{"batch_size":10}})",
};

// The value at a dotted path, walked as apply_override walks it (arrays by index).
const json* at_path(const json& doc, std::string_view path) {
  const json* node = &doc;
  while (true) {
    const auto dot = path.find('.');
    const std::string part{path.substr(0, dot)};
    if (node->is_array()) {
      const auto i = static_cast<std::size_t>(std::stoull(part));
      if (i >= node->size()) return nullptr;
      node = &(*node)[i];
    } else if (node->is_object() && node->contains(part)) {
      node = &node->at(part);
    } else {
      return nullptr;
    }
    if (dot == std::string_view::npos) return node;
    path.remove_prefix(dot + 1);
  }
}

// Applies `assignment` and checks the value landed; false when it was refused.
bool set(json& doc, std::string_view assignment) {
  try {
    esm_sim::apply_override(doc, assignment);
  } catch (const esm_sim::scenario_error& e) {
    check(std::string{e.what()}.find(e.problem()) != std::string::npos);
    return false;
  }
  const auto eq = assignment.find('=');
  check(eq != std::string_view::npos && eq > 0);
  const std::string text{assignment.substr(eq + 1)};
  // apply_override's rule: a value is JSON when it parses in full with no NUL byte, else a string.
  json expected = text;
  if (text.find('\0') == std::string::npos) {
    try {
      expected = json::parse(text);
    } catch (const json::exception&) {
      expected = text;
    }
  }
  const json* landed = at_path(doc, assignment.substr(0, eq));
  check(landed != nullptr && *landed == expected);
  return true;
}

std::string read(const json& doc) {
  try {
    const esm_sim::scenario s = esm_sim::parse_scenario(doc);
    return "ok " + s.name + ' ' + std::to_string(s.run_length.count()) + ' ' + std::to_string(s.producers.size());
  } catch (const esm_sim::scenario_error& e) {
    check(std::string{e.what()}.find(e.problem()) != std::string::npos);
    return std::string{"error "} + e.what();
  }
}

std::string run(std::string_view input) {
  std::vector<std::string_view> sets;
  std::vector<std::string_view> sweeps;
  std::size_t base = 0;
  while (!input.empty()) {
    const auto nl = input.find('\n');
    const std::string_view line = input.substr(0, nl);
    if (line.starts_with("sweep:"))
      sweeps.push_back(line.substr(6));
    else if (line.starts_with("base:") && line.size() > 5)
      base = static_cast<unsigned char>(line[5]) % 4;
    else
      sets.push_back(line);
    if (nl == std::string_view::npos) break;
    input.remove_prefix(nl + 1);
  }
  std::string log;
  json doc = json::parse(bases[base]);
  for (const auto a : sets) log += set(doc, a) ? "set\n" : "refused\n";
  log += read(doc) + '\n';
  for (const auto spec : sweeps) {
    esm_sim::sweep_spec sweep;
    try {
      sweep = esm_sim::parse_sweep(spec);
    } catch (const esm_sim::scenario_error& e) {
      log += std::string{e.what()} + '\n';
      continue;
    }
    std::string joined = sweep.key + '=';
    for (std::size_t i = 0; i < sweep.values.size(); ++i) {
      check(!sweep.values[i].empty());
      joined += (i ? "," : "") + sweep.values[i];
    }
    check(joined == spec);
    for (const auto& v : sweep.values) {
      json variant = doc;
      log += set(variant, sweep.key + '=' + v) ? read(variant) + '\n' : "refused\n";
    }
  }
  return log;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  try {
    check(run(input) == run(input));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort(); // anything but a scenario_error
  } catch (...) {
    std::abort();
  }
  return 0;
}
