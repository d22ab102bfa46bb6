// Runs every `filter-example` block of docs/filtering.md: the documentation's examples are
// executed, so they cannot drift from what esm::filter_criteria does. A block is
//   pattern: <FilterCriteria pattern>
//   keep: <an SQS body the pattern keeps>
//   drop: <an SQS body the pattern drops>
#include <esm/filter/criteria.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "support/catch.hpp"

#ifndef ESM_DOCS_DIR
#error "ESM_DOCS_DIR must name the docs/ directory"
#endif

namespace {

struct example {
  int line = 0;
  std::string pattern;
  std::vector<std::string> keep;
  std::vector<std::string> drop;
};

std::vector<example> read_examples(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<example> out;
  std::string line;
  bool inside = false;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!inside) {
      if (line == "```filter-example") {
        inside = true;
        out.push_back({n, {}, {}, {}});
      }
      continue;
    }
    if (line == "```") {
      inside = false;
      continue;
    }
    const auto colon = line.find(": ");
    REQUIRE(colon != std::string::npos);
    const std::string key = line.substr(0, colon);
    const std::string value = line.substr(colon + 2);
    if (key == "pattern") out.back().pattern = value;
    else if (key == "keep") out.back().keep.push_back(value);
    else if (key == "drop") out.back().drop.push_back(value);
    else FAIL("docs/filtering.md line " << n << ": unknown key '" << key << "'");
  }
  CHECK_FALSE(inside);
  return out;
}

bool keeps(const esm::filter_criteria& c, const std::string& body) {
  const esm::filter::field f{"body", esm::filter::field_kind::text_or_json, body};
  return c.matches(std::span<const esm::filter::field>{&f, 1});
}

} // namespace

TEST_CASE("docs/filtering.md examples hold (§5)", "[filter][docs][spec-5]") {
  const auto examples = read_examples(std::string{ESM_DOCS_DIR} + "/filtering.md");
  REQUIRE(examples.size() >= 18); // one or more per operator
  for (const auto& ex : examples) {
    INFO("docs/filtering.md line " << ex.line << ": " << ex.pattern);
    REQUIRE_FALSE(ex.pattern.empty());
    CHECK(ex.keep.size() + ex.drop.size() >= 2);
    const esm::filter_criteria c{ex.pattern};
    for (const auto& body : ex.keep) {
      INFO("keeps " << body);
      CHECK(keeps(c, body));
    }
    for (const auto& body : ex.drop) {
      INFO("drops " << body);
      CHECK_FALSE(keeps(c, body));
    }
  }
}
