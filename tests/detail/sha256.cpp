// Tests of esm/detail/sha256.hpp: one-shot SHA-256 (FIPS 180-4).
// Expected values: the FIPS 180 / NIST example messages, and `sha256sum` for the
// padding-boundary and large inputs.
#include <esm/detail/sha256.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "support/catch.hpp"

using esm::detail::sha256;
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

TEST_CASE("sha256 matches the FIPS 180 / NIST example messages", "[detail][sha256]") {
  CHECK(to_hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 448 bits: the tail needs a second padding block.
  CHECK(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // 896 bits: one whole block plus a 48-byte tail.
  CHECK(to_hex(sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")) ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(to_hex(sha256(std::string(1'000'000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 pads correctly around the 56- and 64-byte block boundaries",
          "[detail][sha256]") {
  // Values from `head -c N /dev/zero | tr '\0' a | sha256sum`.
  struct vector {
    std::size_t length;
    std::string_view hex;
  };
  const vector vectors[] = {
      // largest one-block tail
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      // smallest two-block tail
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      // one whole block, empty tail
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
      {127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"},
      {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
      {129, "c12cb024a2e5551cca0e08fce8f1c5e314555cc3fef6329ee994a3db752166ae"},
  };
  for (const auto& v : vectors) {
    INFO("length " << v.length);
    CHECK(to_hex(sha256(std::string(v.length, 'a'))) == v.hex);
  }
}

TEST_CASE("sha256 hashes bytes with the high bit set and inputs over 1 MiB", "[detail][sha256]") {
  // printf '\x00\x80\xff\xfe' | sha256sum
  CHECK(to_hex(sha256(std::string_view("\x00\x80\xff\xfe", 4))) ==
        "b10cb5375f1cbfa2e89f2c171ed138b478c83c29bb66f6d6505348a37a44090e");
  // 1 MiB + 65 bytes of pattern(), written to a file and hashed with sha256sum.
  CHECK(to_hex(sha256(pattern((std::size_t{1} << 20) + 65))) ==
        "4f5a44e462a71cb4d5d68e710c46379a0b73546b458c9b7e19f97d2cd21e11bc");
}

TEST_CASE("sha256 reads only the bytes of the view it is given", "[detail][sha256]") {
  const std::string buffer = "xxabcyy";
  CHECK(sha256(std::string_view(buffer).substr(2, 3)) == sha256("abc"));
  CHECK(sha256(std::string_view(buffer).substr(2, 0)) == sha256(""));
  CHECK(sha256("abc") != sha256("abd"));
}

TEST_CASE("sha256 is usable in constant expressions", "[detail][sha256]") {
  constexpr auto d = sha256("abc");
  STATIC_REQUIRE(d.bytes[0] == 0xba);
  STATIC_REQUIRE(d.bytes[31] == 0xad);
  STATIC_REQUIRE(sha256("").bytes[0] == 0xe3);
}

TEST_CASE("sha256 to_hex is 64 lowercase hex digits, first byte first", "[detail][sha256]") {
  esm::detail::sha256_digest d{};
  CHECK(to_hex(d) == std::string(64, '0'));
  for (std::size_t i = 0; i < d.bytes.size(); i += 8) {
    d.bytes[i + 0] = 0x01;
    d.bytes[i + 1] = 0x23;
    d.bytes[i + 2] = 0x45;
    d.bytes[i + 3] = 0x67;
    d.bytes[i + 4] = 0x89;
    d.bytes[i + 5] = 0xab;
    d.bytes[i + 6] = 0xcd;
    d.bytes[i + 7] = 0xef;
  }
  CHECK(to_hex(d) == "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}
