#pragma once
// Helpers of the tests of esm/aws/: comparing rendered JSON with AWS's samples field by field
// (names, order, nesting, value types, values), and building batches by hand.
#include <esm/detail/ring.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace esm_test {

using ojson = nlohmann::ordered_json;

/// The JSON type of a value as AWS's samples distinguish them (the three number kinds of
/// nlohmann collapse to "integer" and "float").
inline std::string json_kind(const ojson& v) {
  switch (v.type()) {
  case ojson::value_t::null: return "null";
  case ojson::value_t::boolean: return "boolean";
  case ojson::value_t::string: return "string";
  case ojson::value_t::number_integer:
  case ojson::value_t::number_unsigned: return "integer";
  case ojson::value_t::number_float: return "float";
  case ojson::value_t::array: return "array";
  case ojson::value_t::object: return "object";
  default: return "other";
  }
}

/// What differs between a sample and a rendering.
struct golden {
  /// Paths (`Records[0].kinesis.sequenceNumber`) whose values our model cannot reproduce, with
  /// why: only their type is compared.
  std::map<std::string, std::string> shape_only{};
  /// Paths our rendering may have that the sample lacks, with why.
  std::map<std::string, std::string> extra_allowed{};

  /// Every difference between `expected` and `actual`: missing or extra keys, keys in another
  /// order, other types, other values. Empty when they match.
  std::vector<std::string> diff(const ojson& expected, const ojson& actual) const {
    std::vector<std::string> out;
    compare(expected, actual, "", out);
    return out;
  }

private:
  void compare(const ojson& e, const ojson& a, const std::string& path, std::vector<std::string>& out) const {
    const std::string where = path.empty() ? "<root>" : path;
    if (json_kind(e) != json_kind(a)) {
      out.push_back(where + ": type " + json_kind(a) + ", expected " + json_kind(e));
      return;
    }
    if (e.is_object()) {
      std::vector<std::string> ek, ak;
      for (const auto& [k, v] : e.items()) ek.push_back(k);
      for (const auto& [k, v] : a.items()) {
        const std::string p = path.empty() ? k : path + "." + k;
        if (!e.contains(k)) {
          if (!extra_allowed.count(p)) out.push_back(p + ": not in the sample");
          continue;
        }
        ak.push_back(k);
      }
      for (const auto& k : ek) {
        const std::string p = path.empty() ? k : path + "." + k;
        if (!a.contains(k)) out.push_back(p + ": missing");
      }
      // Same relative order for the keys both have.
      std::vector<std::string> common;
      for (const auto& k : ek)
        if (a.contains(k)) common.push_back(k);
      if (common != ak) out.push_back(where + ": keys in another order");
      for (const auto& k : common) compare(e[k], a[k], path.empty() ? k : path + "." + k, out);
      return;
    }
    if (e.is_array()) {
      if (e.size() != a.size()) {
        out.push_back(where + ": " + std::to_string(a.size()) + " elements, expected " + std::to_string(e.size()));
        return;
      }
      for (std::size_t i = 0; i < e.size(); ++i) compare(e[i], a[i], path + "[" + std::to_string(i) + "]", out);
      return;
    }
    if (shape_only.count(path)) return;
    if (e != a) out.push_back(where + ": " + a.dump() + ", expected " + e.dump());
  }
};

/// A batch of the first `n` records of a shard (from its first retained record), as a poller
/// would hand it: the positions must outlive the batch.
template <class Stream>
auto shard_batch(Stream& s, std::uint32_t ordinal, esm::detail::ring<std::uint64_t>& positions, std::size_t n) {
  const auto& sh = s.shard_at(ordinal);
  positions.clear();
  for (std::size_t i = 0; i < n; ++i) positions.push_back(sh.begin_position() + i);
  return esm::stream_batch<typename Stream::record_type>{sh, positions, n, s.name()};
}

/// True when `text` is `n` decimal digits.
inline bool digits(const std::string& text, std::size_t n) {
  if (text.size() != n) return false;
  for (const char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

/// True when `text` is 32 lowercase hex digits.
inline bool hex32(const std::string& text) {
  if (text.size() != 32) return false;
  for (const char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

} // namespace esm_test
