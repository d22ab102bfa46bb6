#pragma once
/// \file esm/testing/hazard_report.hpp
/// What the hazard battery (`esm/testing/hazards.hpp`) reports: one `hazard_result` per
/// scenario, gathered in a `hazard_report` that a person reads as a table (`to_string`, `<<`)
/// and a tool reads as JSON (`to_json`).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <esm/detail/json_text.hpp>
#include <esm/testing/invariants.hpp>

namespace esm::testing {

/// One hazard's outcome.
struct hazard_result {
  std::string name;                    ///< e.g. `duplicates`
  std::string section;                 ///< the spec section it comes from, e.g. `§8`
  std::string what;                    ///< what the scenario does, in one line
  std::vector<std::string> properties; ///< the properties checked
  invariant_report report;             ///< what broke
  std::size_t invocations = 0;         ///< invocations of the handler in the scenario

  /// True when no checked property broke.
  [[nodiscard]] bool ok() const noexcept { return report.ok(); }
};

/// The battery's outcome for one consumer.
struct hazard_report {
  std::string source;                 ///< `kinesis`, `dynamodb`, `sqs`, `sqs_fifo`
  std::uint64_t seed = 0;             ///< the seed of every scenario
  std::vector<hazard_result> hazards; ///< in the order run

  /// True when every hazard passed.
  [[nodiscard]] bool ok() const noexcept {
    return std::all_of(hazards.begin(), hazards.end(), [](const hazard_result& h) { return h.ok(); });
  }
  /// The hazard named `name`, or nullptr.
  [[nodiscard]] const hazard_result* find(std::string_view name) const noexcept {
    for (const auto& h : hazards)
      if (h.name == name) return &h;
    return nullptr;
  }
  /// True when hazard `name` broke `property`.
  [[nodiscard]] bool broke(std::string_view name, std::string_view property) const noexcept {
    const auto* h = find(name);
    return h != nullptr && h->report.broke(property);
  }
  /// Names of the hazards that broke something.
  [[nodiscard]] std::vector<std::string> failed() const {
    std::vector<std::string> out;
    for (const auto& h : hazards)
      if (!h.ok()) out.push_back(h.name);
    return out;
  }

  /// A table: one row per hazard and property, `ok` or `BROKEN` with the first violation.
  [[nodiscard]] std::string to_string() const {
    // Widths in characters (a section's `§` is two bytes of UTF-8).
    auto width = [](std::string_view s) {
      return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
    };
    auto pad = [&](std::string s, std::size_t w) {
      const std::size_t n = width(s);
      if (n < w) s.append(w - n, ' ');
      return s;
    };
    std::size_t w = 6;
    for (const auto& h : hazards) w = std::max(w, width(h.name) + width(h.section) + 1);
    std::string out = "hazards for " + source + " (seed " + std::to_string(seed) +
                      "): " + std::to_string(hazards.size() - failed().size()) + " of " +
                      std::to_string(hazards.size()) + " passed\n";
    for (const auto& h : hazards) {
      const std::string title = h.name + " " + h.section;
      for (std::size_t i = 0; i < h.properties.size(); ++i) {
        const auto& p = h.properties[i];
        out += "  " + pad(i == 0 ? title : std::string{}, w) + "  " + pad(p, 22);
        const violation* first = nullptr;
        for (const auto& v : h.report.violations)
          if (v.property == p && first == nullptr) first = &v;
        out += first == nullptr ? "ok" : "BROKEN  " + testing::to_string(*first);
        out += '\n';
        if (first != nullptr)
          for (const auto& line : first->trail) out += std::string(w + 30, ' ') + line + '\n';
      }
    }
    return out;
  }
  /// Writes `to_string()`.
  friend std::ostream& operator<<(std::ostream& os, const hazard_report& r) { return os << r.to_string(); }

  /// The report as JSON: `{"source":…,"seed":…,"ok":…,"hazards":[{"name","section","what",
  /// "invocations","properties":{"no_loss":"ok"|"<violation>",…},"violations":[…]}]}`.
  [[nodiscard]] std::string to_json() const {
    using esm::detail::append_json_string;
    std::string out = "{\"source\":";
    append_json_string(out, source);
    out += ",\"seed\":" + std::to_string(seed) + ",\"ok\":" + (ok() ? "true" : "false") + ",\"hazards\":[";
    for (std::size_t i = 0; i < hazards.size(); ++i) {
      const auto& h = hazards[i];
      if (i > 0) out += ',';
      out += "{\"name\":";
      append_json_string(out, h.name);
      out += ",\"section\":";
      append_json_string(out, h.section);
      out += ",\"what\":";
      append_json_string(out, h.what);
      out += ",\"invocations\":" + std::to_string(h.invocations) + ",\"ok\":" + (h.ok() ? "true" : "false");
      out += ",\"properties\":{";
      for (std::size_t j = 0; j < h.properties.size(); ++j) {
        if (j > 0) out += ',';
        append_json_string(out, h.properties[j]);
        out += ':';
        append_json_string(out, h.report.broke(h.properties[j]) ? "broken" : "ok");
      }
      out += "},\"violations\":[";
      for (std::size_t j = 0; j < h.report.violations.size(); ++j) {
        if (j > 0) out += ',';
        append_json_string(out, testing::to_string(h.report.violations[j]));
      }
      out += "]}";
    }
    out += "]}";
    return out;
  }
};

/// `r.to_string()`: the table.
[[nodiscard]] inline std::string to_string(const hazard_report& r) { return r.to_string(); }

} // namespace esm::testing
