// libFuzzer target for esm/filter/criteria.hpp. The input is a pattern, a newline, and a record:
// the pattern is compiled (a malformed one must throw esm::config_error, nothing else), then the
// record is matched as a `text_or_json`, a `json` and a `string` field under every top-level key
// the pattern names (and as `body`), and the first line is also read as a `FilterCriteria`
// document. Matching must neither throw nor crash, and must be deterministic.
//
// Built with -fsanitize=fuzzer,address,undefined by clang (target esm_filter_fuzz); other
// compilers replay the corpus through fuzz_driver.cpp (target esm_filter_fuzz_replay).
#include <esm/filter/criteria.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void exercise(const esm::filter_criteria& criteria, std::string_view record) {
  using esm::filter::field;
  using esm::filter::field_kind;
  std::vector<std::string_view> names{"body"};
  for (const std::string& k : criteria.top_level_keys()) names.emplace_back(k);
  for (const std::string_view name : names) {
    for (const field_kind kind : {field_kind::text_or_json, field_kind::json, field_kind::string, field_kind::number}) {
      const field one[] = {{name, kind, record}};
      const bool first = criteria.matches(one);
      if (criteria.matches(one) != first) std::abort(); // no state leaks between calls
    }
  }
  // All names at once, in both kinds that read JSON.
  std::vector<field> all;
  for (const std::string_view name : names) all.push_back({name, field_kind::text_or_json, record});
  (void)criteria.matches(all);
  for (field& f : all) f.kind = field_kind::json;
  (void)criteria.matches(all);
  // A copy behaves like the original.
  const esm::filter_criteria copy = criteria;
  const field body[] = {{"body", field_kind::text_or_json, record}};
  if (copy.matches(body) != criteria.matches(body)) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  const std::size_t newline = input.find('\n');
  const std::string_view pattern = input.substr(0, newline);
  const std::string_view record = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  try {
    const esm::filter_criteria criteria{pattern};
    exercise(criteria, record);
  } catch (const esm::config_error&) {
    // a malformed pattern: fine
  }
  try {
    const auto criteria = esm::filter_criteria::from_json(pattern, esm::filter_criteria::max_max_filters);
    exercise(criteria, record);
  } catch (const esm::config_error&) {
  }
  return 0;
}
