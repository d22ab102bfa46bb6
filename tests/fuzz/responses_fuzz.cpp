// libFuzzer target for esm/aws/responses.hpp. The input is a function's response text, read both
// as a partial batch response and as a tumbling-window response. Reading never throws (a bad
// response is a result, not an error) and follows the header's rules: an invalid batch response
// is exactly one item with a null identifier, a valid one lists non-empty identifiers; a valid
// window response has a state that is compact JSON equal to the response's `state`. Text and
// JSON-value overloads (`nlohmann::json` and `ordered_json`) agree, and reading is
// deterministic. Any exception or broken property aborts.
#include <esm/aws/detail/json_read.hpp>
#include <esm/aws/responses.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include <nlohmann/json.hpp>

namespace {

using esm::aws::parsed_batch_response;
using esm::aws::parsed_window_response;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_batch(const parsed_batch_response& r) {
  const auto& items = r.response.batch_item_failures;
  if (!r.valid()) {
    check(items.size() == 1 && !items.front().item_identifier);
    return;
  }
  for (const auto& item : items) check(item.item_identifier && !item.item_identifier->empty());
}

bool same(const parsed_batch_response& a, const parsed_batch_response& b) {
  return a.error == b.error && a.response.batch_item_failures == b.response.batch_item_failures;
}

bool same(const parsed_window_response& a, const parsed_window_response& b) {
  return a.error == b.error && a.response.state == b.response.state &&
         a.response.batch_item_failures == b.response.batch_item_failures;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    const parsed_batch_response batch = esm::aws::parse_batch_response(text);
    check_batch(batch);
    check(same(batch, esm::aws::parse_batch_response(text)));

    const parsed_window_response window = esm::aws::parse_window_response(text);
    check(same(window, esm::aws::parse_window_response(text)));
    check(window.valid() == (window.response.state.has_value() && window.error.empty()));
    if (window.response.state) check(nlohmann::json::accept(*window.response.state));
    // A valid window response's failures are read as a batch response's.
    if (window.valid()) {
      parsed_batch_response as_batch;
      as_batch.response.batch_item_failures = window.response.batch_item_failures;
      check_batch(as_batch);
    }

    // The parsers' rule for JSON text: a NUL byte ends none (nlohmann alone would stop at it).
    const nlohmann::json value = esm::aws::detail::parse_json_or_discarded(text);
    if (!value.is_discarded()) {
      check(same(batch, esm::aws::parse_batch_response(value)) || esm::aws::detail::blank(text));
      check(same(window, esm::aws::parse_window_response(value)) || esm::aws::detail::blank(text));
      if (window.response.state) check(nlohmann::json::parse(*window.response.state) == value.at("state"));
      const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(text, nullptr, false);
      check(!ordered.is_discarded());
      const parsed_batch_response ob = esm::aws::parse_batch_response(ordered);
      check(ob.error == batch.error && ob.response.batch_item_failures == batch.response.batch_item_failures);
      const parsed_window_response ow = esm::aws::parse_window_response(ordered);
      check(ow.error == window.error && ow.response.batch_item_failures == window.response.batch_item_failures &&
            ow.response.state.has_value() == window.response.state.has_value());
      if (ow.response.state) check(nlohmann::json::parse(*ow.response.state) == value.at("state"));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort(); // reading a response never throws
  } catch (...) {
    std::abort();
  }
  return 0;
}
