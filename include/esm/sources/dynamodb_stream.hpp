#pragma once
/// \file esm/sources/dynamodb_stream.hpp
/// A DynamoDB stream (spec §8, §2.1, §2.8): item-level change records (INSERT / MODIFY / REMOVE)
/// with keys and the images the stream view type keeps, one open shard per partition, an item
/// key always routed to its partition's open shard, per-shard increasing sequence numbers,
/// shards that roll over to a child about every 4 hours [ambiguous], and a fixed 24-hour
/// retention. `esm::stream_poller` reads it as it reads a Kinesis stream, polling each shard 4
/// times per second. Usable without a poller: `iterator_at(shard, position)` reads a shard.
///
/// ```cpp
/// esm::dynamodb_stream<std::string> orders{sim, {.name = "orders", .partitions = 2}};
/// orders.insert({"order-1"}, "new");
/// orders.modify({"order-1"}, "new", "paid");
/// orders.remove({"order-1"}, "paid");
/// ```

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
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
#include <esm/detail/md5.hpp>
#include <esm/sources/detail/basic_stream.hpp>
#include <esm/sources/event_size.hpp>
#include <esm/sources/hash_key.hpp>
#include <esm/sources/retention.hpp>
#include <esm/sources/shard.hpp>
#include <esm/sources/stream_record.hpp>

namespace esm {

/// What kind of item-level change a record describes (`eventName`).
enum class dynamodb_event : std::uint8_t {
  insert, ///< `INSERT`: a new item was added
  modify, ///< `MODIFY`: an existing item was updated
  remove, ///< `REMOVE`: an item was deleted
};

/// `INSERT`, `MODIFY` or `REMOVE`.
[[nodiscard]] constexpr const char* to_string(dynamodb_event e) noexcept {
  switch (e) {
  case dynamodb_event::insert: return "INSERT";
  case dynamodb_event::modify: return "MODIFY";
  case dynamodb_event::remove: return "REMOVE";
  }
  return "UNKNOWN";
}

/// Which item images the stream writes (`StreamSpecification.StreamViewType`).
enum class stream_view_type : std::uint8_t {
  keys_only,          ///< `KEYS_ONLY`: only the key attributes
  new_image,          ///< `NEW_IMAGE`: the item as it is after the change
  old_image,          ///< `OLD_IMAGE`: the item as it was before the change
  new_and_old_images, ///< `NEW_AND_OLD_IMAGES`: both
};

/// `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`.
[[nodiscard]] constexpr const char* to_string(stream_view_type v) noexcept {
  switch (v) {
  case stream_view_type::keys_only: return "KEYS_ONLY";
  case stream_view_type::new_image: return "NEW_IMAGE";
  case stream_view_type::old_image: return "OLD_IMAGE";
  case stream_view_type::new_and_old_images: return "NEW_AND_OLD_IMAGES";
  }
  return "UNKNOWN";
}

/// An item's primary key (`Keys`): the partition (hash) key and, for a table with a composite
/// key, the sort (range) key. Values are the keys' bytes (a number key as its decimal text).
struct dynamodb_key {
  std::string partition_key;              ///< 1–2,048 bytes
  std::optional<std::string> sort_key = std::nullopt; ///< absent for a simple key; else 1–1,024 bytes

  /// Two keys are equal when both parts are.
  friend bool operator==(const dynamodb_key&, const dynamodb_key&) = default;
};

/// The type of a key attribute (`AttributeDefinitions[].AttributeType`): how `Keys` renders the
/// key's value in AWS's AttributeValue encoding.
enum class key_attribute_type : std::uint8_t {
  string, ///< `S`
  number, ///< `N` (the key's value is its decimal text)
  binary, ///< `B` (the key's value is its bytes; AWS events carry them base64-encoded)
};

/// `S`, `N` or `B`.
[[nodiscard]] constexpr const char* to_string(key_attribute_type t) noexcept {
  switch (t) {
  case key_attribute_type::string: return "S";
  case key_attribute_type::number: return "N";
  case key_attribute_type::binary: return "B";
  }
  return "S";
}

/// The table's `KeySchema`: the names and types of its key attributes. Records keep only the
/// key values (`dynamodb_key`); the schema names them in `Keys` when a record is rendered as AWS
/// JSON or matched by a filter on `dynamodb.Keys`.
struct dynamodb_key_schema {
  /// Name of the partition (HASH) key attribute: 1–255 bytes. Default `pk`.
  std::string partition_key = "pk";
  /// Its type. Default `S`.
  key_attribute_type partition_key_type = key_attribute_type::string;
  /// Name of the sort (RANGE) key attribute, used for records whose key has a sort key:
  /// 1–255 bytes. Default `sk`.
  std::string sort_key = "sk";
  /// Its type. Default `S`.
  key_attribute_type sort_key_type = key_attribute_type::string;
};

/// How an item image (`NewImage`, `OldImage`) renders as the JSON of a DynamoDB AttributeValue map
/// (`{"Id":{"N":"101"},"Message":{"S":"hi"}}`), for filters on `dynamodb` and for AWS-shaped
/// events. The primary template is undefined: specialize it for your `Item` with
/// `static void write(const Item&, std::string& out)` appending the map's JSON. esm provides it
/// for `esm::attribute_map_json` (text already in that form) and, in `<esm/aws/json.hpp>`, for
/// `nlohmann::json` holding an AttributeValue map.
template <class Item>
struct dynamodb_item_json;

/// True when `Item` renders as an AttributeValue map (`dynamodb_item_json<Item>` is specialized).
template <class Item>
concept dynamodb_json_item = requires(const Item& item, std::string& out) { dynamodb_item_json<Item>::write(item, out); };

/// An item image given as the JSON text of its AttributeValue map, e.g.
/// `esm::attribute_map_json{R"({"Id":{"N":"101"},"Status":{"S":"paid"}})"}`. The text is taken
/// as it is (not validated); its size counts as the item's size.
struct attribute_map_json {
  std::string json; ///< the AttributeValue map as JSON text

  /// Bytes the item counts for (`SizeBytes`, the 400 KB limit): the text's length.
  [[nodiscard]] std::size_t payload_bytes() const noexcept { return json.size(); }
  /// Equal when the texts are.
  friend bool operator==(const attribute_map_json&, const attribute_map_json&) = default;
};

/// `attribute_map_json` renders as its text.
template <>
struct dynamodb_item_json<attribute_map_json> {
  /// Appends the item's JSON.
  static void write(const attribute_map_json& item, std::string& out) { out += item.json; }
};

/// A DynamoDB stream record as the stream stores it and a handler receives it (`Records[i]`).
/// Per retained record, beyond the images: the key strings, the item key that orders it, and
/// fixed fields (sequence, creation time, size, event name, view type). Strings of up to 15
/// characters need no allocation of their own.
template <class Item>
struct dynamodb_record {
  std::uint64_t sequence = 0;              ///< unique in the stream, increasing per shard
  time_point arrival{};                    ///< `ApproximateCreationDateTime`: when the change was written
  dynamodb_event event_name = dynamodb_event::insert; ///< `eventName`
  stream_view_type view_type = stream_view_type::new_and_old_images; ///< `StreamViewType` of the stream
  dynamodb_key keys;                       ///< `Keys`
  std::optional<Item> new_image;           ///< `NewImage`: INSERT and MODIFY, with NEW_IMAGE or NEW_AND_OLD_IMAGES
  std::optional<Item> old_image;           ///< `OldImage`: MODIFY and REMOVE, with OLD_IMAGE or NEW_AND_OLD_IMAGES
  std::size_t size_bytes = 0;              ///< `SizeBytes`: the stored images (payload_traits) and key lengths
  /// The item's identity as one string, computed by the stream (see `dynamodb_item_key`); what
  /// `ordering_key()` returns.
  std::string item_key;

  /// `SequenceNumber` as this model renders it: 21 digits, `1` then the value on 20 digits.
  [[nodiscard]] std::string sequence_number() const;
  /// `eventID`: 32 lowercase hex characters, the MD5 of `sequence_number()` (deterministic; the
  /// same sequence gives the same id).
  [[nodiscard]] std::string event_id() const;
  /// The key that orders records for parallelization: the item (partition + sort key), since
  /// DynamoDB keeps order per item (spec §2.1).
  [[nodiscard]] std::string_view ordering_key() const noexcept { return item_key; }
  /// Bytes the record counts for in a batch (`SizeBytes`).
  [[nodiscard]] std::size_t bytes() const noexcept { return size_bytes; }
};

/// Renders a DynamoDB sequence number: `1` then the value zero-padded to 20 digits (21 digits
/// in all, the length of typical real ones such as `100000000005391461882`).
[[nodiscard]] inline std::string dynamodb_sequence_number(std::uint64_t sequence) {
  std::string out = "1";
  out.reserve(21);
  detail::append_zero_padded(out, sequence, 20);
  return out;
}

/// Parses exactly what `dynamodb_sequence_number` renders (21 digits starting with `1`, the
/// value fitting 64 bits); nullopt for anything else.
[[nodiscard]] inline std::optional<std::uint64_t> parse_dynamodb_sequence_number(std::string_view text) noexcept {
  if (text.size() != 21 || text.front() != '1') return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : text.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (~std::uint64_t{0} - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

/// The item key `dynamodb_record::ordering_key()` returns: the partition key's length in
/// decimal, `:`, the partition key, then the sort key if any (`5:user1`, `5:user1order-7`).
/// The length prefix makes it unambiguous for any bytes, and makes its hash independent of the
/// partition key's hash that picks the shard (so lanes are not correlated with partitions).
[[nodiscard]] inline std::string dynamodb_item_key(const dynamodb_key& key) {
  const std::string len = std::to_string(key.partition_key.size());
  std::string out;
  out.reserve(len.size() + 1 + key.partition_key.size() + (key.sort_key ? key.sort_key->size() : 0));
  out += len;
  out += ':';
  out += key.partition_key;
  if (key.sort_key) out += *key.sort_key;
  return out;
}

template <class Item>
std::string dynamodb_record<Item>::sequence_number() const {
  return dynamodb_sequence_number(sequence);
}

template <class Item>
std::string dynamodb_record<Item>::event_id() const {
  static constexpr char hex[] = "0123456789abcdef";
  const auto digest = detail::md5(dynamodb_sequence_number(sequence));
  std::string out(32, '0');
  for (std::size_t i = 0; i < 16; ++i) {
    out[2 * i] = hex[digest.bytes[i] >> 4];
    out[2 * i + 1] = hex[digest.bytes[i] & 0xF];
  }
  return out;
}

/// Settings of a DynamoDB stream (and the table it belongs to).
struct dynamodb_stream_config {
  /// `TableName`: 3–255 characters of `a-z A-Z 0-9 _ . -`. Default `table`.
  std::string name = "table";
  /// `StreamSpecification.StreamViewType`: which images records carry. Default
  /// `new_and_old_images`.
  stream_view_type view_type = stream_view_type::new_and_old_images;
  /// Number of open shards, one per table partition (AWS sizes this itself from the table's
  /// partitions; it is not a setting). Range [1, 1000]. Default 1.
  int partitions = 1;
  /// How long a shard stays open before it rolls over to a child (AWS does not document it; a
  /// new shard about every 4 h is commonly reported [ambiguous, spec §8]). The roll-over happens
  /// at the first write to the partition at or after the shard's creation + `rollover`.
  /// Range [1 min, 24 h]. Default 4 h.
  duration rollover = std::chrono::hours{4};
  /// Retention: DynamoDB Streams keep records 24 h, fixed (spec §2.8), so only
  /// `retention::period(24h)` (the default) or the modelling aid `retention::until_consumed()`.
  esm::retention retention = esm::retention::period(std::chrono::hours{24});
  /// `KeySchema`: names and types of the key attributes, for `Keys` in AWS JSON and filters.
  /// Default `pk` (S) and, for keys that have one, `sk` (S).
  dynamodb_key_schema key_schema{};
};

/// What a write returns: where its stream record went.
struct dynamodb_write_result {
  std::string_view shard_id;   ///< `ShardId` of the receiving shard
  std::uint32_t shard_ordinal; ///< the shard's index in the stream
  std::uint64_t sequence;      ///< the record's sequence (render with `dynamodb_sequence_number`)
};

/// Counters of a DynamoDB stream.
struct dynamodb_stream_metrics {
  std::uint64_t records_written = 0; ///< stream records written (INSERT + MODIFY + REMOVE)
  std::uint64_t bytes_written = 0;   ///< their `SizeBytes`
  std::uint64_t records_expired = 0; ///< records removed by retention (AWS does not count them anywhere)
  std::uint64_t rollovers = 0;       ///< shards closed by roll-over
};

/// The stream of a DynamoDB table whose items are `Item` (any type; its size is
/// `payload_traits<Item>::size`). Not thread-safe; not copyable. Shards, listeners, readers and
/// retention come from `detail::basic_stream` (shared with `esm::kinesis_stream`).
template <class Item>
class dynamodb_stream : public detail::basic_stream<dynamodb_stream<Item>, dynamodb_record<Item>> {
  using base = detail::basic_stream<dynamodb_stream<Item>, dynamodb_record<Item>>;
  friend base;

public:
  using item_type = Item;                        ///< the item (image) type
  using typename base::record_type;
  using typename base::shard_type;
  using base::shard;
  using base::shard_at;
  using base::trim;
  static constexpr source_kind kind = source_kind::dynamodb; ///< for policy range checks

  /// Largest item: 400 KB (409,600 bytes), counted by `payload_traits<Item>`.
  static constexpr std::size_t max_item_bytes = 409'600;
  /// Longest partition key: 2,048 bytes.
  static constexpr std::size_t max_partition_key = 2048;
  /// Longest sort key: 1,024 bytes.
  static constexpr std::size_t max_sort_key = 1024;
  /// The stream label in the ARN (a fixed creation time).
  static constexpr std::string_view stream_label = "2026-01-01T00:00:00.000";

  /// A stream on `sim` with one open shard per partition. Throws `config_error` for a setting
  /// outside its range.
  dynamodb_stream(simulation& sim, dynamodb_stream_config cfg) : base(sim), cfg_(std::move(cfg)) {
    validate();
    const auto n = static_cast<std::uint32_t>(cfg_.partitions);
    open_.reserve(n);
    for (std::uint32_t p = 0; p < n; ++p) open_.push_back(add_shard({}));
  }

  /// The settings.
  [[nodiscard]] const dynamodb_stream_config& config() const noexcept { return cfg_; }
  /// `TableName`.
  [[nodiscard]] const std::string& name() const noexcept { return cfg_.name; }
  /// Counters.
  [[nodiscard]] const dynamodb_stream_metrics& metrics() const noexcept { return metrics_; }

  /// Ordinals of the open shards, by partition.
  [[nodiscard]] std::vector<std::uint32_t> open_shards() const { return open_; }
  /// The partition of a partition key: its FNV-1a hash (`make_stream_id`) modulo `partitions`.
  [[nodiscard]] std::uint32_t partition_of(std::string_view partition_key) const noexcept {
    return static_cast<std::uint32_t>(make_stream_id(partition_key) % static_cast<std::uint64_t>(cfg_.partitions));
  }
  /// The ordinal of the shard open now for a partition (< `config().partitions`).
  [[nodiscard]] std::uint32_t open_shard(std::uint32_t partition) const noexcept { return open_[partition]; }

  /// Writes an `INSERT` record: `new_item` was put under `key`.
  /// Throws `input_error` for a bad key or an item over 400 KB.
  dynamodb_write_result insert(dynamodb_key key, Item new_item) {
    return write(dynamodb_event::insert, std::move(key), std::nullopt, std::optional<Item>{std::move(new_item)});
  }
  /// Writes a `MODIFY` record: the item under `key` changed from `old_item` to `new_item`.
  /// Throws `input_error` for a bad key or an item over 400 KB.
  dynamodb_write_result modify(dynamodb_key key, Item old_item, Item new_item) {
    return write(dynamodb_event::modify, std::move(key), std::optional<Item>{std::move(old_item)},
                 std::optional<Item>{std::move(new_item)});
  }
  /// Writes a `REMOVE` record: the item `old_item` under `key` was deleted.
  /// Throws `input_error` for a bad key or an item over 400 KB.
  dynamodb_write_result remove(dynamodb_key key, Item old_item) {
    return write(dynamodb_event::remove, std::move(key), std::optional<Item>{std::move(old_item)}, std::nullopt);
  }

  /// Rolls every partition's open shard over now, whatever its age: each closes and a child
  /// (with it as the only parent) takes the partition's later writes.
  void roll_over() {
    for (std::uint32_t p = 0; p < open_.size(); ++p) roll(p);
  }

  /// Reads a shard without a poller (`GetShardIterator` + `GetRecords`; see `esm::shard_iterator`).
  using iterator = shard_iterator<dynamodb_stream>;

  /// An iterator on a shard from a starting position: TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER
  /// or AFTER_SEQUENCE_NUMBER. Throws `input_error` for an unknown shard and for AT_TIMESTAMP,
  /// which DynamoDB Streams do not have.
  [[nodiscard]] iterator iterator_at(std::string_view shard_id, starting_position from) {
    if (from.type == iterator_type::at_timestamp) {
      throw input_error("dynamodb_stream '" + cfg_.name +
                        "': AT_TIMESTAMP is not a DynamoDB Streams iterator type (use TRIM_HORIZON, LATEST, "
                        "AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER)");
    }
    shard_type& s = shard(shard_id);
    trim(s);
    return iterator{*this, s, s.start_of(from)};
  }

  /// `arn:aws:dynamodb:us-east-1:123456789012:table/<name>/stream/2026-01-01T00:00:00.000`
  /// (a fixed account, region and stream label).
  [[nodiscard]] std::string arn() const {
    return "arn:aws:dynamodb:us-east-1:123456789012:table/" + cfg_.name + "/stream/" + std::string{stream_label};
  }
  /// Renders a sequence as this source does (21 digits).
  [[nodiscard]] static std::string sequence_text(std::uint64_t seq) { return dynamodb_sequence_number(seq); }
  /// Parses a sequence number of this source; nullopt when malformed.
  [[nodiscard]] static std::optional<std::uint64_t> parse_sequence(std::string_view text) noexcept {
    return parse_dynamodb_sequence_number(text);
  }
  /// How often an idle shard is polled: 4 times per second (spec §2.1).
  static constexpr duration poll_interval = std::chrono::milliseconds{250};
  /// Records one `GetRecords` call returns at most: 1,000 (DynamoDB Streams).
  static constexpr std::size_t max_get_records = 1'000;
  /// Shortest time between two `GetRecords` calls on a shard: none beyond the 250 ms polling.
  static constexpr duration min_read_interval = duration::zero();
  /// Read throughput limit of a shard: none modelled (0).
  static constexpr std::uint64_t max_read_bytes_per_second = 0;
  /// Bytes one `GetRecords` call returns at most: no limit modelled (0); 1,000 records bound it.
  static constexpr std::size_t max_get_records_bytes = 0;

private:
  static constexpr std::string_view type_name = "dynamodb_stream"; // for basic_stream's messages
  [[nodiscard]] const esm::retention& retention_setting() const noexcept { return cfg_.retention; }
  void on_expired(std::uint64_t records) noexcept { metrics_.records_expired += records; }

  void validate() const {
    const auto& n = cfg_.name;
    const bool ok = n.size() >= 3 && n.size() <= 255 && std::all_of(n.begin(), n.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
             c == '-';
    });
    if (!ok) throw config_error("name", "3-255 characters of [a-zA-Z0-9_.-]", "'" + n + "'", "dynamodb_stream");
    const std::string where = "dynamodb_stream '" + n + "'";
    switch (cfg_.view_type) {
    case stream_view_type::keys_only:
    case stream_view_type::new_image:
    case stream_view_type::old_image:
    case stream_view_type::new_and_old_images: break;
    default:
      throw config_error("view_type", "keys_only, new_image, old_image or new_and_old_images",
                         std::to_string(static_cast<int>(cfg_.view_type)), where);
    }
    detail::check_range("partitions", cfg_.partitions, 1, 1000, where);
    const auto check_name = [&](const char* param, const std::string& name) {
      if (name.empty() || name.size() > 255) {
        throw config_error(param, "1-255 bytes", std::to_string(name.size()) + " bytes", where);
      }
    };
    check_name("key_schema.partition_key", cfg_.key_schema.partition_key);
    check_name("key_schema.sort_key", cfg_.key_schema.sort_key);
    const auto check_type = [&](const char* param, key_attribute_type t) {
      if (t != key_attribute_type::string && t != key_attribute_type::number && t != key_attribute_type::binary) {
        throw config_error(param, "string (S), number (N) or binary (B)", std::to_string(static_cast<int>(t)), where);
      }
    };
    check_type("key_schema.partition_key_type", cfg_.key_schema.partition_key_type);
    check_type("key_schema.sort_key_type", cfg_.key_schema.sort_key_type);
    detail::check_range<duration>("rollover", cfg_.rollover, std::chrono::minutes{1}, std::chrono::hours{24}, where);
    if (!cfg_.retention.is_until_consumed() && cfg_.retention.period() != std::chrono::hours{24}) {
      throw config_error("retention", "86400s (24 h, fixed by DynamoDB Streams) or until_consumed()",
                         detail::value_text(cfg_.retention.period()), where);
    }
  }

  void check_key(const dynamodb_key& key) const {
    const std::size_t pk = key.partition_key.size();
    if (pk == 0 || pk > max_partition_key) {
      throw input_error("dynamodb_stream '" + cfg_.name + "': partition key must be 1-2048 bytes, got " +
                        std::to_string(pk));
    }
    if (key.sort_key && (key.sort_key->empty() || key.sort_key->size() > max_sort_key)) {
      throw input_error("dynamodb_stream '" + cfg_.name + "': sort key must be 1-1024 bytes, got " +
                        std::to_string(key.sort_key->size()));
    }
  }

  std::size_t check_item(const std::optional<Item>& item, const char* which) const {
    if (!item) return 0;
    const std::size_t bytes = payload_traits<Item>::size(*item);
    if (bytes > max_item_bytes) {
      throw input_error("dynamodb_stream '" + cfg_.name + "': " + which +
                        " item must be at most 409600 bytes (400 KB), got " + std::to_string(bytes));
    }
    return bytes;
  }

  [[nodiscard]] bool keeps_new() const noexcept {
    return cfg_.view_type == stream_view_type::new_image || cfg_.view_type == stream_view_type::new_and_old_images;
  }
  [[nodiscard]] bool keeps_old() const noexcept {
    return cfg_.view_type == stream_view_type::old_image || cfg_.view_type == stream_view_type::new_and_old_images;
  }

  dynamodb_write_result write(dynamodb_event ev, dynamodb_key key, std::optional<Item> old_item,
                              std::optional<Item> new_item) {
    check_key(key);
    const std::size_t old_bytes = check_item(old_item, "old");
    const std::size_t new_bytes = check_item(new_item, "new");
    if (!keeps_old()) old_item.reset();
    if (!keeps_new()) new_item.reset();
    const std::size_t size = key.partition_key.size() + (key.sort_key ? key.sort_key->size() : 0) +
                             (old_item ? old_bytes : 0) + (new_item ? new_bytes : 0);
    std::string item_key = dynamodb_item_key(key);

    const std::uint32_t partition = partition_of(key.partition_key);
    if (this->sim().now() >= shard_at(open_[partition]).created() + cfg_.rollover) roll(partition);
    // Listeners notified by the roll-over may have written (a handler runs synchronously):
    // look the open shard up again.
    const std::uint32_t ordinal = open_[partition];
    shard_type& s = shard_at(ordinal);
    trim(s);
    this->sweep_retention();
    const std::uint64_t seq = this->next_sequence();
    s.append(record_type{seq, this->sim().now(), ev, cfg_.view_type, std::move(key), std::move(new_item), std::move(old_item),
                         size, std::move(item_key)});
    ++metrics_.records_written;
    metrics_.bytes_written += size;
    this->notify_records(ordinal);
    return {s.id(), ordinal, seq};
  }

  // Closes a partition's open shard and opens its child, then tells the listeners.
  void roll(std::uint32_t partition) {
    const std::uint32_t parent = open_[partition];
    const std::uint32_t child = add_shard({parent});
    open_[partition] = child;
    ++metrics_.rollovers;
    this->close_shard(parent, {child}); // tells the listeners
  }

  std::uint32_t add_shard(std::vector<std::uint32_t> parents) {
    // DynamoDB shards have no hash-key range: each gets the whole space.
    return base::add_shard(hash_key_range{hash_key::min(), hash_key::max()}, std::move(parents));
  }

  dynamodb_stream_config cfg_;
  std::vector<std::uint32_t> open_; // by partition
  dynamodb_stream_metrics metrics_;
};

/// The event JSON size of DynamoDB Streams records (spec §4.2), as `esm::aws::event_json`
/// renders them with default options: per record the event name, the creation time's digits,
/// `Keys` named by the stream's key schema (values escaped, `B` in base64), the images as
/// `payload_traits<Item>` counts them (exact for `esm::attribute_map_json`, whose text is the
/// image), `SizeBytes`' digits and the view type, and the stream's region and ARN.
template <class Item>
struct event_size<dynamodb_stream<Item>> {
  static constexpr std::size_t envelope = event_envelope_bytes; ///< `{"Records":[` and `]}`
  static constexpr std::size_t separator = 1;                   ///< `,`

  /// Takes the stream's ARN, region, key schema and wall epoch.
  explicit event_size(const dynamodb_stream<Item>& stream)
      : epoch_(stream.sim().epoch()), schema_(stream.config().key_schema) {
    const auto src = detail::event_source_size::of(stream.arn());
    using detail::lit;
    fixed_ = lit(R"({"eventID":")") + 32 + lit(R"(","eventVersion":)") +
             detail::json_string_length(default_dynamodb_event_version) + lit(R"(,"eventName":")") +
             lit(R"(","eventSource":"aws:dynamodb","awsRegion":)") + src.region + lit(R"(,"eventSourceARN":)") +
             src.arn + lit(R"(,"dynamodb":)") + 1 + lit(R"({"ApproximateCreationDateTime":)") + lit(R"(,"Keys":{)") +
             detail::json_string_length(schema_.partition_key) + 1 + 1 + lit(R"(,"SequenceNumber":")") + 21 +
             lit(R"(","SizeBytes":)") + lit(R"(,"StreamViewType":")") + lit(R"("})");
    sort_key_ = 1 + detail::json_string_length(schema_.sort_key) + 1;
  }
  /// Bytes of `r`.
  [[nodiscard]] std::size_t record(const dynamodb_record<Item>& r, std::string_view = {}) const noexcept {
    std::size_t n = fixed_ + std::string_view{esm::to_string(r.event_name)}.size() +
                    std::string_view{esm::to_string(r.view_type)}.size() +
                    detail::int_digits(detail::unix_seconds(epoch_, r.arrival)) + detail::uint_digits(r.size_bytes) +
                    key_value(schema_.partition_key_type, r.keys.partition_key);
    if (r.keys.sort_key) n += sort_key_ + key_value(schema_.sort_key_type, *r.keys.sort_key);
    if (r.new_image) n += detail::lit(R"(,"NewImage":)") + payload_traits<Item>::size(*r.new_image);
    if (r.old_image) n += detail::lit(R"(,"OldImage":)") + payload_traits<Item>::size(*r.old_image);
    return n;
  }

private:
  // `{"S":"v"}`, `{"N":"101"}`, `{"B":"<base64>"}`.
  static std::size_t key_value(key_attribute_type type, std::string_view value) noexcept {
    const std::size_t v = type == key_attribute_type::binary ? 2 + detail::base64_encoded_size(value.size())
                                                             : detail::json_string_length(value);
    return detail::lit(R"({"S":)") + 1 + v;
  }

  wall_epoch epoch_;
  dynamodb_key_schema schema_;
  std::size_t fixed_ = 0;
  std::size_t sort_key_ = 0;
};

} // namespace esm
