#pragma once
/// \file esm/detail/base64.hpp
/// Base64 (RFC 4648 §4, the standard alphabet with `=` padding), as AWS uses it for binary values
/// in JSON: Kinesis `data`, SQS `binaryValue`, DynamoDB `B`. Encoding appends to a caller's
/// string (no temporary); decoding is strict and returns nullopt for anything that is not the
/// canonical encoding of some bytes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace esm::detail {

/// Length of the base64 text of `n` bytes (with padding): `4 * ceil(n / 3)`.
[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

/// Appends the base64 text (RFC 4648 §4, padded) of `size` bytes at `data` to `out`.
inline void base64_append(std::string& out, const void* data, std::size_t size) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = static_cast<const unsigned char*>(data);
  const std::size_t start = out.size();
  out.resize(start + base64_encoded_size(size));
  char* w = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | std::uint32_t{p[i + 2]};
    *w++ = alphabet[(v >> 18) & 0x3F];
    *w++ = alphabet[(v >> 12) & 0x3F];
    *w++ = alphabet[(v >> 6) & 0x3F];
    *w++ = alphabet[v & 0x3F];
  }
  if (const std::size_t rest = size - i; rest > 0) {
    std::uint32_t v = std::uint32_t{p[i]} << 16;
    if (rest == 2) v |= std::uint32_t{p[i + 1]} << 8;
    *w++ = alphabet[(v >> 18) & 0x3F];
    *w++ = alphabet[(v >> 12) & 0x3F];
    *w++ = rest == 2 ? alphabet[(v >> 6) & 0x3F] : '=';
    *w++ = '=';
  }
}

/// Appends the base64 text of `bytes` to `out`.
inline void base64_append(std::string& out, std::string_view bytes) { base64_append(out, bytes.data(), bytes.size()); }

/// The base64 text (RFC 4648 §4, padded) of `bytes`.
[[nodiscard]] inline std::string base64_encode(std::string_view bytes) {
  std::string out;
  base64_append(out, bytes);
  return out;
}

/// The bytes of a base64 text (RFC 4648 §4). Strict: the length must be a multiple of 4, only
/// the standard alphabet is accepted (no whitespace, no URL-safe `-_`), `=` may only end the
/// text (one or two of them), and the bits a padded final group leaves over must be zero
/// (RFC 4648 §3.5), so every accepted text is the canonical encoding of its bytes. Anything
/// else gives nullopt.
[[nodiscard]] inline std::optional<std::string> base64_decode(std::string_view text) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3 - pad);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t digits = last ? 4 - pad : 4;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      int d = 0;
      if (k < digits) {
        d = value(text[i + k]);
        if (d < 0) return std::nullopt;
      }
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    out.push_back(static_cast<char>((v >> 16) & 0xFF));
    if (digits >= 3) out.push_back(static_cast<char>((v >> 8) & 0xFF));
    if (digits == 4) out.push_back(static_cast<char>(v & 0xFF));
    // Non-canonical: bits beyond the last byte must be zero.
    if (digits == 2 && (v & 0xFFFF) != 0) return std::nullopt;
    if (digits == 3 && (v & 0xFF) != 0) return std::nullopt;
  }
  return out;
}

} // namespace esm::detail
