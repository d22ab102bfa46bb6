// Tests of esm/detail/utf8.hpp: UTF-8 validation as RFC 3629 defines it.
#include <esm/detail/utf8.hpp>

#include <string>
#include <string_view>

#include "support/catch.hpp"

using esm::detail::invalid_utf8_at;
using esm::detail::valid_utf8;

TEST_CASE("UTF-8: every well-formed sequence length, at the edges of its ranges", "[detail][utf8]") {
  using namespace std::string_view_literals;
  for (const std::string_view ok :
       {""sv, "ascii"sv, "nul\0inside"sv, "\x7f"sv, "\xc2\x80"sv, "\xdf\xbf"sv, "\xe0\xa0\x80"sv, "\xed\x9f\xbf"sv,
        "\xee\x80\x80"sv, "\xef\xbf\xbf"sv, "\xf0\x90\x80\x80"sv, "\xf4\x8f\xbf\xbf"sv,
        "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"sv}) {
    INFO(std::string{ok});
    CHECK(valid_utf8(ok));
  }
}

TEST_CASE("UTF-8: ill-formed sequences are found at their first byte", "[detail][utf8]") {
  CHECK(invalid_utf8_at("\x80") == 0);             // a lone continuation byte
  CHECK(invalid_utf8_at("ab\xc0\x80") == 2);       // an overlong NUL
  CHECK(invalid_utf8_at("\xc1\xbf") == 0);         // overlong
  CHECK(invalid_utf8_at("\xe0\x9f\xbf") == 0);     // overlong 3-byte form
  CHECK(invalid_utf8_at("\xed\xa0\x80") == 0);     // a UTF-16 surrogate
  CHECK(invalid_utf8_at("\xf0\x8f\xbf\xbf") == 0); // overlong 4-byte form
  CHECK(invalid_utf8_at("\xf4\x90\x80\x80") == 0); // above U+10FFFF
  CHECK(invalid_utf8_at("\xf5\x80\x80\x80") == 0); // no such lead byte
  CHECK(invalid_utf8_at("x\xff") == 1);
  CHECK(invalid_utf8_at("ok\xe6\x97") == 2); // cut short at the end
  CHECK(invalid_utf8_at("\xe6\x97z") == 0);  // cut short by another character
  CHECK(invalid_utf8_at("\xc3\xa9\xc3") == 2);
  STATIC_REQUIRE(esm::detail::valid_utf8("constexpr \xc3\xa9"));
}
