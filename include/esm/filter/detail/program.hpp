#pragma once
/// \file esm/filter/detail/program.hpp
/// The compiled form of a set of filter patterns, and the compiler that builds it.
///
/// Shape. All patterns of a criteria compile into one tree of *frames*. A frame stands for the
/// objects found at one path of a record (frame 0: the record's top-level fields; its child for
/// key `body`: the objects found at `body`, ...). Each place where a pattern names a key at that
/// level is a *slot* of the frame: a leaf slot (`"k": [conditions]`) or an object slot
/// (`"k": {sub-pattern}`, which refers to an *expression* of the child frame of `k`). Slots of
/// `$or` branches at the same level belong to the same frame, so one pass over an object feeds
/// every pattern, branch and duplicate use at once. An expression is an AND of slots and of
/// OR-groups (`$or`), each OR-group a list of branch expressions. Each pattern has a root
/// expression in frame 0; the criteria matches when any root is true.
///
/// Evaluation state is one byte per slot (`slot_state`), reset whenever the slot's frame starts a
/// new object. A slot is true when it is not poisoned and either matched a value, or saw none and
/// its emptiness is acceptable (`matches_empty`: a leaf with `exists:false`, or an object slot
/// whose sub-pattern holds for a missing object).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <esm/filter/detail/json.hpp>

namespace esm::filter::detail {

/// "No index".
inline constexpr std::uint32_t npos32 = std::numeric_limits<std::uint32_t>::max();

/// One condition of a leaf array.
enum class op : std::uint8_t {
  eq_string,          ///< `"s"`: a string equal to `text`
  eq_number,          ///< `300`: a number whose literal is exactly `text`
  eq_true,            ///< `true`
  eq_false,           ///< `false`
  eq_null,            ///< `null`
  eq_ignore_case,     ///< `{"equals-ignore-case":"s"}` (`text` folded)
  prefix,             ///< `{"prefix":"s"}`
  prefix_ignore_case, ///< `{"prefix":{"equals-ignore-case":"s"}}` (`text` folded)
  suffix,             ///< `{"suffix":"s"}`
  suffix_ignore_case, ///< `{"suffix":{"equals-ignore-case":"s"}}` (`text` folded)
  numeric,            ///< `{"numeric":[...]}`: a number in [lo, hi] (bounds open or closed)
  exists,             ///< `{"exists":true}`: any leaf value
  but_strings,        ///< `{"anything-but": "s" | ["s", ...]}`: any value but a string in `strings`
  but_numbers,        ///< `{"anything-but": n | [n, ...]}`: any value but a number equal to one in `numbers`
  but_prefix,         ///< `{"anything-but":{"prefix":"s"}}`: any value but a string starting with `text`
  but_suffix,         ///< `{"anything-but":{"suffix":"s"}}`: any value but a string ending with `text`
  but_ignore_case,    ///< `{"anything-but":{"equals-ignore-case": ...}}`: any value but those strings (folded)
};

/// A compiled condition.
struct condition {
  op kind = op::eq_string;                              ///< what it tests
  bool lo_closed = true;                                ///< numeric: `>=` (true) or `>` (false)
  bool hi_closed = true;                                ///< numeric: `<=` (true) or `<` (false)
  double lo = -std::numeric_limits<double>::infinity(); ///< numeric lower bound
  double hi = std::numeric_limits<double>::infinity();  ///< numeric upper bound
  std::string text;                                     ///< the string or number literal compared
  std::vector<std::string> strings;                     ///< anything-but string sets
  std::vector<double> numbers;                          ///< anything-but number sets
};

/// The conditions of one leaf array (ORed).
struct leaf {
  std::vector<condition> conditions; ///< conditions tested against each value (`exists:false` is not one)
  bool exists_false = false;         ///< the array holds `{"exists":false}`
};

/// One use of a key in a pattern object.
struct slot {
  std::uint32_t leaf = npos32;       ///< leaf slot: index in `program::leaves`
  std::uint32_t child_expr = npos32; ///< object slot: the sub-pattern's expression (in the key's child frame)
  bool matches_empty = false;        ///< true when "no value / no object here" satisfies the slot
};

/// How one key is used in one frame.
struct key_entry {
  std::string key;                         ///< the key (unescaped)
  std::vector<std::uint32_t> leaf_slots;   ///< slots with leaf conditions
  std::vector<std::uint32_t> object_slots; ///< slots with a sub-pattern
  std::uint32_t child_frame = npos32;      ///< frame evaluating objects found under this key
};

/// The pattern content that applies to objects at one path.
struct frame {
  std::vector<key_entry> keys;      ///< keys named at this level, first-seen order
  std::vector<std::uint32_t> slots; ///< every slot of the frame (reset together)
};

/// An AND of slots and OR-groups.
struct expression {
  std::vector<std::uint32_t> slots; ///< slots that must all be true
  std::vector<std::uint32_t> ors;   ///< OR-groups (`program::ors`) that must all be true
};

/// The state bits of a slot during a match.
enum slot_state : std::uint8_t {
  slot_matched = 1,  ///< a value (leaf) or an object (object slot) satisfied it
  slot_seen = 2,     ///< a leaf value / an object was present
  slot_poisoned = 4, ///< false whatever else happens (format mismatch, invalid JSON field)
};

/// A compiled set of patterns.
struct program {
  std::vector<frame> frames;                   ///< frame 0 is the top level (when not empty)
  std::vector<slot> slots;                     ///< all slots
  std::vector<leaf> leaves;                    ///< all leaf arrays
  std::vector<expression> expressions;         ///< all expressions
  std::vector<std::vector<std::uint32_t>> ors; ///< OR-groups: branch expressions
  std::vector<std::uint32_t> roots;            ///< each pattern's root expression
  std::size_t longest_string = 1;              ///< longest key or string in any pattern (bytes)
  std::size_t max_top_level_slots = 0;         ///< most slots of one key in frame 0

  /// The key entry of `key` in frame `f`, or nullptr.
  [[nodiscard]] const key_entry* find(std::uint32_t f, std::string_view key) const noexcept {
    for (const key_entry& e : frames[f].keys) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }
};

/// A malformed pattern: the reason and where (a dotted path), before the filter number is added.
struct pattern_fault {
  std::string message; ///< e.g. `numeric operator expects a number after '>' at body.price`
};

/// Compiles parsed patterns into a `program`.
class compiler {
public:
  explicit compiler(program& prog) : prog_(prog) {
    if (prog_.frames.empty()) prog_.frames.emplace_back();
  }

  /// Adds one pattern (a parsed JSON value); throws `pattern_fault` when it is malformed.
  void add(const json_value& pattern) {
    path_.clear();
    if (!pattern.is_object()) fail("a pattern must be a JSON object");
    if (pattern.members.empty()) fail("a pattern must name at least one field ({} is rejected, as EventBridge does)");
    const std::uint32_t root = object(pattern, 0);
    prog_.roots.push_back(root);
    finish();
  }

private:
  [[noreturn]] void fail(std::string_view what) const {
    std::string msg{what};
    msg += " at ";
    msg += path_.empty() ? std::string{"the top level"} : path_;
    throw pattern_fault{std::move(msg)};
  }

  void note_string(std::string_view s) { prog_.longest_string = std::max(prog_.longest_string, s.size()); }

  /// Index of `key`'s entry in frame `f`, created when new.
  std::uint32_t entry(std::uint32_t f, const std::string& key) {
    auto& keys = prog_.frames[f].keys;
    for (std::uint32_t i = 0; i < keys.size(); ++i) {
      if (keys[i].key == key) return i;
    }
    keys.push_back(key_entry{key, {}, {}, npos32});
    note_string(key);
    return static_cast<std::uint32_t>(keys.size() - 1);
  }

  std::uint32_t new_slot(std::uint32_t f, slot s) {
    prog_.slots.push_back(s);
    const auto id = static_cast<std::uint32_t>(prog_.slots.size() - 1);
    prog_.frames[f].slots.push_back(id);
    return id;
  }

  /// Compiles a pattern object applying to frame `f`; returns its expression.
  std::uint32_t object(const json_value& obj, std::uint32_t f) {
    if (obj.members.empty()) fail("an object in a pattern must not be empty");
    prog_.expressions.emplace_back();
    const auto expr = static_cast<std::uint32_t>(prog_.expressions.size() - 1);
    const std::size_t path_length = path_.size();
    for (std::size_t i = 0; i < obj.members.size(); ++i) {
      const json_member& m = obj.members[i];
      bool superseded = false; // duplicate keys: the last one counts
      for (std::size_t j = i + 1; j < obj.members.size() && !superseded; ++j) superseded = obj.members[j].key == m.key;
      if (superseded) continue;
      if (!path_.empty()) path_ += '.';
      path_ += m.key;
      if (m.key == "$or") {
        or_group(m.value, f, expr);
      } else if (m.value.is_object()) {
        const std::uint32_t e = entry(f, m.key);
        std::uint32_t child = prog_.frames[f].keys[e].child_frame;
        if (child == npos32) {
          prog_.frames.emplace_back();
          child = static_cast<std::uint32_t>(prog_.frames.size() - 1);
          prog_.frames[f].keys[e].child_frame = child;
        }
        const std::uint32_t sub = object(m.value, child);
        const std::uint32_t s = new_slot(f, slot{npos32, sub, false});
        prog_.frames[f].keys[e].object_slots.push_back(s);
        prog_.expressions[expr].slots.push_back(s);
      } else if (m.value.is_array()) {
        const std::uint32_t l = leaf_array(m.value);
        const std::uint32_t e = entry(f, m.key);
        const std::uint32_t s = new_slot(f, slot{l, npos32, prog_.leaves[l].exists_false});
        prog_.frames[f].keys[e].leaf_slots.push_back(s);
        prog_.expressions[expr].slots.push_back(s);
      } else {
        fail("a pattern leaf must be an array");
      }
      path_.resize(path_length);
    }
    return expr;
  }

  void or_group(const json_value& v, std::uint32_t f, std::uint32_t expr) {
    if (!v.is_array() || v.elements.size() < 2) fail("$or needs an array of at least 2 patterns");
    std::vector<std::uint32_t> branches;
    const std::size_t path_length = path_.size();
    for (std::size_t i = 0; i < v.elements.size(); ++i) {
      path_ += '[';
      path_ += std::to_string(i);
      path_ += ']';
      if (!v.elements[i].is_object()) fail("$or needs an array of at least 2 patterns (objects)");
      branches.push_back(object(v.elements[i], f));
      path_.resize(path_length);
    }
    prog_.ors.push_back(std::move(branches));
    prog_.expressions[expr].ors.push_back(static_cast<std::uint32_t>(prog_.ors.size() - 1));
  }

  std::uint32_t leaf_array(const json_value& v) {
    if (v.elements.empty()) fail("a pattern leaf must not be an empty array");
    leaf l;
    for (const json_value& el : v.elements) {
      condition c;
      switch (el.kind) {
      case json_value::type::string:
        c.kind = op::eq_string;
        c.text = el.text;
        break;
      case json_value::type::number:
        c.kind = op::eq_number;
        c.text = el.text;
        break;
      case json_value::type::boolean_true:
        c.kind = op::eq_true;
        break;
      case json_value::type::boolean_false:
        c.kind = op::eq_false;
        break;
      case json_value::type::null:
        c.kind = op::eq_null;
        break;
      case json_value::type::array:
        fail("a pattern leaf holds strings, numbers, true, false, null or operators, not arrays");
      case json_value::type::object:
        if (!operator_object(el, c, l)) continue; // exists:false is a flag of the leaf
        break;
      }
      note_string(c.text);
      for (const auto& s : c.strings) note_string(s);
      l.conditions.push_back(std::move(c));
    }
    prog_.leaves.push_back(std::move(l));
    return static_cast<std::uint32_t>(prog_.leaves.size() - 1);
  }

  /// The single member of an operator object.
  const json_member& only_member(const json_value& obj, const char* what) {
    if (obj.members.size() != 1) {
      if (obj.members.empty()) fail(std::string{what} + " must not be empty");
      fail(std::string{what} + " must have exactly one key, got " + std::to_string(obj.members.size()));
    }
    return obj.members.front();
  }

  /// Compiles an operator object into `c`; false for `exists:false` (recorded in `l`).
  bool operator_object(const json_value& obj, condition& c, leaf& l) {
    const json_member& m = only_member(obj, "an operator object");
    const std::string& name = m.key;
    const json_value& v = m.value;
    if (name == "equals-ignore-case") {
      if (!v.is_string()) fail("equals-ignore-case takes a string");
      c.kind = op::eq_ignore_case;
      c.text = fold(v.text);
    } else if (name == "prefix" || name == "suffix") {
      const bool prefix = name == "prefix";
      if (v.is_string()) {
        c.kind = prefix ? op::prefix : op::suffix;
        c.text = v.text;
      } else if (v.is_object() && v.members.size() == 1 && v.members.front().key == "equals-ignore-case" &&
                 v.members.front().value.is_string()) {
        c.kind = prefix ? op::prefix_ignore_case : op::suffix_ignore_case;
        c.text = fold(v.members.front().value.text);
      } else {
        fail(name + " takes a string or {\"equals-ignore-case\": string}");
      }
    } else if (name == "anything-but") {
      anything_but(v, c);
    } else if (name == "numeric") {
      numeric(v, c);
    } else if (name == "exists") {
      if (v.kind == json_value::type::boolean_true) {
        c.kind = op::exists;
      } else if (v.kind == json_value::type::boolean_false) {
        l.exists_false = true;
        return false;
      } else {
        fail("exists takes true or false");
      }
    } else {
      fail("unsupported operator '" + name + "'");
    }
    return true;
  }

  double finite_number(const json_value& v, const char* what) {
    const double d = number_value(v.text);
    if (!std::isfinite(d)) fail(std::string{what} + " is out of the double range");
    return d;
  }

  void anything_but(const json_value& v, condition& c) {
    static constexpr const char* usage =
        "anything-but takes a string, a number, a non-empty array of only strings or only numbers, or an "
        "object with prefix, suffix or equals-ignore-case";
    switch (v.kind) {
    case json_value::type::string:
      c.kind = op::but_strings;
      c.strings.push_back(v.text);
      return;
    case json_value::type::number:
      c.kind = op::but_numbers;
      c.numbers.push_back(finite_number(v, "anything-but number"));
      return;
    case json_value::type::array: {
      if (v.elements.empty()) fail(usage);
      const bool strings = v.elements.front().is_string();
      for (const json_value& el : v.elements) {
        if (strings && el.is_string()) {
          c.strings.push_back(el.text);
        } else if (!strings && el.is_number()) {
          c.numbers.push_back(finite_number(el, "anything-but number"));
        } else {
          fail("anything-but lists hold only strings or only numbers");
        }
      }
      c.kind = strings ? op::but_strings : op::but_numbers;
      return;
    }
    case json_value::type::object: {
      const json_member& m = only_member(v, "an anything-but object");
      if (m.key == "prefix" || m.key == "suffix") {
        if (!m.value.is_string()) fail("anything-but " + m.key + " takes a string");
        if (m.value.text.empty()) fail("anything-but " + m.key + " must not be empty");
        c.kind = m.key == "prefix" ? op::but_prefix : op::but_suffix;
        c.text = m.value.text;
        return;
      }
      if (m.key == "equals-ignore-case") {
        c.kind = op::but_ignore_case;
        if (m.value.is_string()) {
          c.strings.push_back(fold(m.value.text));
          return;
        }
        if (m.value.is_array() && !m.value.elements.empty()) {
          for (const json_value& el : m.value.elements) {
            if (!el.is_string()) fail("anything-but equals-ignore-case takes a string or a non-empty array of strings");
            c.strings.push_back(fold(el.text));
          }
          return;
        }
        fail("anything-but equals-ignore-case takes a string or a non-empty array of strings");
      }
      fail("unsupported operator 'anything-but/" + m.key + "'");
    }
    default:
      fail(usage);
    }
  }

  void numeric(const json_value& v, condition& c) {
    static constexpr const char* usage =
        "numeric takes [op, number] or a range [\">\" or \">=\", number, \"<\" or \"<=\", number]";
    if (!v.is_array() || v.elements.empty()) fail(usage);
    const auto& els = v.elements;
    if (els.size() > 4) fail(usage);
    // Read the (op, number) pairs.
    std::string ops[2];
    double values[2] = {0, 0};
    const std::size_t pairs = (els.size() + 1) / 2;
    for (std::size_t i = 0; i < pairs; ++i) {
      const json_value& o = els[2 * i];
      if (!o.is_string()) fail(usage);
      if (o.text != "=" && o.text != "<" && o.text != "<=" && o.text != ">" && o.text != ">=") {
        fail("unsupported numeric operator '" + o.text + "'");
      }
      if (2 * i + 1 >= els.size() || !els[2 * i + 1].is_number()) {
        fail("numeric operator expects a number after '" + o.text + "'");
      }
      ops[i] = o.text;
      values[i] = finite_number(els[2 * i + 1], "numeric value");
    }
    c.kind = op::numeric;
    if (pairs == 1) {
      const std::string& o = ops[0];
      if (o == "=") {
        c.lo = c.hi = values[0];
      } else if (o == ">" || o == ">=") {
        c.lo = values[0];
        c.lo_closed = o == ">=";
      } else {
        c.hi = values[0];
        c.hi_closed = o == "<=";
      }
      return;
    }
    const bool lower_first = ops[0] == ">" || ops[0] == ">=";
    const bool upper_second = ops[1] == "<" || ops[1] == "<=";
    if (!lower_first || !upper_second) {
      fail("numeric range needs a lower bound then an upper bound, got '" + ops[0] + "' then '" + ops[1] + "'");
    }
    if (!(values[0] < values[1])) fail("numeric range needs its lower bound below its upper bound");
    c.lo = values[0];
    c.lo_closed = ops[0] == ">=";
    c.hi = values[1];
    c.hi_closed = ops[1] == "<=";
  }

  /// After a pattern: compute `matches_empty` of object slots, and the frame-0 slot maximum. A
  /// sub-pattern's slots are created before the object slot that refers to it, so one pass in
  /// index order settles it; the loop (monotone, from false) only confirms that.
  void finish() {
    bool changed = true;
    while (changed) {
      changed = false;
      for (slot& s : prog_.slots) {
        if (s.child_expr == npos32) continue;
        const bool m = empty_ok(s.child_expr);
        if (m != s.matches_empty) {
          s.matches_empty = m;
          changed = true;
        }
      }
    }
    for (const key_entry& e : prog_.frames[0].keys) {
      prog_.max_top_level_slots = std::max(prog_.max_top_level_slots, e.leaf_slots.size() + e.object_slots.size());
    }
  }

  /// True when expression `x` holds for an absent / empty object (with current `matches_empty`s).
  [[nodiscard]] bool empty_ok(std::uint32_t x) const {
    const expression& e = prog_.expressions[x];
    for (std::uint32_t s : e.slots) {
      if (!prog_.slots[s].matches_empty) return false;
    }
    for (std::uint32_t o : e.ors) {
      bool any = false;
      for (std::uint32_t b : prog_.ors[o]) any = any || empty_ok(b);
      if (!any) return false;
    }
    return true;
  }

  program& prog_;
  std::string path_;
};

} // namespace esm::filter::detail
