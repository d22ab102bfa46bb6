// Tests of esm/sources/s3_bucket.hpp: an in-model S3 bucket (spec §2.6): put, get, erase, list by
// prefix in key order, sizes and last-modified times in virtual time, names and key limits, and
// the seeded ids that make on-failure keys unique.
#include <esm/sources/s3_bucket.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;

TEST_CASE("§2.6 an S3 bucket stores objects with their size and last-modified time; list returns a prefix in key order",
          "[sources][s3_bucket][spec-2.6]") {
  esm::simulation sim;
  esm::s3_bucket b{sim, "failures"};
  CHECK(b.arn() == "arn:aws:s3:::failures");
  CHECK(b.empty());
  b.put("aws/lambda/b/2", "second");
  sim.advance_to(esm::time_point{} + 2s);
  b.put("aws/lambda/a/1", "first!");
  b.put("other", "x");
  REQUIRE(b.get("aws/lambda/b/2") != nullptr);
  CHECK(b.get("aws/lambda/b/2")->body == "second");
  CHECK(b.get("aws/lambda/b/2")->last_modified == esm::time_point{});
  CHECK(b.get("missing") == nullptr);
  const auto l = b.list("aws/lambda/");
  REQUIRE(l.size() == 2);
  CHECK(l[0].key == "aws/lambda/a/1");
  CHECK(l[0].size == 6);
  CHECK(l[0].last_modified == esm::time_point{} + 2s);
  CHECK(l[1].key == "aws/lambda/b/2");
  CHECK(b.list().size() == 3);
  CHECK(b.list("aws/lambda/c").empty());
  sim.advance_to(esm::time_point{} + 3s);
  b.put("other", "replaced"); // a put replaces the object and its time
  CHECK(b.get("other")->body == "replaced");
  CHECK(b.get("other")->last_modified == esm::time_point{} + 3s);
  CHECK(b.size() == 3);
  CHECK(b.puts() == 4);
  CHECK(b.erase("other"));
  CHECK_FALSE(b.erase("other"));
  CHECK(b.size() == 2);
}

TEST_CASE("§2.6 S3 limits: bucket names and 1-1024 byte keys", "[sources][s3_bucket][spec-2.6]") {
  esm::simulation sim;
  CHECK(esm_test::config_error_of([&] {
          esm::s3_bucket bad{sim, "Bad"};
        }) ==
        "name must be 3-63 characters of [a-z0-9.-], starting and ending with a letter or digit for s3 bucket, got "
        "'Bad'");
  CHECK_THROWS_AS(esm::s3_bucket(sim, "ab"), esm::config_error);
  CHECK_THROWS_AS(esm::s3_bucket(sim, std::string(64, 'a')), esm::config_error);
  CHECK_THROWS_AS(esm::s3_bucket(sim, "-abc"), esm::config_error);
  CHECK_NOTHROW(esm::s3_bucket(sim, "a.b-c"));
  CHECK_NOTHROW(esm::s3_bucket(sim, std::string(63, 'a')));
  esm::s3_bucket b{sim, "keys"};
  CHECK_NOTHROW(b.put(std::string(esm::s3_bucket::max_key_bytes, 'k'), ""));
  CHECK_THROWS_AS(b.put(std::string(esm::s3_bucket::max_key_bytes + 1, 'k'), ""), esm::input_error);
  CHECK_THROWS_AS(b.put("", "body"), esm::input_error);
  CHECK(b.size() == 1);
}

TEST_CASE("a bucket's unique ids are seeded: the same for a seed, different across seeds and draws",
          "[sources][s3_bucket]") {
  auto ids = [](std::uint64_t seed) {
    esm::simulation sim{{.seed = seed}};
    esm::s3_bucket b{sim, "ids"};
    return std::vector<std::string>{b.unique_id(), b.unique_id()};
  };
  CHECK(ids(7) == ids(7));
  CHECK(ids(7) != ids(8));
  CHECK(ids(7)[0] != ids(7)[1]);
  CHECK(ids(7)[0].size() == 36);
  CHECK(ids(7)[0][14] == '4'); // UUID version 4 shape
}
