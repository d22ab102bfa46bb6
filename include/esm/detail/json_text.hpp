#pragma once
/// \file esm/detail/json_text.hpp
/// Writing JSON text without a JSON library: string escaping (RFC 8259 §7). Used by the core to
/// render the fields filters match (SQS attributes, DynamoDB `dynamodb`).

#include <string>
#include <string_view>

namespace esm::detail {

/// Appends `s` as a JSON string literal (with quotes): `"` and `\` escaped, control characters
/// as `\n`, `\t`, ... or `\u00XX`; other bytes copied as they are.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0; // start of the bytes not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    out.push_back('\\');
    switch (c) {
    case '"': out.push_back('"'); break;
    case '\\': out.push_back('\\'); break;
    case '\b': out.push_back('b'); break;
    case '\f': out.push_back('f'); break;
    case '\n': out.push_back('n'); break;
    case '\r': out.push_back('r'); break;
    case '\t': out.push_back('t'); break;
    default:
      out += "u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

/// Appends `"key":` (escaped key, then a colon).
inline void append_json_key(std::string& out, std::string_view key) {
  append_json_string(out, key);
  out.push_back(':');
}

} // namespace esm::detail
