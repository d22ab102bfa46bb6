// libFuzzer target for esm/aws/attribute_value.hpp. The input is a JSON document, or (when it is
// not JSON) CBOR, which also gives binary values, NaN and infinities. It is converted both ways:
// - read as an AttributeValue map (`from_attribute_map`) and as one AttributeValue
//   (`from_attribute_value`): a malformed one throws esm::input_error, nothing else; a value read
//   converts back (`to_attribute_value`) and reads again to the same plain JSON;
// - read as plain JSON (`to_attribute_map`, `to_attribute_value`): the conversion throws
//   esm::input_error (a value DynamoDB cannot hold) or gives an AttributeValue that reads back
//   (`from_attribute_value`) to the same plain JSON.
// Conversions are deterministic. Any other exception or a broken round trip aborts.
#include <esm/aws/attribute_value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;

void check(bool ok) {
  if (!ok) std::abort();
}

// plain → AttributeValue → plain is the identity, when the plain value converts at all.
void plain_round_trip(const json& plain) {
  json av;
  try {
    av = esm::aws::to_attribute_value(plain);
  } catch (const esm::input_error&) {
    return;
  }
  check(av == esm::aws::to_attribute_value(plain));
  check(esm::aws::from_attribute_value(av) == plain);
  (void)av.dump(); // the encoding is JSON text
  if (plain.is_object()) check(esm::aws::from_attribute_map(esm::aws::to_attribute_map(plain)) == plain);
}

// AttributeValue → plain → AttributeValue → plain reads the same, when the value reads at all.
void attribute_round_trip(const json& doc) {
  json plain;
  try {
    plain = esm::aws::from_attribute_value(doc);
  } catch (const esm::input_error&) {
    return;
  }
  check(plain == esm::aws::from_attribute_value(doc));
  check(esm::aws::from_attribute_value(esm::aws::to_attribute_value(plain)) == plain);
}

void map_round_trip(const json& doc) {
  json plain;
  try {
    plain = esm::aws::from_attribute_map(doc);
  } catch (const esm::input_error&) {
    return;
  }
  check(plain.is_object());
  check(esm::aws::from_attribute_map(esm::aws::to_attribute_map(plain)) == plain);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    try {
      doc = json::from_cbor(data, data + size, true, false);
    } catch (const json::exception&) {
      return 0; // nlohmann throws for a CBOR size it cannot allocate, even when asked not to
    }
  }
  if (doc.is_discarded()) return 0;
  try {
    map_round_trip(doc);
    attribute_round_trip(doc);
    plain_round_trip(doc);
    if (doc.is_object()) {
      for (const auto& [k, v] : doc.items()) {
        attribute_round_trip(v);
        plain_round_trip(v);
      }
    }
  } catch (const std::exception& e) {
    // The round trips catch what the first conversion may throw; a conversion of what it gave
    // must not throw at all.
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::abort();
  }
  return 0;
}
