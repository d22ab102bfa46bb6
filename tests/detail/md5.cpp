// Tests of esm/detail/md5.hpp: one-shot MD5 (RFC 1321) and the 128-bit big-endian key split.
// Expected values: RFC 1321 appendix A.5, and `md5sum` for the padding-boundary and large inputs.
#include <esm/detail/md5.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "support/catch.hpp"

using esm::detail::md5;
using esm::detail::to_hex;

namespace {
// `n` bytes of the pattern (i * 31 + 7) mod 256, which covers every byte value, including those
// with the high bit set.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>(static_cast<unsigned char>((i * 31 + 7) & 0xff));
  }
  return s;
}
} // namespace

TEST_CASE("md5 matches the RFC 1321 test suite", "[detail][md5]") {
  CHECK(to_hex(md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(to_hex(md5("a")) == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(to_hex(md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(to_hex(md5("message digest")) == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(to_hex(md5("abcdefghijklmnopqrstuvwxyz")) == "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(to_hex(md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")) ==
        "d174ab98d277d9f5a5611c2c9f419d9f");
  CHECK(to_hex(md5("1234567890123456789012345678901234567890"
                   "1234567890123456789012345678901234567890")) ==
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("md5 pads correctly around the 56- and 64-byte block boundaries", "[detail][md5]") {
  // Values from `head -c N /dev/zero | tr '\0' a | md5sum`.
  struct vector {
    std::size_t length;
    std::string_view hex;
  };
  const vector vectors[] = {
      {55, "ef1772b6dff9a122358552954ad0df65"},  // largest one-block tail
      {56, "3b0c8ac703f828b04c6c197006d17218"},  // smallest two-block tail
      {63, "b06521f39153d618550606be297466d5"},  //
      {64, "014842d480b571495a4a0363793f7367"},  // one whole block, empty tail
      {65, "c743a45e0d2e6a95cb859adae0248435"},  //
      {119, "8a7bd0732ed6a28ce75f6dabc90e1613"}, // one block + 55
      {120, "5f61c0ccad4cac44c75ff505e1f1e537"}, // one block + 56
      {127, "020406e1d05cdc2aa287641f7ae2cc39"}, //
      {128, "e510683b3f5ffe4093d021808bc6ff70"}, //
      {129, "b325dc1c6f5e7a2b7cf465b9feab7948"}, //
  };
  for (const auto& v : vectors) {
    INFO("length " << v.length);
    CHECK(to_hex(md5(std::string(v.length, 'a'))) == v.hex);
  }
}

TEST_CASE("md5 hashes bytes with the high bit set and large inputs", "[detail][md5]") {
  // printf '\x00\x80\xff\xfe' | md5sum
  CHECK(to_hex(md5(std::string_view("\x00\x80\xff\xfe", 4))) == "9bfef4830711babc98e20d34903b82e1");
  // head -c 1000000 /dev/zero | tr '\0' a | md5sum
  CHECK(to_hex(md5(std::string(1'000'000, 'a'))) == "7707d6ae4e027c70eea2a935c2296f21");
  // 1 MiB + 65 bytes of pattern(), written to a file and hashed with md5sum.
  CHECK(to_hex(md5(pattern((std::size_t{1} << 20) + 65))) == "c3c460e6655697221b77a2f412ff5394");
}

TEST_CASE("md5 reads only the bytes of the view it is given", "[detail][md5]") {
  const std::string buffer = "xxabcyy";
  CHECK(md5(std::string_view(buffer).substr(2, 3)) == md5("abc"));
  CHECK(md5(std::string_view(buffer).substr(2, 0)) == md5(""));
  CHECK(md5("abc") != md5("abd"));
}

TEST_CASE("md5 digest splits into big-endian 64-bit halves", "[detail][md5]") {
  const auto d = md5("abc");
  CHECK(d.high64() == 0x900150983cd24fb0ULL);
  CHECK(d.low64() == 0xd6963f7d28e17f72ULL);
  CHECK(d.bytes[0] == 0x90);
  CHECK(d.bytes[15] == 0x72);

  const auto e = md5("");
  CHECK(e.high64() == 0xd41d8cd98f00b204ULL);
  CHECK(e.low64() == 0xe9800998ecf8427eULL);
}

TEST_CASE("md5 is usable in constant expressions", "[detail][md5]") {
  constexpr auto d = md5("abc");
  STATIC_REQUIRE(d.high64() == 0x900150983cd24fb0ULL);
  STATIC_REQUIRE(d.low64() == 0xd6963f7d28e17f72ULL);
  STATIC_REQUIRE(md5("").bytes[0] == 0xd4);
}

TEST_CASE("md5 to_hex is 32 lowercase hex digits, most significant byte first", "[detail][md5]") {
  esm::detail::md5_digest d{};
  CHECK(to_hex(d) == std::string(32, '0'));
  d.bytes = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
             0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  CHECK(to_hex(d) == "0123456789abcdef0123456789abcdef");
}
