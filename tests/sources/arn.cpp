// Tests of esm/sources/arn.hpp: ARNs split into the parts AWS's events carry (spec §4:
// `awsRegion`, `eventSourceARN`, `functionArn`).
#include <esm/sources/arn.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_queue.hpp>

#include "support/catch.hpp"

TEST_CASE("§4 ARNs split into partition, service, region, account and resource", "[sources][arn][spec-4]") {
  constexpr auto p = esm::parse_arn("arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream");
  static_assert(p.has_value());
  CHECK(p->partition == "aws");
  CHECK(p->service == "kinesis");
  CHECK(p->region == "us-east-2");
  CHECK(p->account == "123456789012");
  CHECK(p->resource == "stream/lambda-stream");
  // The resource keeps its own colons; global services have no region.
  CHECK(esm::parse_arn("arn:aws:sqs:us-east-1:1:a:b")->resource == "a:b");
  CHECK(esm::parse_arn("arn:aws:iam::123456789012:role/lambda-role")->region.empty());
  // Not ARNs.
  CHECK_FALSE(esm::parse_arn("").has_value());
  CHECK_FALSE(esm::parse_arn("arn:aws:sqs:us-east-1").has_value());
  CHECK_FALSE(esm::parse_arn("urn:aws:sqs:us-east-1:1:q").has_value());
}

TEST_CASE("§4 every source's ARN parses, with esm's region and account", "[sources][arn][spec-4]") {
  esm::simulation sim;
  esm::kinesis_stream<std::string> s{sim, {.name = "orders"}};
  esm::sqs_queue<std::string> q{sim, "jobs"};
  const std::string sa = s.arn();
  const std::string qa = q.arn();
  CHECK(esm::parse_arn(sa)->region == "us-east-1");
  CHECK(esm::parse_arn(sa)->resource == "stream/orders");
  CHECK(esm::parse_arn(qa)->service == "sqs");
  CHECK(esm::parse_arn(qa)->account == "123456789012");
}
