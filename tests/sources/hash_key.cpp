// Tests of esm/sources/hash_key.hpp: 128-bit hash keys, MD5 routing keys, decimal rendering.
#include <esm/sources/hash_key.hpp>

#include "support/catch.hpp"

TEST_CASE("a partition key maps to the big-endian MD5 of its bytes (§8)", "[sources][hash_key][spec-8]") {
  const auto k = esm::hash_key::of_partition_key("abc"); // md5("abc") = 900150983cd24fb0d6963f7d28e17f72
  CHECK(k.hi == 0x900150983cd24fb0ULL);
  CHECK(k.lo == 0xd6963f7d28e17f72ULL);
}

TEST_CASE("hash keys render and parse as decimal 128-bit integers", "[sources][hash_key]") {
  CHECK(esm::hash_key::max().to_string() == "340282366920938463463374607431768211455");
  CHECK(esm::hash_key::min().to_string() == "0");
  CHECK(esm::hash_key{1, 0}.to_string() == "18446744073709551616");
  CHECK(esm::hash_key::parse("340282366920938463463374607431768211455") == esm::hash_key::max());
  CHECK(esm::hash_key::parse("18446744073709551616") == esm::hash_key{1, 0});
  CHECK(esm::hash_key::parse("0") == esm::hash_key::min());
  CHECK_FALSE(esm::hash_key::parse("340282366920938463463374607431768211456").has_value()); // 2^128
  CHECK_FALSE(esm::hash_key::parse("").has_value());
  CHECK_FALSE(esm::hash_key::parse("12a").has_value());
  CHECK_FALSE(esm::hash_key::parse("-1").has_value());
  const auto k = esm::hash_key::of_partition_key("order-42");
  CHECK(esm::hash_key::parse(k.to_string()) == k);
}

TEST_CASE("hash key arithmetic: next, prev, midpoint, ranges", "[sources][hash_key]") {
  CHECK(esm::hash_key{0, ~0ULL}.next() == esm::hash_key{1, 0});
  CHECK(esm::hash_key{1, 0}.prev() == esm::hash_key{0, ~0ULL});
  CHECK(esm::hash_key::midpoint(esm::hash_key::min(), esm::hash_key::max()) == esm::hash_key{~0ULL >> 1, ~0ULL});
  CHECK(esm::hash_key::midpoint(esm::hash_key{0, 3}, esm::hash_key{0, 5}) == esm::hash_key{0, 4});
  CHECK(esm::hash_key::midpoint(esm::hash_key{0, 3}, esm::hash_key{0, 3}) == esm::hash_key{0, 3});
  const esm::hash_key_range r{{0, 10}, {0, 20}};
  CHECK(r.contains({0, 10}));
  CHECK(r.contains({0, 20}));
  CHECK_FALSE(r.contains({0, 21}));
  CHECK_FALSE(r.contains({0, 9}));
}
