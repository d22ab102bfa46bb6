#pragma once
/// \file esm/filter/criteria.hpp
/// Lambda event filtering (`FilterCriteria`, spec §5): up to 5 (10 with a quota increase) event
/// patterns, ORed; a record is kept when any pattern matches it. Patterns are a subset of
/// EventBridge's: nested objects (AND of their keys), leaf arrays (OR of their conditions),
/// `$or`, exact strings / numbers / `true` / `false` / `null`, `equals-ignore-case`, `prefix`,
/// `suffix`, `anything-but`, `numeric` and `exists`.
///
/// A pattern is parsed once into a compact program; `matches()` then reads each named field of a
/// record in one validating pass, without a JSON library, a DOM, or any heap allocation.
///
/// \code
///   esm::filter_criteria criteria{R"({"body":{"type":["order"],"price":[{"numeric":[">",100]}]}})"};
///   const esm::filter::field fields[] = {
///       {"messageId", esm::filter::field_kind::string, "059f36b4-87a3-44ab-83d2-661975830a7d"},
///       {"body", esm::filter::field_kind::text_or_json, R"({"type":"order","price":120})"},
///   };
///   bool keep = criteria.matches(fields); // true
///   // Malformed patterns throw esm::config_error, e.g.
///   //   filter 1: numeric operator expects a number after '>' at body.price
/// \endcode
///
/// Semantics decided where AWS documents nothing (details in docs/fidelity.md):
/// - numbers in exact conditions compare by literal text (`300` ≠ `300.0` ≠ `3.0e2`); `numeric`
///   and numeric `anything-but` compare by value (as doubles; literals beyond the double range
///   are ±infinity or ±0);
/// - arrays in a record: a leaf matches when any scalar of the array (nested arrays flattened)
///   matches; a sub-pattern matches an array of objects when one element matches it as a whole
///   (EventBridge's current "same element" behaviour);
/// - a missing intermediate object, or a non-object value where a sub-pattern expects an object,
///   behaves like an empty object (so `exists:false` below it holds), except for `text_or_json`
///   fields, where a JSON pattern never matches a text body and a text pattern never matches a
///   JSON body (spec §5 "Format rules");
/// - `exists:true` matches any scalar, `null` included, but not an object; `exists:false` matches
///   when no scalar is there (absent, an object, an empty array);
/// - `anything-but` needs a scalar value: strings in its list exclude equal strings only (numbers,
///   booleans and null pass), numbers exclude numerically equal numbers only;
/// - duplicate keys in a pattern: the last one counts; duplicate keys in a record: every
///   occurrence is a value of the key (as with an array);
/// - `equals-ignore-case` folds ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic;
///   other characters compare exactly;
/// - `{}` (a pattern naming no field) is rejected, as EventBridge rejects it.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/detail/json_text.hpp>
#include <esm/filter/detail/json.hpp>
#include <esm/filter/detail/matcher.hpp>
#include <esm/filter/detail/program.hpp>

namespace esm::filter {

/// How a top-level field of a record is presented to the matcher.
enum class field_kind : std::uint8_t {
  string,       ///< text is the raw string value (unescaped bytes, not JSON)
  number,       ///< text is a JSON number literal, e.g. "1545084650.987"
  json,         ///< text is a JSON document: the field's value (object, array, string, number, ...)
  text_or_json, ///< SQS body / Kinesis data: a valid JSON object or array is that JSON value;
                ///< anything else (incl. invalid JSON, or a bare JSON scalar like `123` or `"x"`)
                ///< is a plain string value
};

/// One top-level field of a record as filtering sees it (`body`, `messageId`, `data`,
/// `dynamodb`, `eventName` ...). The views must stay valid during the `matches()` call only.
struct field {
  std::string_view name; ///< the field's name, e.g. `body`
  field_kind kind;       ///< how `text` is to be read
  std::string_view text; ///< the field's value, as `kind` says
};

/// How the patterns of a criteria use one top-level key.
enum class key_use : std::uint8_t {
  none = 0,   ///< not named
  leaf = 1,   ///< `"k":[...]` conditions
  object = 2, ///< `"k":{...}` nested pattern
  both = 3,   ///< both forms (in different patterns or `$or` branches)
};

/// A malformed filter pattern or `FilterCriteria` document: an `esm::config_error` whose
/// `what()` is `<subject>: <detail>`, e.g. `filter 2: numeric operator expects a number after '>'
/// at body.price` or `filter 1: invalid JSON at offset 17: expected ':'`. `parameter()` is the
/// subject (`filter 2`, `FilterCriteria`), `given()` the detail. (Caught by value as a
/// `config_error`, the sliced copy's message reads `filter 2 must be a valid event pattern, got ...`.)
class pattern_error : public config_error {
public:
  /// \param subject `filter N` (1-based) or `FilterCriteria`
  /// \param detail  what is wrong, and where
  pattern_error(const std::string& subject, const std::string& detail)
      : config_error(subject, "a valid event pattern", detail), message_(subject + ": " + detail) {}

  /// `<subject>: <detail>`.
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

private:
  std::string message_;
};

} // namespace esm::filter

namespace esm {

/// `FilterCriteria`: up to `max_filters` patterns, ORed (a record is kept when any pattern
/// matches). Copyable and movable; copies are independent.
///
/// Thread safety: `matches()` uses scratch buffers held in the object (`mutable`), so one object
/// must not be used by two threads at once; give each thread its own copy.
class filter_criteria {
public:
  static constexpr int default_max_filters = 5;          ///< AWS's default quota of filters per mapping
  static constexpr int max_max_filters = 10;             ///< the most a quota increase allows
  static constexpr std::size_t max_pattern_chars = 4096; ///< longest `Pattern` (characters)

  /// No filters: every record is kept.
  filter_criteria() = default;

  /// Compiles `patterns` (each a JSON pattern text). Throws `config_error` when `max_filters` is
  /// outside [1, 10], when there are more than `max_filters` patterns, when a pattern is longer
  /// than 4,096 characters, or (`filter::pattern_error`) when one is malformed.
  filter_criteria(std::initializer_list<std::string_view> patterns, int max_filters = default_max_filters)
      : max_filters_(max_filters) {
    std::vector<std::string> texts;
    texts.reserve(patterns.size());
    for (const std::string_view p : patterns) texts.emplace_back(p);
    build(std::move(texts));
  }

  /// As the initializer-list form.
  explicit filter_criteria(std::span<const std::string> patterns, int max_filters = default_max_filters)
      : max_filters_(max_filters) {
    build(std::vector<std::string>(patterns.begin(), patterns.end()));
  }

  /// Parses AWS's `FilterCriteria` JSON, `{"Filters":[{"Pattern":"<JSON string>"}]}`. `{}`,
  /// `{"Filters":[]}` and `{"Filters":null}` mean no filters. Throws as the constructors do, and
  /// `filter::pattern_error` (subject `FilterCriteria`) when the document is not of that shape.
  [[nodiscard]] static filter_criteria from_json(std::string_view filter_criteria_json,
                                                 int max_filters = default_max_filters) {
    using filter::detail::json_value;
    json_value doc;
    filter::detail::json_error error;
    if (!filter::detail::parse_json(filter_criteria_json, doc, error)) {
      throw filter::pattern_error("FilterCriteria",
                                  "invalid JSON at offset " + std::to_string(error.offset) + ": " + error.message);
    }
    if (!doc.is_object()) throw filter::pattern_error("FilterCriteria", "must be a JSON object");
    std::vector<std::string> texts;
    for (const auto& m : doc.members) {
      if (m.key != "Filters") throw filter::pattern_error("FilterCriteria", "unknown key '" + m.key + "'");
      texts.clear();
      if (m.value.kind == json_value::type::null) continue;
      if (!m.value.is_array()) throw filter::pattern_error("FilterCriteria", "Filters must be an array");
      for (std::size_t i = 0; i < m.value.elements.size(); ++i) {
        const json_value& f = m.value.elements[i];
        const std::string where = "Filters[" + std::to_string(i) + "]";
        if (!f.is_object()) throw filter::pattern_error("FilterCriteria", where + " must be an object");
        const json_value* pattern = nullptr;
        for (const auto& fm : f.members) {
          if (fm.key != "Pattern")
            throw filter::pattern_error("FilterCriteria", "unknown key '" + fm.key + "' in " + where);
          pattern = &fm.value;
        }
        if (pattern == nullptr) throw filter::pattern_error("FilterCriteria", where + " has no Pattern");
        if (!pattern->is_string()) {
          throw filter::pattern_error("FilterCriteria", where + ".Pattern must be a string holding a JSON pattern");
        }
        texts.push_back(pattern->text);
      }
    }
    filter_criteria c;
    c.max_filters_ = max_filters;
    c.build(std::move(texts));
    return c;
  }

  /// AWS's `FilterCriteria` JSON for these patterns, what `from_json` reads:
  /// `{"Filters":[{"Pattern":"{\"body\":{\"a\":[1]}}"}]}`, or `{}` when there are none.
  [[nodiscard]] std::string to_json() const {
    if (patterns_.empty()) return "{}";
    std::string out = R"({"Filters":[)";
    for (std::size_t i = 0; i < patterns_.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += R"({"Pattern":)";
      esm::detail::append_json_string(out, patterns_[i]);
      out.push_back('}');
    }
    out += "]}";
    return out;
  }

  /// True when there are no filters (every record is kept).
  [[nodiscard]] bool empty() const noexcept { return patterns_.empty(); }
  /// The number of patterns.
  [[nodiscard]] std::size_t size() const noexcept { return patterns_.size(); }
  /// The i-th pattern's text as given (throws `std::out_of_range` past `size()`).
  [[nodiscard]] const std::string& pattern(std::size_t i) const { return patterns_.at(i); }
  /// The filter quota this criteria was checked against.
  [[nodiscard]] int max_filters() const noexcept { return max_filters_; }

  /// True when at least one pattern matches the record made of `fields` (true for an empty
  /// criteria). Fields absent from the span are absent from the record. Never throws, never
  /// allocates; not for concurrent use on one object (see the class comment).
  [[nodiscard]] bool matches(std::span<const filter::field> fields) const noexcept {
    if (program_.roots.empty()) return true;
    filter::detail::matcher m{program_, state_.data(), saved_.data(), head_.data(), tail_.data(), head_.size()};
    m.begin();
    for (const filter::field& f : fields) m.field(f.name, static_cast<filter::detail::field_format>(f.kind), f.text);
    return m.result();
  }

  /// How the patterns use top-level key `key` (including keys inside a top-level `$or`).
  [[nodiscard]] filter::key_use use_of(std::string_view key) const noexcept {
    if (program_.frames.empty()) return filter::key_use::none;
    const filter::detail::key_entry* e = program_.find(0, key);
    if (e == nullptr) return filter::key_use::none;
    const unsigned use = (e->leaf_slots.empty() ? 0U : 1U) | (e->object_slots.empty() ? 0U : 2U);
    return static_cast<filter::key_use>(use);
  }

  /// Every distinct top-level key the patterns name (including inside top-level `$or`), in
  /// first-seen order.
  [[nodiscard]] const std::vector<std::string>& top_level_keys() const noexcept { return top_level_keys_; }

private:
  static_assert(static_cast<int>(filter::field_kind::string) ==
                    static_cast<int>(filter::detail::field_format::string) &&
                static_cast<int>(filter::field_kind::number) ==
                    static_cast<int>(filter::detail::field_format::number) &&
                static_cast<int>(filter::field_kind::json) == static_cast<int>(filter::detail::field_format::json) &&
                static_cast<int>(filter::field_kind::text_or_json) ==
                    static_cast<int>(filter::detail::field_format::text_or_json));

  /// Characters (UTF-8 code points; stray bytes count one each) of a pattern text.
  static std::size_t characters(std::string_view s) noexcept {
    std::size_t n = 0;
    for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
    return n;
  }

  void build(std::vector<std::string> texts) {
    detail::check_range("max_filters", max_filters_, 1, max_max_filters);
    detail::check_range("filters", texts.size(), std::size_t{0}, static_cast<std::size_t>(max_filters_));
    filter::detail::program prog;
    filter::detail::compiler compiler{prog};
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const std::string subject = "filter " + std::to_string(i + 1);
      const std::size_t chars = characters(texts[i]);
      if (chars > max_pattern_chars) {
        throw config_error("pattern", "at most " + std::to_string(max_pattern_chars) + " characters",
                           std::to_string(chars) + " characters", subject);
      }
      filter::detail::json_value doc;
      filter::detail::json_error error;
      if (!filter::detail::parse_json(texts[i], doc, error)) {
        throw filter::pattern_error(subject,
                                    "invalid JSON at offset " + std::to_string(error.offset) + ": " + error.message);
      }
      try {
        compiler.add(doc);
      } catch (const filter::detail::pattern_fault& fault) {
        throw filter::pattern_error(subject, fault.message);
      }
    }
    std::vector<std::string> keys;
    if (!prog.frames.empty()) {
      for (const auto& e : prog.frames[0].keys) keys.push_back(e.key);
    }
    program_ = std::move(prog);
    patterns_ = std::move(texts);
    top_level_keys_ = std::move(keys);
    state_.assign(program_.slots.size(), 0);
    saved_.assign(program_.max_top_level_slots, 0);
    head_.assign(program_.longest_string, '\0');
    tail_.assign(program_.longest_string, '\0');
  }

  std::vector<std::string> patterns_;
  int max_filters_ = default_max_filters;
  filter::detail::program program_;
  std::vector<std::string> top_level_keys_;
  // Scratch for matches(): sized at construction, never grown while matching.
  mutable std::vector<std::uint8_t> state_;
  mutable std::vector<std::uint8_t> saved_;
  mutable std::vector<char> head_;
  mutable std::vector<char> tail_;
};

} // namespace esm
