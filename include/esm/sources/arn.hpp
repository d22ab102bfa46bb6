#pragma once
/// \file esm/sources/arn.hpp
/// Amazon Resource Names: every source has one (`arn()`), and AWS's events and records carry
/// its region and account (`awsRegion`, `functionArn`).

#include <cstddef>
#include <optional>
#include <string_view>

namespace esm {

/// The parts of an ARN, `arn:<partition>:<service>:<region>:<account>:<resource>`. Views into the
/// parsed text.
struct arn_parts {
  std::string_view partition; ///< `aws`
  std::string_view service;   ///< `kinesis`, `dynamodb`, `sqs`, `lambda`, ...
  std::string_view region;    ///< `us-east-1` (empty for global services such as IAM)
  std::string_view account;   ///< `123456789012`
  std::string_view resource;  ///< everything after the fifth colon (`stream/orders`, `queue-name`, ...)
};

/// Splits an ARN into its parts; nullopt when it does not start with `arn:` or has fewer than six
/// colon-separated fields.
[[nodiscard]] constexpr std::optional<arn_parts> parse_arn(std::string_view arn) noexcept {
  std::string_view fields[5];
  if (!arn.starts_with("arn:")) return std::nullopt;
  std::string_view rest = arn.substr(4);
  for (int i = 0; i < 4; ++i) {
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    fields[i] = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
  }
  fields[4] = rest;
  return arn_parts{fields[0], fields[1], fields[2], fields[3], fields[4]};
}

} // namespace esm
