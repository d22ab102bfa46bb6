// Tests of esm/detail/base64.hpp against RFC 4648 §10's test vectors, and its strict decoding.
#include <esm/detail/base64.hpp>

#include <string>
#include <utility>
#include <vector>

#include "support/catch.hpp"

using esm::detail::base64_decode;
using esm::detail::base64_encode;

TEST_CASE("base64: RFC 4648 §10 test vectors encode and decode", "[aws][base64]") {
  const std::vector<std::pair<std::string, std::string>> vectors{
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(base64_encode(plain) == encoded);
    CHECK(esm::detail::base64_encoded_size(plain.size()) == encoded.size());
    const auto decoded = base64_decode(encoded);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == plain);
  }
}

TEST_CASE("base64: the §4.1 sample's data and every byte value round-trip", "[aws][base64]") {
  CHECK(base64_encode("Hello, this is a test.") == "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    const std::string part = all.substr(0, n);
    const auto back = base64_decode(base64_encode(part));
    REQUIRE(back.has_value());
    CHECK(*back == part);
  }
  CHECK(base64_encode(std::string("\xff\xfe\xfd", 3)) == "//79"); // the last two alphabet characters
  CHECK(base64_encode(std::string("\xfb\xef", 2)) == "++8=");
}

TEST_CASE("base64: decoding rejects what is not a canonical padded encoding", "[aws][base64]") {
  for (const char* bad : {"Zg", "Zg=", "Zm9", "Z===", "====", "Zg==Zg==", "Zm9v\n", " Zm9v", "Zm-v", "Zm_v",
                          "Zm9v====", "Zh==", "Zm9=", "Zg=a", "Z=g="}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad).has_value());
  }
  // The canonical forms of the non-canonical ones above.
  CHECK(base64_decode("Zg==") == std::optional<std::string>{"f"});
  CHECK(base64_decode("Zm8=") == std::optional<std::string>{"fo"});
}
