#pragma once
/// \file esm/aws/attribute_value.hpp
/// DynamoDB's AttributeValue encoding with nlohmann_json: items of a `dynamodb_stream` given as
/// `nlohmann::json` AttributeValue maps (`{"Id":{"N":"101"},"Message":{"S":"hi"}}`) render as
/// `NewImage` / `OldImage`, and `to_attribute_value` / `from_attribute_value` convert between
/// plain JSON and that encoding (spec §4.2: "Values use AttributeValue encoding (numbers are
/// strings)").
///
/// ```cpp
/// esm::dynamodb_stream<nlohmann::json> table{sim, {.name = "orders"}};
/// table.insert({"order-1"}, esm::aws::to_attribute_map({{"id", 1}, {"status", "new"}}));
/// // NewImage: {"id":{"N":"1"},"status":{"S":"new"}}
/// ```

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include <esm/aws/detail/json_read.hpp>
#include <esm/core/error.hpp>
#include <esm/detail/base64.hpp>
#include <esm/detail/utf8.hpp>
#include <esm/sources/dynamodb_stream.hpp>

namespace esm {

/// An item held as an `nlohmann::json` AttributeValue map renders as its compact JSON text
/// (`NewImage`, `OldImage`). The value is taken as it is: build it with
/// `esm::aws::to_attribute_map` from plain JSON, or write the AttributeValue map yourself.
/// (Its size as a stream item is `esm::payload_traits<nlohmann::json>`, by default
/// `sizeof(nlohmann::json)`, not the item's DynamoDB size; give `SizeBytes`-accurate items as
/// `esm::attribute_map_json` text when that matters.)
template <>
struct dynamodb_item_json<nlohmann::json> {
  /// Appends the item's compact JSON.
  static void write(const nlohmann::json& item, std::string& out) { out += item.dump(); }
};

/// Same as `dynamodb_item_json<nlohmann::json>`, keeping the map's insertion order.
template <>
struct dynamodb_item_json<nlohmann::ordered_json> {
  /// Appends the item's compact JSON.
  static void write(const nlohmann::ordered_json& item, std::string& out) { out += item.dump(); }
};

namespace aws {

namespace detail {
/// True when a double is a number DynamoDB can hold: 0, or a magnitude in [1E-130,
/// 9.9999999999999999999999999999999999999E+125] (that bound rounds to the double 1E+126).
/// NaN and the infinities are not numbers to DynamoDB.
[[nodiscard]] inline bool dynamodb_number(double d) noexcept {
  const double m = std::fabs(d);
  return m == 0 || (m >= 1e-130 && m <= 1e126);
}

/// Throws `esm::input_error` `<who>: <what> is not valid UTF-8 (byte 0x<b> at offset <i>)`
/// unless `s` is UTF-8: DynamoDB strings and attribute names are Unicode, and JSON text is UTF-8.
inline void require_utf8(std::string_view s, std::string_view who, std::string_view what) {
  const std::size_t at = esm::detail::invalid_utf8_at(s);
  if (at == std::string_view::npos) return;
  static constexpr char hex[] = "0123456789abcdef";
  const auto b = static_cast<unsigned char>(s[at]);
  throw input_error(std::string{who} + ": " + std::string{what} + " is not valid UTF-8 (byte 0x" + hex[b >> 4] +
                    hex[b & 0xF] + " at offset " + std::to_string(at) + ")");
}
} // namespace detail

/// Plain JSON → DynamoDB AttributeValue (the `Marshall` of AWS SDKs): a string becomes
/// `{"S":..}`, a number `{"N":"<its JSON text>"}` (numbers are strings in the encoding), a
/// boolean `{"BOOL":..}`, null `{"NULL":true}`, an array `{"L":[..]}`, an object `{"M":{..}}`
/// (recursively), and a JSON binary value (`nlohmann::json::binary`) `{"B":"<base64>"}`.
/// Sets (`SS`, `NS`, `BS`) are never produced: JSON has no sets. Throws `esm::input_error` for
/// a number DynamoDB cannot hold (NaN, an infinity, a magnitude outside [1E-130, 1E+126]) and
/// for a string or an object key that is not UTF-8.
[[nodiscard]] inline nlohmann::json to_attribute_value(const nlohmann::json& plain) {
  using json = nlohmann::json;
  switch (plain.type()) {
  case json::value_t::null: return json{{"NULL", true}};
  case json::value_t::boolean: return json{{"BOOL", plain.get<bool>()}};
  case json::value_t::string:
    detail::require_utf8(plain.get_ref<const std::string&>(), "to_attribute_value", "a string");
    return json{{"S", plain.get_ref<const std::string&>()}};
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
    return json{{"N", plain.dump()}};
  case json::value_t::number_float: {
    const double d = plain.get<double>();
    if (std::isnan(d)) throw input_error("to_attribute_value: NaN is not a number DynamoDB can hold");
    if (!detail::dynamodb_number(d)) {
      throw input_error(
          "to_attribute_value: " + std::string{std::isinf(d) ? (d > 0 ? "infinity" : "-infinity") : plain.dump()} +
          " is outside DynamoDB's number range (magnitudes 1E-130 to 9.9999999999999999999999999999999999999E+125)");
    }
    return json{{"N", plain.dump()}};
  }
  case json::value_t::array: {
    json list = json::array();
    for (const auto& v : plain) list.push_back(to_attribute_value(v));
    return json{{"L", std::move(list)}};
  }
  case json::value_t::object: {
    json map = json::object();
    for (const auto& [k, v] : plain.items()) {
      detail::require_utf8(k, "to_attribute_value", "an attribute name");
      map[k] = to_attribute_value(v);
    }
    return json{{"M", std::move(map)}};
  }
  case json::value_t::binary: {
    const auto& bytes = plain.get_binary();
    std::string b64;
    esm::detail::base64_append(b64, bytes.data(), bytes.size());
    return json{{"B", std::move(b64)}};
  }
  case json::value_t::discarded: break;
  }
  throw input_error("to_attribute_value: a discarded JSON value has no AttributeValue encoding");
}

/// A plain JSON object → the AttributeValue map of an item (`{"k":{"S":"v"},...}`): what
/// `NewImage`, `OldImage` and `Keys` hold. Throws `esm::input_error` unless `plain` is an object
/// that `to_attribute_value` can convert.
[[nodiscard]] inline nlohmann::json to_attribute_map(const nlohmann::json& plain) {
  if (!plain.is_object()) {
    throw input_error(std::string{"to_attribute_map: an item must be a JSON object, got "} + plain.type_name());
  }
  nlohmann::json map = nlohmann::json::object();
  for (const auto& [k, v] : plain.items()) {
    detail::require_utf8(k, "to_attribute_map", "an attribute name");
    map[k] = to_attribute_value(v);
  }
  return map;
}

namespace detail {
inline nlohmann::json number_from_text(const nlohmann::json& n) {
  if (!n.is_string()) throw input_error("from_attribute_value: an N value must be a string");
  const auto& text = n.get_ref<const std::string&>();
  nlohmann::json v = parse_json_or_discarded(text);
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  if (v.is_discarded() || !v.is_number() || space(text.front()) || space(text.back())) {
    throw input_error("from_attribute_value: '" + text + "' is not a number");
  }
  if (v.is_number_float() && !dynamodb_number(v.get<double>())) {
    throw input_error(
        "from_attribute_value: '" + text +
        "' is outside DynamoDB's number range (magnitudes 1E-130 to 9.9999999999999999999999999999999999999E+125)");
  }
  return v;
}
inline nlohmann::json binary_from_text(const nlohmann::json& b) {
  if (!b.is_string()) throw input_error("from_attribute_value: a B value must be a base64 string");
  const auto bytes = esm::detail::base64_decode(b.get_ref<const std::string&>());
  if (!bytes) throw input_error("from_attribute_value: '" + b.get<std::string>() + "' is not base64");
  return nlohmann::json::binary(nlohmann::json::binary_t::container_type(bytes->begin(), bytes->end()));
}
} // namespace detail

/// DynamoDB AttributeValue → plain JSON (the `Unmarshall` of AWS SDKs), the inverse of
/// `to_attribute_value`: `S` → string, `N` → number (an integer when the text is one that fits
/// 64 bits, else a double: DynamoDB's 38-digit numbers may lose precision), `BOOL` → boolean,
/// `NULL` → null, `L` → array, `M` → object, `B` → a JSON binary value, and the sets `SS` /
/// `NS` / `BS` → arrays. Throws `esm::input_error` for anything else (not an object with exactly
/// one known type key, a malformed number or base64 text, a number outside DynamoDB's range, a
/// string or attribute name that is not UTF-8).
[[nodiscard]] inline nlohmann::json from_attribute_value(const nlohmann::json& av) {
  using json = nlohmann::json;
  if (!av.is_object() || av.size() != 1) {
    // (Bytes that are not UTF-8 are shown as U+FFFD: the message must not fail to be written.)
    throw input_error("from_attribute_value: an AttributeValue is an object with one type key, got " +
                      av.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  const std::string& type = av.begin().key();
  const json& v = av.begin().value();
  if (type == "S") {
    if (!v.is_string()) throw input_error("from_attribute_value: an S value must be a string");
    detail::require_utf8(v.get_ref<const std::string&>(), "from_attribute_value", "an S value");
    return v;
  }
  if (type == "N") return detail::number_from_text(v);
  if (type == "BOOL") {
    if (!v.is_boolean()) throw input_error("from_attribute_value: a BOOL value must be true or false");
    return v;
  }
  if (type == "NULL") {
    if (v != json(true)) throw input_error("from_attribute_value: a NULL value must be true");
    return nullptr;
  }
  if (type == "B") return detail::binary_from_text(v);
  if (type == "L" || type == "SS" || type == "NS" || type == "BS") {
    if (!v.is_array()) throw input_error("from_attribute_value: an " + type + " value must be an array");
    json out = json::array();
    for (const auto& e : v) {
      if (type == "L") {
        out.push_back(from_attribute_value(e));
      } else if (type == "NS") {
        out.push_back(detail::number_from_text(e));
      } else if (type == "BS") {
        out.push_back(detail::binary_from_text(e));
      } else {
        if (!e.is_string()) throw input_error("from_attribute_value: SS values must be strings");
        detail::require_utf8(e.get_ref<const std::string&>(), "from_attribute_value", "an SS value");
        out.push_back(e);
      }
    }
    return out;
  }
  if (type == "M") {
    if (!v.is_object()) throw input_error("from_attribute_value: an M value must be an object");
    json out = json::object();
    for (const auto& [k, e] : v.items()) {
      detail::require_utf8(k, "from_attribute_value", "an attribute name");
      out[k] = from_attribute_value(e);
    }
    return out;
  }
  throw input_error("from_attribute_value: unknown AttributeValue type '" + type + "'");
}

/// An item's AttributeValue map → a plain JSON object. Throws `esm::input_error` unless `map`
/// is an object of AttributeValues.
[[nodiscard]] inline nlohmann::json from_attribute_map(const nlohmann::json& map) {
  if (!map.is_object()) throw input_error("from_attribute_map: an item must be a JSON object");
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : map.items()) {
    detail::require_utf8(k, "from_attribute_map", "an attribute name");
    out[k] = from_attribute_value(v);
  }
  return out;
}

} // namespace aws
} // namespace esm
