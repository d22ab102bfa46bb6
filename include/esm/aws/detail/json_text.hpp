#pragma once
/// \file esm/aws/detail/json_text.hpp
/// Internal: the JSON-writing helpers of `esm/detail/json_text.hpp` and the record renderers of
/// `esm/sources/detail/record_json.hpp`, made visible to the renderers of `esm/aws/`.

#include <esm/detail/json_text.hpp>
#include <esm/sources/detail/record_json.hpp>

namespace esm::aws::detail {

using esm::detail::append_int;
using esm::detail::append_json_key;
using esm::detail::append_json_string;
using esm::detail::append_key;
using esm::detail::append_md5_hex;
using esm::detail::append_member;
using esm::detail::append_uint;
using esm::detail::iso8601_seconds;
using esm::detail::is_binary_type;
using esm::detail::padded_digits;
using esm::detail::unix_seconds;

} // namespace esm::aws::detail
