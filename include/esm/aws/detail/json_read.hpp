#pragma once
/// \file esm/aws/detail/json_read.hpp
/// Internal: reading JSON text with nlohmann::json, whole. nlohmann::json 3.11 ends its input at a
/// NUL byte (it takes one for the end of a C string), so `[1]\0garbage` reads as `[1]`. A NUL is
/// never valid in JSON text (outside strings it is not whitespace; inside, it must be escaped as
/// `\u0000`), so text holding one is not JSON here, as it is not for AWS.

#include <string_view>

#include <nlohmann/json.hpp>

namespace esm::aws::detail {

/// The JSON value of `text`, or a discarded value when `text` is not JSON.
[[nodiscard]] inline nlohmann::json parse_json_or_discarded(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(text, nullptr, false);
}

/// True when `text` is JSON text, all of it.
[[nodiscard]] inline bool is_json_text(std::string_view text) {
  return text.find('\0') == std::string_view::npos && nlohmann::json::accept(text);
}

} // namespace esm::aws::detail
