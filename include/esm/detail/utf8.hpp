#pragma once
/// \file esm/detail/utf8.hpp
/// UTF-8 validation (RFC 3629): what JSON text and AWS's string types require. Used to reject
/// bytes that would make invalid JSON before they reach a JSON writer.

#include <cstddef>
#include <string_view>

namespace esm::detail {

/// The offset of the first byte of `s` that does not start or continue a well-formed UTF-8
/// sequence (overlong forms, UTF-16 surrogates and code points above U+10FFFF are ill-formed),
/// or `std::string_view::npos` when `s` is valid UTF-8.
[[nodiscard]] constexpr std::size_t invalid_utf8_at(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80; // the second byte's range (RFC 3629 §4)
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0; // no overlong forms
      if (c == 0xED) hi = 0x9F; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90; // no overlong forms
      if (c == 0xF4) hi = 0x8F; // nothing above U+10FFFF
    } else {
      return i;
    }
    if (s.size() - i <= n) return i;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

/// True when `s` is valid UTF-8.
[[nodiscard]] constexpr bool valid_utf8(std::string_view s) noexcept {
  return invalid_utf8_at(s) == std::string_view::npos;
}

} // namespace esm::detail
