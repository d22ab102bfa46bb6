#pragma once
/// \file esm/filter/detail/json.hpp
/// A small, strict JSON (RFC 8259) reader for the event filter, with no dependency beyond the
/// standard library:
///
/// - building blocks shared by the pattern parser and the record scanner: whitespace, the number
///   grammar, string scanning (8 bytes at a time) and unescaping (`\uXXXX` with surrogate pairs
///   to UTF-8), case folding for `equals-ignore-case`, and a validating `skip_value` that walks
///   any value iteratively (no recursion, no allocation);
/// - `parse_json`, a DOM parser for the (small, trusted-size) pattern and `FilterCriteria` texts.
///
/// Strictness: trailing garbage, leading zeros, bare control characters in strings, bad escapes,
/// `NaN`/`Infinity`, comments and trailing commas are rejected. Leniency: an unpaired surrogate
/// escape decodes to U+FFFD, and bytes >= 0x80 are taken as they are (invalid UTF-8 is not
/// rejected, and never read past the end). Nesting deeper than `max_json_depth` containers makes a
/// text invalid, so no input can exhaust the stack.

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace esm::filter::detail {

/// The deepest nesting of arrays and objects a pattern or a record may have: 256 containers
/// inside one another are accepted, 257 are not (the text is then malformed / not JSON).
inline constexpr int max_json_depth = 256;

/// JSON's four whitespace characters.
[[nodiscard]] constexpr bool is_ws(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
/// An ASCII decimal digit.
[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// The first non-whitespace position in [p, end).
[[nodiscard]] inline const char* skip_ws(const char* p, const char* end) noexcept {
  while (p != end && is_ws(*p)) ++p;
  return p;
}

/// Scans a JSON number starting at `p`; returns its end, or nullptr when the text there does not
/// start with a JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`). The caller checks
/// what follows (so `01` is a number `0` followed by garbage).
[[nodiscard]] inline const char* scan_number(const char* p, const char* end) noexcept {
  if (p != end && *p == '-') ++p;
  if (p == end) return nullptr;
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    ++p;
    while (p != end && is_digit(*p)) ++p;
  } else {
    return nullptr;
  }
  if (p != end && *p == '.') {
    ++p;
    if (p == end || !is_digit(*p)) return nullptr;
    while (p != end && is_digit(*p)) ++p;
  }
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p != end && (*p == '+' || *p == '-')) ++p;
    if (p == end || !is_digit(*p)) return nullptr;
    while (p != end && is_digit(*p)) ++p;
  }
  return p;
}

/// True when `text` is exactly one JSON number literal (no whitespace around it).
[[nodiscard]] inline bool is_json_number(std::string_view text) noexcept {
  const char* end = text.data() + text.size();
  return !text.empty() && scan_number(text.data(), end) == end;
}

/// The value of a JSON number literal as a double. Literals beyond the double range give
/// +/-infinity (magnitude too large) or +/-0 (too small), as `strtod` would; `text` must be a
/// valid literal.
[[nodiscard]] inline double number_value(std::string_view text) noexcept {
  double v = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  const auto r = std::from_chars(first, last, v, std::chars_format::general);
  if (r.ec == std::errc{}) return v;
  // Out of range: find the decimal magnitude (position of the first significant digit).
  const bool negative = !text.empty() && text.front() == '-';
  bool significant = false;
  long long int_digits = 0; // digits before the point, after leading zeros
  long long zeros_after_point = 0;
  bool after_point = false;
  std::size_t i = negative ? 1 : 0;
  for (; i < text.size() && text[i] != 'e' && text[i] != 'E'; ++i) {
    const char c = text[i];
    if (c == '.') {
      after_point = true;
      continue;
    }
    if (!significant) {
      if (c == '0') {
        if (after_point) ++zeros_after_point;
        continue;
      }
      significant = true;
    }
    if (!after_point) ++int_digits;
  }
  if (!significant) return negative ? -0.0 : 0.0;
  // Decimal exponent of the first significant digit, before the 'e' part.
  const long long magnitude = int_digits > 0 ? int_digits - 1 : -(zeros_after_point + 1);
  long long exponent = 0;
  bool exponent_negative = false;
  if (i < text.size()) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exponent_negative = text[i++] == '-';
    for (; i < text.size(); ++i) {
      if (exponent < 1'000'000'000'000LL) exponent = exponent * 10 + (text[i] - '0'); // saturates
    }
  }
  const long long total = magnitude + (exponent_negative ? -exponent : exponent);
  if (total > 0) return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  return negative ? -0.0 : 0.0;
}

/// Value of one hex digit, or -1.
[[nodiscard]] constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Four hex digits at p (p + 4 <= end checked by the caller), or -1.
[[nodiscard]] inline long hex4(const char* p) noexcept {
  long v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hex_value(p[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/// Writes code point `cp` (< 0x110000) as UTF-8 into `out`; returns the byte count (1 to 4).
inline std::size_t encode_utf8(std::uint32_t cp, char* out) noexcept {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

/// Validates the escape sequence starting at `p` (just after a backslash); returns the position
/// after it, or nullptr.
[[nodiscard]] inline const char* skip_escape(const char* p, const char* end) noexcept {
  if (p == end) return nullptr;
  switch (*p) {
  case '"':
  case '\\':
  case '/':
  case 'b':
  case 'f':
  case 'n':
  case 'r':
  case 't':
    return p + 1;
  case 'u':
    if (end - p < 5 || hex4(p + 1) < 0) return nullptr;
    return p + 5;
  default:
    return nullptr;
  }
}

namespace swar {
inline constexpr std::uint64_t ones = 0x0101010101010101ULL;
inline constexpr std::uint64_t highs = 0x8080808080808080ULL;
/// High bit of each zero byte of `v`. Borrows can also flag bytes above a zero byte, never below,
/// so the lowest flag is exact.
[[nodiscard]] constexpr std::uint64_t zero_bytes(std::uint64_t v) noexcept { return (v - ones) & ~v & highs; }
/// Flags (high bits) for the quotes, backslashes and control characters among the 8 bytes at
/// `p`; the lowest flag is exact (see `zero_bytes`).
[[nodiscard]] inline std::uint64_t string_specials(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  const std::uint64_t quote = zero_bytes(v ^ (ones * '"'));
  const std::uint64_t backslash = zero_bytes(v ^ (ones * '\\'));
  const std::uint64_t control = (v - ones * 0x20) & ~v & highs; // bytes < 0x20
  return quote | backslash | control;
}
} // namespace swar

/// Scans the rest of a JSON string: `p` points just after its opening quote. Returns the position
/// just after the closing quote, or nullptr when the string is not valid (unterminated, a raw
/// control character, a bad escape). `escaped` becomes true when the string holds an escape.
[[nodiscard]] inline const char* scan_string(const char* p, const char* end, bool& escaped) noexcept {
  for (;;) {
    // 8 bytes at a time while they fit, jumping straight to the first special byte.
    if constexpr (std::endian::native == std::endian::little) {
      while (end - p >= 8) {
        const std::uint64_t m = swar::string_specials(p);
        if (m == 0) {
          p += 8;
          continue;
        }
        p += std::countr_zero(m) / 8;
        break;
      }
    }
    while (p != end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
    if (p == end) return nullptr;
    if (*p == '"') return p + 1;
    if (*p != '\\') return nullptr; // a control character
    escaped = true;
    p = skip_escape(p + 1, end);
    if (p == nullptr) return nullptr;
  }
}

/// Decodes the body of a valid JSON string (`p` just after the opening quote, the string already
/// validated by `scan_string`), calling `out(const char* bytes, std::size_t n)` with runs of
/// decoded bytes. An unpaired surrogate decodes to U+FFFD. Returns the position after the closing
/// quote.
template <class Out>
const char* decode_string(const char* p, const char* end, Out&& out) {
  const char* run = p;
  for (;;) {
    // (validated: a closing quote exists before `end`)
    while (p != end && *p != '"' && *p != '\\') ++p;
    if (p != run) out(run, static_cast<std::size_t>(p - run));
    if (p == end) return end;
    if (*p == '"') return p + 1;
    ++p; // backslash
    char one = 0;
    switch (*p) {
    case 'b':
      one = '\b';
      break;
    case 'f':
      one = '\f';
      break;
    case 'n':
      one = '\n';
      break;
    case 'r':
      one = '\r';
      break;
    case 't':
      one = '\t';
      break;
    case 'u': {
      std::uint32_t cp = static_cast<std::uint32_t>(hex4(p + 1));
      p += 5;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
          const long low = hex4(p + 2);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<std::uint32_t>(low) - 0xDC00);
            p += 6;
          } else {
            cp = 0xFFFD;
          }
        } else {
          cp = 0xFFFD;
        }
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD;
      }
      char buf[4];
      out(static_cast<const char*>(buf), encode_utf8(cp, buf));
      run = p;
      continue;
    }
    default:
      one = *p;
      break; // '"', '\\', '/'
    }
    out(&one, 1);
    ++p;
    run = p;
  }
}

/// Validates one JSON value starting at `p` (whitespace already skipped) without materialising
/// anything, iteratively. `depth` is the number of containers enclosing the value; a container
/// that would be the `max_json_depth + 1`-th is an error. Returns the position after the value,
/// or nullptr when the text there is not a valid JSON value.
[[nodiscard]] inline const char* skip_value(const char* p, const char* end, int depth) noexcept {
  // One bit per open container, opened during this call: 1 = object, 0 = array.
  std::array<std::uint64_t, (max_json_depth + 63) / 64 + 1> kinds{};
  int level = 0; // containers opened here
  bool escaped = false;
  const auto top_is_object = [&] {
    const int i = level - 1;
    return ((kinds[static_cast<std::size_t>(i / 64)] >> (i % 64)) & 1U) != 0;
  };
  const auto push = [&](bool object) {
    if (depth + level + 1 > max_json_depth) return false;
    const int i = level++;
    auto& word = kinds[static_cast<std::size_t>(i / 64)];
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    word = object ? (word | bit) : (word & ~bit);
    return true;
  };
  // Reads `"key" :` and whitespace; p at the key's quote.
  const auto member_key = [&]() -> bool {
    if (p == end || *p != '"') return false;
    p = scan_string(p + 1, end, escaped);
    if (p == nullptr) return false;
    p = skip_ws(p, end);
    if (p == end || *p != ':') return false;
    p = skip_ws(p + 1, end);
    return true;
  };
  for (;;) {
    // A value at p.
    if (p == end) return nullptr;
    switch (*p) {
    case '"':
      p = scan_string(p + 1, end, escaped);
      if (p == nullptr) return nullptr;
      break;
    case '{':
      if (!push(true)) return nullptr;
      p = skip_ws(p + 1, end);
      if (p != end && *p == '}') {
        ++p;
        --level;
        break;
      }
      if (!member_key()) return nullptr;
      continue; // the member's value
    case '[':
      if (!push(false)) return nullptr;
      p = skip_ws(p + 1, end);
      if (p != end && *p == ']') {
        ++p;
        --level;
        break;
      }
      continue; // the first element
    case 't':
      if (end - p < 4 || std::memcmp(p, "true", 4) != 0) return nullptr;
      p += 4;
      break;
    case 'f':
      if (end - p < 5 || std::memcmp(p, "false", 5) != 0) return nullptr;
      p += 5;
      break;
    case 'n':
      if (end - p < 4 || std::memcmp(p, "null", 4) != 0) return nullptr;
      p += 4;
      break;
    default:
      p = scan_number(p, end);
      if (p == nullptr) return nullptr;
      break;
    }
    // After a value: close containers, or move to the next element / member.
    for (;;) {
      if (level == 0) return p;
      p = skip_ws(p, end);
      if (p == end) return nullptr;
      const bool object = top_is_object();
      if (*p == ',') {
        p = skip_ws(p + 1, end);
        if (object && !member_key()) return nullptr;
        break; // next value
      }
      if (*p == (object ? '}' : ']')) {
        ++p;
        --level;
        continue;
      }
      return nullptr;
    }
  }
}

/// True when `text` is exactly one valid JSON value, with optional whitespace around it.
[[nodiscard]] inline bool is_valid_json(std::string_view text) noexcept {
  const char* end = text.data() + text.size();
  const char* p = skip_ws(text.data(), end);
  if (p == end) return false;
  p = skip_value(p, end, 0);
  return p != nullptr && skip_ws(p, end) == end;
}

// ---- case folding for equals-ignore-case -----------------------------------------------------

/// Simple lower-case folding of one code point below U+0800: ASCII, Latin-1 Supplement,
/// Latin Extended-A, basic Greek and Cyrillic capitals. Other code points are returned as they
/// are. The result is below U+0800 too, so folding keeps a UTF-8 text's byte length.
[[nodiscard]] constexpr std::uint32_t fold_code_point(std::uint32_t c) noexcept {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE) return c == 0xD7 ? c : c + 32;
  if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c | 1U;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1U) != 0 ? c + 1 : c;
  if (c == 0x178) return 0xFF;
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  return c;
}

/// Folds bytes [i, n) of `s` one character at a time: `emit(b0)` for a single byte, `emit(b0, b1)`
/// for a folded two-byte UTF-8 sequence. Other bytes (3- and 4-byte sequences, stray continuation
/// bytes) are emitted unchanged, one by one.
template <class Emit>
constexpr void fold_bytes(std::string_view s, Emit&& emit) {
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      emit(static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c));
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0 && i + 1 < n && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
      const std::uint32_t cp = ((c & 0x1FU) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3FU);
      const std::uint32_t f = fold_code_point(cp);
      emit(static_cast<char>(0xC0 | (f >> 6)), static_cast<char>(0x80 | (f & 0x3F)));
      i += 2;
      continue;
    }
    emit(static_cast<char>(c));
    ++i;
  }
}

/// `s` folded for equals-ignore-case (same byte length).
[[nodiscard]] inline std::string fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  fold_bytes(s, [&](auto... b) { (out.push_back(b), ...); });
  return out;
}

/// True when `s` folded equals `folded` (already folded), without allocating.
[[nodiscard]] inline bool equals_folded(std::string_view s, std::string_view folded) noexcept {
  if (s.size() != folded.size()) return false;
  std::size_t k = 0;
  bool same = true;
  fold_bytes(s, [&](auto... b) { ((same = same && folded[k++] == b), ...); });
  return same;
}

// ---- a DOM for patterns ----------------------------------------------------------------------

struct json_member;

/// A parsed JSON value (patterns and `FilterCriteria` only; records are never parsed into one).
struct json_value {
  /// The value's type.
  enum class type : std::uint8_t { null, boolean_true, boolean_false, number, string, array, object };
  type kind = type::null;           ///< the value's type
  std::string text;                 ///< string: unescaped bytes; number: the literal as written
  std::vector<json_value> elements; ///< array elements
  std::vector<json_member> members; ///< object members in document order (duplicates kept)
  std::size_t offset = 0;           ///< byte offset of the value in the parsed text

  [[nodiscard]] bool is_object() const noexcept { return kind == type::object; }
  [[nodiscard]] bool is_array() const noexcept { return kind == type::array; }
  [[nodiscard]] bool is_string() const noexcept { return kind == type::string; }
  [[nodiscard]] bool is_number() const noexcept { return kind == type::number; }
};

/// One object member.
struct json_member {
  std::string key;  ///< unescaped key
  json_value value; ///< its value
};

/// Where and why a text is not JSON.
struct json_error {
  std::size_t offset = 0; ///< byte offset where the problem was found
  std::string message;    ///< e.g. `expected ':'`
};

/// Recursive-descent DOM parser (depth-limited).
class json_parser {
public:
  explicit json_parser(std::string_view text) noexcept
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  /// Parses the whole text as one JSON value; false (with `error` set) when it is not JSON.
  bool parse(json_value& out, json_error& error) {
    p_ = skip_ws(p_, end_);
    if (!value(out, 0)) {
      error = {static_cast<std::size_t>(p_ - begin_), message_};
      return false;
    }
    p_ = skip_ws(p_, end_);
    if (p_ != end_) {
      error = {static_cast<std::size_t>(p_ - begin_), "unexpected characters after the JSON value"};
      return false;
    }
    return true;
  }

private:
  bool fail(const char* message) {
    message_ = message;
    return false;
  }

  bool string(std::string& out) {
    // p_ at the opening quote
    bool escaped = false;
    const char* start = p_ + 1;
    const char* after = scan_string(start, end_, escaped);
    if (after == nullptr) {
      // find where it went wrong, for the offset
      const char* q = start;
      while (q != end_ && *q != '"') {
        if (static_cast<unsigned char>(*q) < 0x20) {
          p_ = q;
          return fail("control character in a string");
        }
        if (*q == '\\') {
          const char* e = skip_escape(q + 1, end_);
          if (e == nullptr) {
            p_ = q;
            return fail("invalid escape in a string");
          }
          q = e;
          continue;
        }
        ++q;
      }
      p_ = q;
      return fail("unterminated string");
    }
    out.clear();
    if (!escaped) {
      out.assign(start, static_cast<std::size_t>(after - 1 - start));
    } else {
      decode_string(start, end_, [&](const char* b, std::size_t n) { out.append(b, n); });
    }
    p_ = after;
    return true;
  }

  bool value(json_value& out, int depth) {
    out.offset = static_cast<std::size_t>(p_ - begin_);
    if (p_ == end_) return fail("unexpected end of input, expected a value");
    switch (*p_) {
    case '{': {
      if (depth + 1 > max_json_depth) return fail("nesting deeper than 256 levels");
      out.kind = json_value::type::object;
      p_ = skip_ws(p_ + 1, end_);
      if (p_ != end_ && *p_ == '}') {
        ++p_;
        return true;
      }
      for (;;) {
        if (p_ == end_) return fail("unexpected end of input, expected a string key");
        if (*p_ != '"') return fail("expected a string key");
        json_member m;
        if (!string(m.key)) return false;
        p_ = skip_ws(p_, end_);
        if (p_ == end_ || *p_ != ':') return fail("expected ':'");
        p_ = skip_ws(p_ + 1, end_);
        if (!value(m.value, depth + 1)) return false;
        out.members.push_back(std::move(m));
        p_ = skip_ws(p_, end_);
        if (p_ == end_) return fail("unexpected end of input, expected ',' or '}'");
        if (*p_ == ',') {
          p_ = skip_ws(p_ + 1, end_);
          continue;
        }
        if (*p_ == '}') {
          ++p_;
          return true;
        }
        return fail("expected ',' or '}'");
      }
    }
    case '[': {
      if (depth + 1 > max_json_depth) return fail("nesting deeper than 256 levels");
      out.kind = json_value::type::array;
      p_ = skip_ws(p_ + 1, end_);
      if (p_ != end_ && *p_ == ']') {
        ++p_;
        return true;
      }
      for (;;) {
        json_value element;
        if (!value(element, depth + 1)) return false;
        out.elements.push_back(std::move(element));
        p_ = skip_ws(p_, end_);
        if (p_ == end_) return fail("unexpected end of input, expected ',' or ']'");
        if (*p_ == ',') {
          p_ = skip_ws(p_ + 1, end_);
          continue;
        }
        if (*p_ == ']') {
          ++p_;
          return true;
        }
        return fail("expected ',' or ']'");
      }
    }
    case '"':
      out.kind = json_value::type::string;
      return string(out.text);
    case 't':
      if (end_ - p_ < 4 || std::memcmp(p_, "true", 4) != 0) return fail("invalid literal");
      out.kind = json_value::type::boolean_true;
      p_ += 4;
      return true;
    case 'f':
      if (end_ - p_ < 5 || std::memcmp(p_, "false", 5) != 0) return fail("invalid literal");
      out.kind = json_value::type::boolean_false;
      p_ += 5;
      return true;
    case 'n':
      if (end_ - p_ < 4 || std::memcmp(p_, "null", 4) != 0) return fail("invalid literal");
      out.kind = json_value::type::null;
      p_ += 4;
      return true;
    default: {
      const char* e = scan_number(p_, end_);
      if (e == nullptr) return fail(*p_ == '-' || is_digit(*p_) ? "invalid number" : "expected a value");
      out.kind = json_value::type::number;
      out.text.assign(p_, static_cast<std::size_t>(e - p_));
      p_ = e;
      return true;
    }
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const char* message_ = "";
};

/// Parses `text` as one JSON value into `out`; false (with `error` set) when it is not JSON.
inline bool parse_json(std::string_view text, json_value& out, json_error& error) {
  json_parser parser{text};
  return parser.parse(out, error);
}

} // namespace esm::filter::detail
