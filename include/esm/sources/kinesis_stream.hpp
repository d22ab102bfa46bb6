#pragma once
/// \file esm/sources/kinesis_stream.hpp
/// A Kinesis data stream (spec §8, §2.8): shards with 128-bit hash-key ranges, MD5 routing of
/// partition keys (an explicit hash key overrides it), per-shard increasing sequence numbers,
/// approximate arrival timestamps, `split_shard` / `merge_shards` with lineage, retention, and
/// optional per-shard write limits. Usable without a poller: `iterator(shard, position)` reads a
/// shard in a test.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/random.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/sources/detail/basic_stream.hpp>
#include <esm/sources/event_size.hpp>
#include <esm/sources/hash_key.hpp>
#include <esm/sources/retention.hpp>
#include <esm/sources/shard.hpp>
#include <esm/sources/stream_record.hpp>

namespace esm {

/// Settings of a Kinesis stream.
struct kinesis_stream_config {
  /// `StreamName`: 1–128 characters of `a-z A-Z 0-9 _ . -`. Default `stream`.
  std::string name = "stream";
  /// Initial number of shards (`ShardCount`), their hash-key ranges split evenly.
  /// Range [1, 100000] (AWS's account quota, adjustable). Default 1.
  int shard_count = 1;
  /// Retention (`RetentionPeriodHours`): `retention::period(d)` with d in [24h, 8760h], or
  /// `retention::until_consumed()`. Default 24 h.
  esm::retention retention = esm::retention::period(std::chrono::hours{24});
  /// Model the per-shard write limits (1 MiB/s and 1,000 records/s): a put beyond them throws
  /// `throughput_exceeded`. Default off.
  bool write_limits = false;
};

/// What `put` returns (`PutRecord` response).
struct put_record_result {
  std::string_view shard_id; ///< `ShardId` of the receiving shard
  std::uint32_t shard_ordinal; ///< the shard's index in the stream
  std::uint64_t sequence;    ///< the record's sequence (render with `kinesis_sequence_number`)
};

/// Counters of a stream.
struct stream_metrics {
  std::uint64_t records_put = 0;         ///< records accepted
  std::uint64_t bytes_put = 0;           ///< payload bytes accepted
  std::uint64_t records_expired = 0;     ///< records removed by retention (AWS does not count them anywhere)
  std::uint64_t throughput_exceeded = 0; ///< puts refused by the write limits
};

/// A Kinesis data stream of records carrying `Payload`. Not thread-safe; not copyable. Shards,
/// listeners, readers and retention come from `detail::basic_stream` (shared with
/// `esm::dynamodb_stream`).
template <class Payload>
class kinesis_stream : public detail::basic_stream<kinesis_stream<Payload>, kinesis_record<Payload>> {
  using base = detail::basic_stream<kinesis_stream<Payload>, kinesis_record<Payload>>;
  friend base;

public:
  using payload_type = Payload;                ///< the data blob type
  using typename base::record_type;
  using typename base::shard_type;
  using base::shard;
  using base::shard_at;
  using base::trim;
  static constexpr source_kind kind = source_kind::kinesis; ///< for policy range checks

  /// Largest data blob: 1 MiB.
  static constexpr std::size_t max_record_bytes = 1'048'576;
  /// Longest partition key: 256 characters.
  static constexpr std::size_t max_partition_key = 256;

  /// A stream on `sim`. Throws `config_error` for a setting outside AWS's range.
  kinesis_stream(simulation& sim, kinesis_stream_config cfg) : base(sim), cfg_(std::move(cfg)) {
    validate();
    const auto n = static_cast<std::uint32_t>(cfg_.shard_count);
    const hash_key step = div_small(hash_key::max(), n);
    for (std::uint32_t i = 0; i < n; ++i) {
      const hash_key start = mul_small(step, i);
      const hash_key end = i + 1 == n ? hash_key::max() : mul_small(step, i + 1).prev();
      add_shard({start, end}, {});
    }
  }

  /// The settings.
  [[nodiscard]] const kinesis_stream_config& config() const noexcept { return cfg_; }
  /// `StreamName`.
  [[nodiscard]] const std::string& name() const noexcept { return cfg_.name; }
  /// Counters.
  [[nodiscard]] const stream_metrics& metrics() const noexcept { return metrics_; }

  /// Ordinals of the open shards, in hash-key order.
  [[nodiscard]] std::vector<std::uint32_t> open_shards() const {
    std::vector<std::uint32_t> out;
    for (const auto& r : routing_) out.push_back(r.ordinal);
    return out;
  }

  /// Puts a record (`PutRecord`): routes the partition key through MD5 (or `explicit_hash_key`,
  /// a decimal 128-bit integer) to the open shard whose range holds it, stamps it with the next
  /// sequence number and the current time. Throws `input_error` for an empty or > 256-character
  /// partition key, data over 1 MiB or a malformed explicit hash key, and `throughput_exceeded`
  /// past the write limits when they are modelled.
  put_record_result put(std::string partition_key, Payload data, std::optional<std::string_view> explicit_hash_key = {}) {
    if (partition_key.empty() || partition_key.size() > max_partition_key) {
      throw input_error("kinesis_stream '" + cfg_.name + "': partition key must be 1-256 characters, got " +
                        std::to_string(partition_key.size()));
    }
    const std::size_t bytes = payload_traits<Payload>::size(data);
    if (bytes > max_record_bytes) {
      throw input_error("kinesis_stream '" + cfg_.name + "': record data must be at most 1048576 bytes (1 MiB), got " +
                        std::to_string(bytes));
    }
    std::uint32_t ordinal = 0;
    if (explicit_hash_key) {
      const auto parsed = hash_key::parse(*explicit_hash_key);
      if (!parsed) {
        throw input_error("kinesis_stream '" + cfg_.name +
                          "': explicit hash key must be a decimal integer in [0, 2^128 - 1], got '" +
                          std::string{*explicit_hash_key} + "'");
      }
      ordinal = route(*parsed);
    } else if (routing_.size() == 1) {
      ordinal = routing_.front().ordinal; // one open shard: every key routes to it, no hash needed
    } else {
      ordinal = route_key(partition_key);
    }
    shard_type& s = shard_at(ordinal);
    if (cfg_.write_limits) charge_write(ordinal, bytes);
    if (!cfg_.retention.is_until_consumed()) { // until_consumed trims on checkpoints
      trim(s);
      this->sweep_retention();
    }
    const time_point now = this->sim().now();
    const std::uint64_t seq = this->next_sequence();
    s.emplace(seq, now, std::move(partition_key), std::move(data));
    ++metrics_.records_put;
    metrics_.bytes_put += bytes;
    this->notify_records(ordinal);
    return {s.id(), ordinal, seq};
  }

  /// Splits an open shard (`SplitShard`) at `new_starting_hash_key`, which must lie in
  /// (starting, ending] of its range: two children take the two halves, the parent closes and
  /// stays readable until its records expire. Returns the children's ordinals.
  std::pair<std::uint32_t, std::uint32_t> split_shard(std::string_view shard_id, hash_key new_starting_hash_key) {
    const std::uint32_t parent = this->ordinal_of(shard_id);
    shard_type& p = shard_at(parent);
    if (p.closed()) throw input_error("split_shard: shard " + p.id() + " is closed");
    const auto range = p.range();
    if (!(range.starting < new_starting_hash_key && new_starting_hash_key <= range.ending)) {
      throw input_error("split_shard: new starting hash key " + new_starting_hash_key.to_string() +
                        " must be in (" + range.starting.to_string() + ", " + range.ending.to_string() + "] for " +
                        p.id());
    }
    const auto a = add_shard({range.starting, new_starting_hash_key.prev()}, {parent});
    const auto b = add_shard({new_starting_hash_key, range.ending}, {parent});
    close(parent, {a, b});
    return {a, b};
  }

  /// Splits an open shard in the middle of its range.
  std::pair<std::uint32_t, std::uint32_t> split_shard(std::string_view shard_id) {
    const auto range = shard(shard_id).range();
    return split_shard(shard_id, hash_key::midpoint(range.starting, range.ending).next());
  }

  /// Merges two open shards with adjacent ranges (`MergeShards`): one child takes the union,
  /// both parents close and stay readable until their records expire. Returns the child's ordinal.
  std::uint32_t merge_shards(std::string_view shard_id, std::string_view adjacent_shard_id) {
    const std::uint32_t a = this->ordinal_of(shard_id);
    const std::uint32_t b = this->ordinal_of(adjacent_shard_id);
    shard_type& sa = shard_at(a);
    shard_type& sb = shard_at(b);
    if (a == b || sa.closed() || sb.closed()) {
      throw input_error("merge_shards: " + sa.id() + " and " + sb.id() + " must be two different open shards");
    }
    const bool a_first = sa.range().ending.next() == sb.range().starting && sa.range().ending != hash_key::max();
    const bool b_first = sb.range().ending.next() == sa.range().starting && sb.range().ending != hash_key::max();
    if (!a_first && !b_first) {
      throw input_error("merge_shards: " + sa.id() + " and " + sb.id() + " do not have adjacent hash-key ranges");
    }
    const hash_key_range merged = a_first ? hash_key_range{sa.range().starting, sb.range().ending}
                                          : hash_key_range{sb.range().starting, sa.range().ending};
    const auto child = add_shard(merged, {a, b});
    close(a, {child});
    close(b, {child});
    return child;
  }

  /// Reads a shard without a poller (`GetShardIterator` + `GetRecords`; see `esm::shard_iterator`).
  using iterator = shard_iterator<kinesis_stream>;

  /// An iterator on a shard from a starting position. Throws `input_error` for an unknown shard.
  [[nodiscard]] iterator iterator_at(std::string_view shard_id, starting_position from) {
    shard_type& s = shard(shard_id);
    trim(s);
    return iterator{*this, s, s.start_of(from)};
  }

  /// `arn:aws:kinesis:us-east-1:123456789012:stream/<name>` (a fixed account and region).
  [[nodiscard]] std::string arn() const { return "arn:aws:kinesis:us-east-1:123456789012:stream/" + cfg_.name; }
  /// Renders a sequence as this source does (56 digits).
  [[nodiscard]] static std::string sequence_text(std::uint64_t seq) { return kinesis_sequence_number(seq); }
  /// Parses a sequence number of this source; nullopt when malformed.
  [[nodiscard]] static std::optional<std::uint64_t> parse_sequence(std::string_view text) noexcept {
    return parse_kinesis_sequence_number(text);
  }
  /// How often an idle shard is polled: once per second (spec §2.1).
  static constexpr duration poll_interval = std::chrono::seconds{1};
  /// Records one `GetRecords` call returns at most: 10,000 (spec §8).
  static constexpr std::size_t max_get_records = 10'000;
  /// Shortest time between two `GetRecords` calls on a shard, shared by all its readers: 5 calls
  /// per second (spec §8).
  static constexpr duration min_read_interval = std::chrono::milliseconds{200};
  /// Read throughput of a shard, shared by all its readers: 2 MB (2 MiB) per second (spec §8).
  static constexpr std::uint64_t max_read_bytes_per_second = 2'097'152;
  /// Bytes one `GetRecords` call returns at most: 10 MB (10 MiB) (spec §8).
  static constexpr std::size_t max_get_records_bytes = 10'485'760;

private:
  static constexpr std::string_view type_name = "kinesis_stream"; // for basic_stream's messages
  [[nodiscard]] const esm::retention& retention_setting() const noexcept { return cfg_.retention; }
  void on_expired(std::uint64_t records) noexcept { metrics_.records_expired += records; }

  struct route_entry {
    hash_key_range range;
    std::uint32_t ordinal;
  };
  struct route_cache_entry {
    static constexpr std::size_t max_key = 24;
    static constexpr std::uint8_t empty = 0xff;
    std::uint64_t words[3]{};    // the key, zero-padded
    std::uint32_t ordinal = 0;   // its open shard
    std::uint8_t length = empty; // key length, or empty
  };
  static constexpr std::size_t route_cache_max = std::size_t{1} << 20; // keys memoized at most
  struct write_bucket {
    std::int64_t second = -1;
    std::uint32_t records = 0;
    std::uint64_t bytes = 0;
  };

  void validate() const {
    const auto& n = cfg_.name;
    const bool ok = !n.empty() && n.size() <= 128 && std::all_of(n.begin(), n.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
             c == '-';
    });
    if (!ok) throw config_error("name", "1-128 characters of [a-zA-Z0-9_.-]", "'" + n + "'", "kinesis_stream");
    const std::string where = "kinesis_stream '" + n + "'";
    detail::check_range("shard_count", cfg_.shard_count, 1, 100'000, where);
    if (!cfg_.retention.is_until_consumed()) {
      detail::check_range<duration>("retention", cfg_.retention.period(), std::chrono::hours{24},
                                    std::chrono::hours{8760}, where);
    }
  }

  std::uint32_t add_shard(hash_key_range range, std::vector<std::uint32_t> parents) {
    const auto ordinal = base::add_shard(range, std::move(parents));
    writes_.emplace_back();
    // Keep the routing table of open shards sorted by range.
    const auto pos = std::lower_bound(routing_.begin(), routing_.end(), range.starting,
                                      [](const route_entry& e, const hash_key& k) { return e.range.starting < k; });
    routing_.insert(pos, route_entry{range, ordinal});
    route_cache_.clear(); // routes change with the shards
    route_cache_used_ = 0;
    return ordinal;
  }

  void close(std::uint32_t ordinal, std::vector<std::uint32_t> children) {
    std::erase_if(routing_, [ordinal](const route_entry& e) { return e.ordinal == ordinal; });
    this->close_shard(ordinal, std::move(children)); // tells the listeners, after routing changed
  }

  std::uint32_t route(hash_key key) const noexcept {
    // The last open shard whose range starts at or before key; the ranges cover the key space.
    auto it = std::upper_bound(routing_.begin(), routing_.end(), key,
                               [](const hash_key& k, const route_entry& e) { return k < e.range.starting; });
    return std::prev(it)->ordinal;
  }

  // The open shard of a partition key, memoized in an open-addressing table of the keys seen
  // (keys of up to 24 bytes, at most 1,048,576 of them; cleared on resharding): workloads reuse
  // keys, and MD5 (about 100 ns) would otherwise dominate a put. The table allocates only when a
  // new key makes it grow, never per record. A key is held as three zero-padded 64-bit words.
  std::uint32_t route_key(std::string_view key) {
    if (key.size() > route_cache_entry::max_key) return route(hash_key::of_partition_key(key));
    if (route_cache_.empty()) route_cache_.resize(1024);
    std::uint64_t w[3] = {0, 0, 0};
    load_words(key, w);
    const std::uint64_t mixed = (w[0] * 0x9e3779b97f4a7c15ULL) ^ (w[1] * 0xc2b2ae3d27d4eb4fULL) ^
                                (w[2] * 0x165667b19e3779f9ULL) ^ key.size();
    const std::uint64_t h = (mixed ^ (mixed >> 32)) * 0x9e3779b97f4a7c15ULL;
    const std::size_t mask = route_cache_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(h >> 40) & mask;; i = (i + 1) & mask) {
      route_cache_entry& e = route_cache_[i];
      if (e.length == route_cache_entry::empty) {
        const std::uint32_t ordinal = route(hash_key::of_partition_key(key));
        if (route_cache_used_ >= route_cache_max) return ordinal; // full: no memo
        e.length = static_cast<std::uint8_t>(key.size());
        std::copy(std::begin(w), std::end(w), e.words);
        e.ordinal = ordinal;
        if (++route_cache_used_ * 2 > route_cache_.size()) grow_route_cache();
        return ordinal;
      }
      if (e.length == key.size() && e.words[0] == w[0] && e.words[1] == w[1] && e.words[2] == w[2]) return e.ordinal;
    }
  }

  void grow_route_cache() {
    std::vector<route_cache_entry> old(route_cache_.size() * 2);
    old.swap(route_cache_);
    const std::size_t mask = route_cache_.size() - 1;
    for (const auto& e : old) {
      if (e.length == route_cache_entry::empty) continue;
      const std::uint64_t mixed = (e.words[0] * 0x9e3779b97f4a7c15ULL) ^ (e.words[1] * 0xc2b2ae3d27d4eb4fULL) ^
                                  (e.words[2] * 0x165667b19e3779f9ULL) ^ e.length;
      const std::uint64_t h = (mixed ^ (mixed >> 32)) * 0x9e3779b97f4a7c15ULL;
      std::size_t i = static_cast<std::size_t>(h >> 40) & mask;
      while (route_cache_[i].length != route_cache_entry::empty) i = (i + 1) & mask;
      route_cache_[i] = e;
    }
  }

  // The key's bytes into three zero-padded words, with fixed-size copies the compiler inlines.
  static void load_words(std::string_view key, std::uint64_t (&w)[3]) noexcept {
    const char* p = key.data();
    std::size_t n = key.size();
    std::size_t i = 0;
    for (; n >= 8; ++i, p += 8, n -= 8) std::memcpy(&w[i], p, 8);
    if (n > 0) { // assembled in a register: byte stores then a word load would stall
      std::uint64_t tail = 0;
      for (std::size_t b = 0; b < n; ++b) tail |= std::uint64_t{static_cast<unsigned char>(p[b])} << (8 * b);
      w[i] = tail;
    }
  }

  void charge_write(std::uint32_t ordinal, std::size_t bytes) {
    auto& b = writes_[ordinal];
    const std::int64_t second =
        std::chrono::duration_cast<std::chrono::seconds>(this->sim().now().time_since_epoch()).count();
    if (b.second != second) b = write_bucket{second, 0, 0};
    if (b.records + 1 > 1000 || b.bytes + bytes > 1'048'576) {
      ++metrics_.throughput_exceeded;
      throw throughput_exceeded("ProvisionedThroughputExceededException: shard " + shard_at(ordinal).id() + " of '" +
                                cfg_.name + "' already took " + std::to_string(b.records) + " records and " +
                                std::to_string(b.bytes) + " bytes in the second starting at " +
                                esm::to_string(time_point{std::chrono::seconds{second}}) +
                                "; the limit is 1000 records/s and 1 MiB/s per shard");
    }
    ++b.records;
    b.bytes += bytes;
  }

  // 128-bit helpers on 32-bit limbs (no __int128 needed).
  static hash_key div_small(hash_key v, std::uint32_t d) noexcept {
    std::uint32_t limbs[4] = {static_cast<std::uint32_t>(v.hi >> 32), static_cast<std::uint32_t>(v.hi),
                              static_cast<std::uint32_t>(v.lo >> 32), static_cast<std::uint32_t>(v.lo)};
    std::uint64_t rem = 0;
    for (auto& limb : limbs) {
      const std::uint64_t cur = (rem << 32) | limb;
      limb = static_cast<std::uint32_t>(cur / d);
      rem = cur % d;
    }
    return {(std::uint64_t{limbs[0]} << 32) | limbs[1], (std::uint64_t{limbs[2]} << 32) | limbs[3]};
  }
  static hash_key mul_small(hash_key v, std::uint32_t m) noexcept {
    std::uint32_t limbs[4] = {static_cast<std::uint32_t>(v.hi >> 32), static_cast<std::uint32_t>(v.hi),
                              static_cast<std::uint32_t>(v.lo >> 32), static_cast<std::uint32_t>(v.lo)};
    std::uint64_t carry = 0;
    for (int i = 3; i >= 0; --i) {
      const std::uint64_t cur = std::uint64_t{limbs[i]} * m + carry;
      limbs[i] = static_cast<std::uint32_t>(cur);
      carry = cur >> 32;
    }
    return {(std::uint64_t{limbs[0]} << 32) | limbs[1], (std::uint64_t{limbs[2]} << 32) | limbs[3]};
  }

  kinesis_stream_config cfg_;
  std::vector<route_entry> routing_;
  std::vector<write_bucket> writes_;
  std::vector<route_cache_entry> route_cache_; // allocated on the first multi-shard put
  std::size_t route_cache_used_ = 0;
  stream_metrics metrics_;
};

/// The event JSON size of Kinesis records (spec §4.1), as `esm::aws::event_json` renders them
/// with default options: per record the partition key escaped, the data in base64 (of its
/// `payload_traits` bytes: exact for byte payloads), the arrival time's digits, the shard id and
/// the 56-digit sequence number twice, and the stream's fields (role, region, ARN).
template <class Payload>
struct event_size<kinesis_stream<Payload>> {
  static constexpr std::size_t envelope = event_envelope_bytes; ///< `{"Records":[` and `]}`
  static constexpr std::size_t separator = 1;                   ///< `,`

  /// Takes the stream's ARN, region and wall epoch.
  explicit event_size(const kinesis_stream<Payload>& stream) : epoch_(stream.sim().epoch()) {
    const auto src = detail::event_source_size::of(stream.arn());
    using detail::lit;
    fixed_ = lit(R"({"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":)") + lit(R"(,"sequenceNumber":")") + 56 +
             lit(R"(","data":")") + lit(R"(","approximateArrivalTimestamp":)") +
             lit(R"(},"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":")") + 1 + 56 + 1 +
             lit(R"(,"eventName":"aws:kinesis:record","invokeIdentityArn":)") +
             detail::json_string_length(default_invoke_identity_arn) + lit(R"(,"awsRegion":)") + src.region +
             lit(R"(,"eventSourceARN":)") + src.arn + 1;
  }
  /// Bytes of `r` read from the shard `shard_id`.
  [[nodiscard]] std::size_t record(const kinesis_record<Payload>& r, std::string_view shard_id) const noexcept {
    return fixed_ + shard_id.size() + detail::json_string_length(r.partition_key) +
           detail::base64_encoded_size(payload_traits<Payload>::size(r.data)) + arrival_digits(r.arrival) + 4;
  }

private:
  // Digits of the whole Unix seconds of `t` as `approximateArrivalTimestamp` writes them. From
  // 2001-09-09T01:46:40Z (10^9 s) to the last wall time (2262) they are 10: one comparison.
  [[nodiscard]] std::size_t arrival_digits(time_point t) const noexcept {
    if (t.time_since_epoch().count() >= ten_digits_from_) return 10;
    const std::int64_t ms = epoch_.unix_millis(t);
    return detail::int_digits(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
  }
  // The virtual time (ns) of Unix 10^18 ns for `epoch`, or the largest count when it is later.
  static constexpr std::int64_t ten_digits_start(const wall_epoch& epoch) noexcept {
    constexpr std::int64_t from = 1'000'000'000'000'000'000; // 10^9 s in ns
    const std::int64_t start = epoch.start.time_since_epoch().count();
    return start < from - std::numeric_limits<std::int64_t>::max() ? std::numeric_limits<std::int64_t>::max()
                                                                   : from - start;
  }

  wall_epoch epoch_;
  std::int64_t ten_digits_from_ = ten_digits_start(epoch_);
  std::size_t fixed_ = 0;
};

} // namespace esm
