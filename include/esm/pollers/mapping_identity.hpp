#pragma once
/// \file esm/pollers/mapping_identity.hpp
/// The identity of an event source mapping (spec §7): its `UUID` and its
/// `EventSourceMappingArn`, `arn:aws:lambda:<region>:<account>:event-source-mapping:<uuid>`.
///
/// AWS draws the UUID at `CreateEventSourceMapping`; esm draws it from the simulation's seed
/// and the mapping's creation order, so a seed gives every mapping the same UUID on every run,
/// and two mappings of one simulation never share one. The region and account are the
/// source's (the mapping lives where its source does, as `functionArn` of the on-failure
/// records). `poller.identity()` gives it; `configuration()` shows it as `uuid` and
/// `event_source_mapping_arn`; an S3 on-failure destination names its objects with the UUID.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <esm/core/random.hpp>
#include <esm/core/simulation.hpp>
#include <esm/detail/uuid.hpp>
#include <esm/sources/arn.hpp>

namespace esm {

namespace detail {
/// Per-simulation service: how many mappings were created (each gets the next ordinal).
class mapping_counter {
public:
  explicit mapping_counter(simulation&) noexcept {}
  /// The next mapping's ordinal, from 1.
  std::uint64_t next() noexcept { return ++created_; }

private:
  std::uint64_t created_ = 0;
};
} // namespace detail

/// `UUID` and `EventSourceMappingArn` of a mapping. A value: copyable, comparable.
class mapping_identity {
public:
  /// An empty identity (no UUID, no ARN).
  mapping_identity() = default;

  /// The identity of the next mapping created in `sim`, whose source has the ARN `source_arn`
  /// (for the region and account; `us-east-1` / `123456789012` if it cannot be parsed).
  [[nodiscard]] static mapping_identity next(simulation& sim, std::string_view source_arn) {
    const std::uint64_t ordinal = sim.service<detail::mapping_counter>().next();
    random_stream rng = sim.rng(make_stream_id("esm/event-source-mapping") ^ (ordinal * 0x9e3779b97f4a7c15ULL));
    const std::uint64_t hi = rng();
    const std::uint64_t lo = rng();
    mapping_identity id;
    detail::format_uuid_v4(hi, lo, id.uuid_);
    std::string_view region = "us-east-1";
    std::string_view account = "123456789012";
    if (const auto parts = parse_arn(source_arn)) {
      region = parts->region;
      account = parts->account;
    }
    id.arn_.reserve(64 + region.size() + account.size());
    id.arn_.append("arn:aws:lambda:").append(region).append(":").append(account).append(":event-source-mapping:");
    id.arn_.append(id.uuid());
    return id;
  }

  /// `UUID`: 36 characters, UUID-v4-shaped; empty for an empty identity.
  [[nodiscard]] std::string_view uuid() const noexcept {
    return arn_.empty() ? std::string_view{} : std::string_view{uuid_.data(), uuid_.size()};
  }
  /// `EventSourceMappingArn`: `arn:aws:lambda:<region>:<account>:event-source-mapping:<uuid>`.
  [[nodiscard]] const std::string& arn() const noexcept { return arn_; }

  /// Same UUID and ARN.
  friend bool operator==(const mapping_identity& a, const mapping_identity& b) noexcept { return a.arn_ == b.arn_; }

private:
  std::array<char, 36> uuid_{};
  std::string arn_;
};

} // namespace esm
