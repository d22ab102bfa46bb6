#pragma once
/// \file esm/detail/json_text.hpp
/// Writing JSON text without a JSON library: string escaping (RFC 8259 §7), integers, digests
/// and AWS's timestamp forms. Used to render records as AWS does (`esm/sources/detail/record_json.hpp`),
/// for filters in the core and for events in `esm::aws`.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <esm/core/time.hpp>
#include <esm/detail/md5.hpp>

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
    case '"':
      out.push_back('"');
      break;
    case '\\':
      out.push_back('\\');
      break;
    case '\b':
      out.push_back('b');
      break;
    case '\f':
      out.push_back('f');
      break;
    case '\n':
      out.push_back('n');
      break;
    case '\r':
      out.push_back('r');
      break;
    case '\t':
      out.push_back('t');
      break;
    default:
      out += "u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

/// Extra bytes `append_json_string` writes for each byte value: 5 for control characters without
/// a short escape (`\u00XX`), 1 for `"`, `\` and the short escapes (`\n`, ...), 0 otherwise.
inline constexpr std::array<std::uint8_t, 256> json_escape_extra = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 5;
  for (const char c : {'\b', '\f', '\n', '\r', '\t', '"', '\\'}) t[static_cast<unsigned char>(c)] = 1;
  return t;
}();

/// `json_string_length` on any target: eight bytes at a time, a word with no byte below 0x20, no
/// `"` and no `\` adding nothing; the bytes of other words are counted one by one.
[[nodiscard]] inline std::size_t json_string_length_portable(std::string_view s) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  const auto needs_escape = [&](std::uint64_t w) {
    const std::uint64_t below_space = (w - 0x20 * ones) & ~w & highs;
    return (below_space | has_zero(w ^ ('"' * ones)) | has_zero(w ^ ('\\' * ones))) != 0;
  };
  std::size_t n = s.size() + 2;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, s.data() + i, 8);
    if (!needs_escape(w)) continue;
    for (std::size_t k = i; k < i + 8; ++k) n += json_escape_extra[static_cast<unsigned char>(s[k])];
  }
  if (i < s.size()) {
    // The last 1-7 bytes: the word ending at the end (overlapping bytes already counted) tells
    // whether any needs an escape; only then are they counted one by one.
    if (s.size() >= 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, s.data() + s.size() - 8, 8);
      if (!needs_escape(w)) return n;
    }
    for (; i < s.size(); ++i) n += json_escape_extra[static_cast<unsigned char>(s[i])];
  }
  return n;
}

/// Length of `s` as `append_json_string` writes it (quotes included), without writing it: 16
/// bytes per step with SSE2 (every x86-64), else `json_string_length_portable`.
[[nodiscard]] inline std::size_t json_string_length(std::string_view s) noexcept {
#if defined(__SSE2__)
  if (s.size() >= 16) {
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control = _mm_set1_epi8(0x1f);
    const auto needs_escape = [&](const char* p) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i below_space = _mm_cmpeq_epi8(_mm_max_epu8(v, control), control); // v <= 0x1f
      const __m128i m = _mm_or_si128(below_space, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      return _mm_movemask_epi8(m) != 0;
    };
    std::size_t n = s.size() + 2;
    std::size_t i = 0;
    for (; i + 16 <= s.size(); i += 16) {
      if (!needs_escape(s.data() + i)) continue;
      for (std::size_t k = i; k < i + 16; ++k) n += json_escape_extra[static_cast<unsigned char>(s[k])];
    }
    if (i < s.size() && needs_escape(s.data() + s.size() - 16)) { // the last 16 bytes, overlapping
      for (; i < s.size(); ++i) n += json_escape_extra[static_cast<unsigned char>(s[i])];
    }
    return n;
  }
#endif
  return json_string_length_portable(s);
}

/// Appends `"key":` (escaped key, then a colon).
inline void append_json_key(std::string& out, std::string_view key) {
  append_json_string(out, key);
  out.push_back(':');
}

/// Appends `"key":` with the key as given: for esm's own field names, which need no escaping.
inline void append_key(std::string& out, std::string_view key) {
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

/// Appends `"key":"value"` with the value escaped.
inline void append_member(std::string& out, std::string_view key, std::string_view value) {
  append_key(out, key);
  append_json_string(out, value);
}

/// Appends the decimal digits of `v` (no allocation).
inline void append_uint(std::string& out, std::uint64_t v) {
  char buf[20];
  std::size_t n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out.push_back(buf[--n]);
}

/// Appends the decimal digits of `v`, with a `-` when negative (no allocation).
inline void append_int(std::string& out, std::int64_t v) {
  if (v < 0) {
    out.push_back('-');
    append_uint(out, static_cast<std::uint64_t>(-(v + 1)) + 1);
  } else {
    append_uint(out, static_cast<std::uint64_t>(v));
  }
}

/// Appends the 32 lowercase hex digits of an MD5 digest (as `md5sum` prints it).
inline void append_md5_hex(std::string& out, const md5_digest& d) {
  static constexpr char hex[] = "0123456789abcdef";
  for (const std::uint8_t b : d.bytes) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 0xF]);
  }
}

/// Unix seconds of a virtual instant on the wall clock, rounded down (DynamoDB
/// `ApproximateCreationDateTime`).
[[nodiscard]] inline std::int64_t unix_seconds(const wall_epoch& e, time_point t) noexcept {
  const std::int64_t ms = e.unix_millis(t);
  return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/// ISO-8601 UTC with whole seconds (`2020-12-09T07:04:00Z`, tumbling window bounds and
/// DynamoDB arrival times in on-failure records): the milliseconds are dropped (rounded down).
[[nodiscard]] inline std::string iso8601_seconds(const wall_epoch& e, time_point t) {
  std::string s = e.iso8601(t); // ...T07:04:00.123Z
  if (s.size() >= 5 && s[s.size() - 5] == '.') {
    s.erase(s.size() - 5, 4);
  }
  return s;
}

} // namespace esm::detail
