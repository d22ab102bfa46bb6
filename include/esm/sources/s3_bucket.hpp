#pragma once
/// \file esm/sources/s3_bucket.hpp
/// An in-model Amazon S3 bucket (spec §2.6): objects by key with their size and last-modified
/// time in virtual time; `put`, `get`, `erase` and `list` by prefix in key order, as
/// `ListObjectsV2` returns them. A stream mapping sends its on-failure records to a bucket with
/// `esm::on_failure_bucket` (`esm/pollers/destination.hpp`).
/// ```cpp
/// esm::s3_bucket failures{sim, "failures"};
/// failures.put("a/b.json", R"({"k":1})");
/// for (const auto& o : failures.list("a/")) std::cout << o.key << ' ' << o.size << '\n';
/// ```
/// Not thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/random.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/core/trace.hpp>
#include <esm/detail/uuid.hpp>

namespace esm {

/// One stored object.
struct s3_object {
  std::string body;         ///< the object's bytes
  time_point last_modified; ///< `LastModified`: when it was last put
};

/// An entry of `s3_bucket::list`: what `ListObjectsV2` reports of an object.
struct s3_object_summary {
  std::string_view key;     ///< `Key` (a view into the bucket: valid until the object is erased)
  std::size_t size = 0;     ///< `Size`, bytes
  time_point last_modified; ///< `LastModified`
};

/// An S3 bucket.
class s3_bucket {
public:
  /// Longest key, bytes (S3's 1,024 bytes of UTF-8).
  static constexpr std::size_t max_key_bytes = 1024;

  /// A bucket named `name`: 3–63 characters of lowercase letters, digits, `.` and `-`, starting
  /// and ending with a letter or digit. Throws `config_error` otherwise.
  s3_bucket(simulation& sim, std::string name) : sim_(sim), name_(std::move(name)) {
    bool ok = name_.size() >= 3 && name_.size() <= 63 && alnum(name_.front()) && alnum(name_.back());
    for (const char c : name_) ok = ok && (alnum(c) || c == '.' || c == '-');
    if (!ok) {
      throw config_error("name", "3-63 characters of [a-z0-9.-], starting and ending with a letter or digit",
                         "'" + name_ + "'", "s3 bucket");
    }
    arn_ = "arn:aws:s3:::" + name_;
    component_ = "s3/" + name_;
    salt_ = sim_.rng(component_)();
  }
  s3_bucket(const s3_bucket&) = delete;
  s3_bucket& operator=(const s3_bucket&) = delete;

  /// The simulation.
  [[nodiscard]] simulation& sim() const noexcept { return sim_; }
  /// The bucket's name.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// `arn:aws:s3:::<name>` (bucket ARNs have no region or account).
  [[nodiscard]] const std::string& arn() const noexcept { return arn_; }
  /// Objects stored.
  [[nodiscard]] std::size_t size() const noexcept { return objects_.size(); }
  /// True when the bucket holds no object.
  [[nodiscard]] bool empty() const noexcept { return objects_.empty(); }
  /// `PutObject` calls made (each `put`, also one that replaced an object).
  [[nodiscard]] std::uint64_t puts() const noexcept { return puts_; }

  /// `PutObject`: stores `body` under `key` now, replacing any object there. Throws
  /// `input_error` for an empty key or one over 1,024 bytes.
  void put(std::string_view key, std::string body) {
    if (key.empty() || key.size() > max_key_bytes) {
      throw input_error("put: a key must be 1-1024 bytes, got " + std::to_string(key.size()) + " for s3 bucket '" +
                        name_ + "'");
    }
    const std::size_t bytes = body.size();
    const auto placed = objects_.try_emplace(std::string{key});
    const auto it = placed.first;
    const bool replaced = !placed.second;
    it->second = s3_object{std::move(body), sim_.now()};
    ++puts_;
    sim_.trace().emit(sim_.now(), component_, "put", [&] {
      return std::array{trace_field{"key", std::string_view{it->first}}, trace_field{"size", bytes},
                        trace_field{"replaced", replaced}};
    });
  }

  /// `GetObject`: the object under `key`, or null when there is none. Valid until it is
  /// replaced or erased.
  [[nodiscard]] const s3_object* get(std::string_view key) const {
    const auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : &it->second;
  }

  /// `DeleteObject`: removes the object under `key`; false when there was none.
  bool erase(std::string_view key) {
    const auto it = objects_.find(key);
    if (it == objects_.end()) return false;
    objects_.erase(it);
    return true;
  }

  /// `ListObjectsV2` with `Prefix`: every object whose key starts with `prefix`, in ascending
  /// byte order of the keys (S3's order), all pages at once.
  [[nodiscard]] std::vector<s3_object_summary> list(std::string_view prefix = {}) const {
    std::vector<s3_object_summary> out;
    for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix); ++it) {
      out.push_back({it->first, it->second.body.size(), it->second.last_modified});
    }
    return out;
  }

  /// A fresh UUID-v4-shaped id drawn from the bucket's seeded stream (the same sequence for a
  /// seed): the `<random UUID>` that makes on-failure object keys unique.
  [[nodiscard]] std::string unique_id() {
    std::array<char, 36> u{};
    detail::format_message_id(salt_, ++ids_, u);
    return std::string{u.data(), u.size()};
  }

private:
  static constexpr bool alnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

  simulation& sim_;
  std::string name_;
  std::string arn_;
  std::string component_;
  std::uint64_t puts_ = 0;
  std::uint64_t salt_ = 0;
  std::uint64_t ids_ = 0;
  std::map<std::string, s3_object, std::less<>> objects_;
};

} // namespace esm
