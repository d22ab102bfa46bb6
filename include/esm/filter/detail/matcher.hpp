#pragma once
/// \file esm/filter/detail/matcher.hpp
/// Matching a record against a compiled `program` in one pass, without a DOM and without
/// allocating.
///
/// A JSON field is read by a single validating scanner. At each object it looks every member key
/// up in the object's frame: a key no pattern names is skipped (validated by the iterative
/// `skip_value`, nothing materialised); a named key's scalar values are decoded (only when they
/// hold escapes, into fixed buffers sized at compile time) and tested against the key's leaf
/// conditions; a named key's objects are scanned recursively with the child frame, whose
/// expressions then decide the object slots. Arrays are walked element by element, so a leaf
/// sees every scalar of an array (nested arrays included) and an object slot is true when any
/// element object satisfies its sub-pattern as a whole (fields matched within the same element).
///
/// Every byte of a named JSON field is validated: a field that turns out not to be JSON has its
/// partial effects undone (frame-0 slot states are saved before and restored after).
///
/// Strings longer than the program's longest pattern string are kept as their first and last
/// `cap` bytes plus their length: enough to decide equality (lengths differ), prefixes and
/// suffixes, so a record string of any length needs no allocation.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <esm/filter/detail/json.hpp>
#include <esm/filter/detail/program.hpp>

namespace esm::filter::detail {

/// How a top-level field is presented (mirrors `esm::filter::field_kind`).
enum class field_format : std::uint8_t { string, number, json, text_or_json };

/// A scalar value of a record, as the conditions see it.
struct scalar {
  /// The value's JSON type.
  enum class type : std::uint8_t { string, number, true_value, false_value, null_value };
  type kind = type::null_value; ///< the value's type
  std::string_view head;        ///< string: its first min(length, cap) bytes; number: its literal
  std::string_view tail;        ///< string: its last min(length, cap) bytes
  std::size_t length = 0;       ///< string: decoded length in bytes
  double number = 0;            ///< number: value, once computed
  bool number_ready = false;    ///< `number` computed

  /// The number's value (computed once).
  double value() noexcept {
    if (!number_ready) {
      number = number_value(head);
      number_ready = true;
    }
    return number;
  }
  /// A string value held whole (no escapes, or decoded).
  static scalar string_of(std::string_view s) noexcept {
    scalar v;
    v.kind = type::string;
    v.head = v.tail = s;
    v.length = s.size();
    return v;
  }
};

/// One condition against one scalar.
[[nodiscard]] inline bool test(const condition& c, scalar& v) noexcept {
  const bool is_string = v.kind == scalar::type::string;
  const std::size_t n = c.text.size();
  switch (c.kind) {
  case op::eq_string:
    return is_string && v.length == n && v.head == c.text;
  case op::eq_number:
    return v.kind == scalar::type::number && v.head == c.text;
  case op::eq_true:
    return v.kind == scalar::type::true_value;
  case op::eq_false:
    return v.kind == scalar::type::false_value;
  case op::eq_null:
    return v.kind == scalar::type::null_value;
  case op::eq_ignore_case:
    return is_string && v.length == n && equals_folded(v.head, c.text);
  case op::prefix:
    return is_string && v.length >= n && v.head.substr(0, n) == c.text;
  case op::prefix_ignore_case:
    return is_string && v.length >= n && equals_folded(v.head.substr(0, n), c.text);
  case op::suffix:
    return is_string && v.length >= n && v.tail.substr(v.tail.size() - n) == c.text;
  case op::suffix_ignore_case:
    return is_string && v.length >= n && equals_folded(v.tail.substr(v.tail.size() - n), c.text);
  case op::numeric: {
    if (v.kind != scalar::type::number) return false;
    const double d = v.value();
    const bool above = c.lo_closed ? d >= c.lo : d > c.lo;
    const bool below = c.hi_closed ? d <= c.hi : d < c.hi;
    return above && below;
  }
  case op::exists:
    return true;
  case op::but_strings:
    if (!is_string) return true;
    for (const auto& s : c.strings) {
      if (v.length == s.size() && v.head == s) return false;
    }
    return true;
  case op::but_numbers:
    if (v.kind != scalar::type::number) return true;
    for (const double d : c.numbers) {
      if (v.value() == d) return false;
    }
    return true;
  case op::but_prefix:
    return !(is_string && v.length >= n && v.head.substr(0, n) == c.text);
  case op::but_suffix:
    return !(is_string && v.length >= n && v.tail.substr(v.tail.size() - n) == c.text);
  case op::but_ignore_case:
    if (!is_string) return true;
    for (const auto& s : c.strings) {
      if (v.length == s.size() && equals_folded(v.head, s)) return false;
    }
    return true;
  }
  return false;
}

/// Matches records against a program, using caller-owned scratch space: `state` (one byte per
/// slot), `saved` (`max_top_level_slots` bytes), `head` and `tail` (`cap` bytes each, `cap` at
/// least the program's longest string).
class matcher {
public:
  /// Binds the program and the scratch buffers.
  matcher(const program& prog, std::uint8_t* state, std::uint8_t* saved, char* head, char* tail,
          std::size_t cap) noexcept
      : prog_(prog), state_(state), saved_(saved), head_(head), tail_(tail), cap_(cap) {}

  /// Starts a record: no field seen yet.
  void begin() noexcept {
    for (const std::uint32_t s : prog_.frames[0].slots) state_[s] = 0;
  }

  /// Presents one top-level field.
  void field(std::string_view name, field_format format, std::string_view text) noexcept {
    const key_entry* e = prog_.find(0, name);
    if (e == nullptr) return;
    switch (format) {
    case field_format::string: {
      scalar v = scalar::string_of(text);
      feed(*e, v);
      return;
    }
    case field_format::number:
      if (is_json_number(text)) {
        scalar v;
        v.kind = scalar::type::number;
        v.head = text;
        feed(*e, v);
      } else {
        poison(e->leaf_slots);
        poison(e->object_slots);
      }
      return;
    case field_format::json:
      if (!json_field(*e, text)) {
        poison(e->leaf_slots);
        poison(e->object_slots);
      }
      return;
    case field_format::text_or_json: {
      // A JSON object or array is JSON; anything else (a bare scalar, invalid JSON) is text.
      const char* end = text.data() + text.size();
      const char* first = skip_ws(text.data(), end);
      if (first != end && (*first == '{' || *first == '[')) {
        if (e->object_slots.empty()) {
          // Only leaf conditions: they fail on JSON and apply to the text otherwise, so only the
          // validity of the JSON matters.
          if (is_valid_json(text)) {
            poison(e->leaf_slots);
            return;
          }
        } else if (json_field(*e, text)) {
          poison(e->leaf_slots); // a text pattern against a JSON body: no match
          return;
        }
      }
      poison(e->object_slots); // a JSON pattern against a text body: no match
      if (!e->leaf_slots.empty()) {
        scalar v = scalar::string_of(text);
        feed(*e, v);
      }
      return;
    }
    }
  }

  /// True when some pattern matches the fields presented since `begin()`.
  [[nodiscard]] bool result() const noexcept {
    for (const std::uint32_t r : prog_.roots) {
      if (eval(r)) return true;
    }
    return false;
  }

private:
  /// Scans `text` as one JSON value for entry `e` of frame 0; on invalid JSON, restores the
  /// entry's slots as they were and returns false.
  bool json_field(const key_entry& e, std::string_view text) noexcept {
    std::size_t k = 0;
    for (const std::uint32_t s : e.leaf_slots) saved_[k++] = state_[s];
    for (const std::uint32_t s : e.object_slots) saved_[k++] = state_[s];
    end_ = text.data() + text.size();
    p_ = skip_ws(text.data(), end_);
    bool ok = p_ != end_ && value(e, 0);
    if (ok) ok = skip_ws(p_, end_) == end_;
    if (!ok) {
      k = 0;
      for (const std::uint32_t s : e.leaf_slots) state_[s] = saved_[k++];
      for (const std::uint32_t s : e.object_slots) state_[s] = saved_[k++];
    }
    return ok;
  }

  void poison(const std::vector<std::uint32_t>& slots) noexcept {
    for (const std::uint32_t s : slots) state_[s] |= slot_poisoned;
  }

  /// Feeds a scalar to the entry's leaf slots.
  void feed(const key_entry& e, scalar& v) noexcept {
    for (const std::uint32_t s : e.leaf_slots) {
      std::uint8_t& st = state_[s];
      st |= slot_seen;
      if ((st & slot_matched) != 0) continue;
      for (const condition& c : prog_.leaves[prog_.slots[s].leaf].conditions) {
        if (test(c, v)) {
          st |= slot_matched;
          break;
        }
      }
    }
  }

  [[nodiscard]] bool slot_true(std::uint32_t s) const noexcept {
    const std::uint8_t st = state_[s];
    if ((st & slot_poisoned) != 0) return false;
    if ((st & slot_matched) != 0) return true;
    return (st & slot_seen) == 0 && prog_.slots[s].matches_empty;
  }

  [[nodiscard]] bool eval(std::uint32_t x) const noexcept {
    const expression& e = prog_.expressions[x];
    for (const std::uint32_t s : e.slots) {
      if (!slot_true(s)) return false;
    }
    for (const std::uint32_t o : e.ors) {
      bool any = false;
      for (const std::uint32_t b : prog_.ors[o]) {
        if (eval(b)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    return true;
  }

  /// Decodes an escaped string (already validated; `body` just after its opening quote) into the
  /// head and tail buffers.
  scalar decode(const char* body) noexcept {
    std::size_t n = 0;
    decode_string(body, end_, [&](const char*, std::size_t k) noexcept { n += k; });
    const std::size_t tail_from = n > cap_ ? n - cap_ : 0;
    std::size_t pos = 0;
    decode_string(body, end_, [&](const char* b, std::size_t k) noexcept {
      for (std::size_t i = 0; i < k; ++i, ++pos) {
        if (pos < cap_) head_[pos] = b[i];
        if (pos >= tail_from) tail_[pos - tail_from] = b[i];
      }
    });
    scalar v;
    v.kind = scalar::type::string;
    v.length = n;
    v.head = std::string_view{head_, std::min(n, cap_)};
    v.tail = std::string_view{tail_, std::min(n, cap_)};
    return v;
  }

  /// The entry of a member key (p_ just after the key's opening quote) in frame `f`, or nullptr;
  /// moves p_ past the closing quote. Sets `bad` on invalid JSON.
  const key_entry* key(const frame& f, bool& bad) noexcept {
    const char* body = p_;
    bool escaped = false;
    const char* after = scan_string(body, end_, escaped);
    if (after == nullptr) {
      bad = true;
      return nullptr;
    }
    p_ = after;
    std::string_view k{body, static_cast<std::size_t>(after - 1 - body)};
    if (escaped) {
      const scalar v = decode(body);
      if (v.length > cap_) return nullptr; // longer than any key in the patterns
      k = v.head;
    }
    for (const key_entry& e : f.keys) {
      if (e.key.size() == k.size() &&
          (k.empty() || (e.key[0] == k[0] && std::memcmp(e.key.data(), k.data(), k.size()) == 0))) {
        return &e;
      }
    }
    return nullptr;
  }

  /// What follows an element of an object or array.
  enum class list_next : std::uint8_t {
    more,   ///< a ',' and another element (p_ at it)
    closed, ///< the container's closing bracket (p_ past it)
    bad,    ///< anything else, or the end of the text
  };
  /// Reads what follows an element (whitespace, then ',' or `close`) and moves p_ past it.
  list_next after_element(char close) noexcept {
    p_ = skip_ws(p_, end_);
    if (p_ == end_) return list_next::bad;
    if (*p_ == ',') {
      p_ = skip_ws(p_ + 1, end_);
      return p_ == end_ ? list_next::bad : list_next::more;
    }
    if (*p_ == close) {
      ++p_;
      return list_next::closed;
    }
    return list_next::bad;
  }

  /// Scans an object (p_ at '{', the object being the `depth`-th nested container) with frame
  /// `fi`. False when the text is not valid JSON.
  bool object(std::uint32_t fi, int depth) noexcept {
    if (depth > max_json_depth) return false;
    const frame& f = prog_.frames[fi];
    for (const std::uint32_t s : f.slots) state_[s] = 0;
    p_ = skip_ws(p_ + 1, end_);
    if (p_ == end_) return false;
    if (*p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      if (*p_ != '"') return false;
      ++p_;
      bool bad = false;
      const key_entry* e = key(f, bad);
      if (bad) return false;
      p_ = skip_ws(p_, end_);
      if (p_ == end_ || *p_ != ':') return false;
      p_ = skip_ws(p_ + 1, end_);
      if (p_ == end_) return false;
      if (e != nullptr) {
        if (!value(*e, depth)) return false;
      } else {
        p_ = skip_value(p_, end_, depth);
        if (p_ == nullptr) return false;
      }
      const list_next n = after_element('}');
      if (n != list_next::more) return n == list_next::closed;
    }
  }

  /// Scans the value at p_ (not at the end) for entry `e`; `depth` containers enclose it.
  bool value(const key_entry& e, int depth) noexcept {
    switch (*p_) {
    case '{':
      if (e.child_frame == npos32) {
        p_ = skip_value(p_, end_, depth);
        return p_ != nullptr;
      }
      if (!object(e.child_frame, depth + 1)) return false;
      for (const std::uint32_t s : e.object_slots) {
        std::uint8_t& st = state_[s];
        st |= slot_seen;
        if ((st & slot_matched) == 0 && eval(prog_.slots[s].child_expr)) st |= slot_matched;
      }
      return true;
    case '[':
      if (depth + 1 > max_json_depth) return false;
      p_ = skip_ws(p_ + 1, end_);
      if (p_ == end_) return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      for (;;) {
        if (!value(e, depth + 1)) return false;
        const list_next n = after_element(']');
        if (n != list_next::more) return n == list_next::closed;
      }
    case '"': {
      const char* body = p_ + 1;
      bool escaped = false;
      const char* after = scan_string(body, end_, escaped);
      if (after == nullptr) return false;
      p_ = after;
      if (!e.leaf_slots.empty()) {
        scalar v = escaped ? decode(body) : scalar::string_of({body, static_cast<std::size_t>(after - 1 - body)});
        feed(e, v);
      }
      return true;
    }
    case 't':
      return literal("true", scalar::type::true_value, e);
    case 'f':
      return literal("false", scalar::type::false_value, e);
    case 'n':
      return literal("null", scalar::type::null_value, e);
    default: {
      const char* start = p_;
      const char* after = scan_number(p_, end_);
      if (after == nullptr) return false;
      p_ = after;
      if (!e.leaf_slots.empty()) {
        scalar v;
        v.kind = scalar::type::number;
        v.head = std::string_view{start, static_cast<std::size_t>(after - start)};
        feed(e, v);
      }
      return true;
    }
    }
  }

  bool literal(std::string_view word, scalar::type t, const key_entry& e) noexcept {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    if (!e.leaf_slots.empty()) {
      scalar v;
      v.kind = t;
      feed(e, v);
    }
    return true;
  }

  const program& prog_;
  std::uint8_t* state_;
  std::uint8_t* saved_;
  char* head_;
  char* tail_;
  std::size_t cap_;
  const char* p_ = nullptr;
  const char* end_ = nullptr;
};

} // namespace esm::filter::detail
