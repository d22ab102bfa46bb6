// Tests of esm/pollers/mapping_identity.hpp: every mapping's UUID and EventSourceMappingArn
// (spec §7), seeded and distinct, shown by the configuration read-back.
#include <esm/pollers/mapping_identity.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using kstream = esm::kinesis_stream<std::string>;
using kbatch = esm::stream_batch<kstream::record_type>;
using squeue = esm::sqs_queue<std::string>;
using qbatch = esm::queue_batch<squeue::message_type>;

namespace {

bool uuid_v4_shaped(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-')) return false;
    if (!dash && std::string_view{"0123456789abcdef"}.find(id[i]) == std::string_view::npos) return false;
  }
  return id[14] == '4' && std::string_view{"89ab"}.find(id[19]) != std::string_view::npos;
}

/// The UUIDs of three mappings created in a fresh simulation of `seed`.
std::vector<std::string> uuids_of_a_run(std::uint64_t seed) {
  esm::simulation sim{{.seed = seed}};
  kstream s{sim, {.name = "orders"}};
  squeue q{sim, "jobs"};
  esm::function fn{sim, {.name = "f"}};
  esm::stream_poller a{s, fn, [](const kbatch&) {}, esm::starting_position::latest()};
  esm::queue_poller b{q, fn, [](const qbatch&) {}};
  esm::stream_poller c{s, fn, [](const kbatch&) {}, esm::starting_position::latest(), esm::stream_options{.name = "c"}};
  return {std::string{a.identity().uuid()}, std::string{b.identity().uuid()}, std::string{c.identity().uuid()}};
}

} // namespace

TEST_CASE("§7 every mapping has a UUID and an EventSourceMappingArn in its source's region and account",
          "[pollers][mapping_identity][spec-7]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  squeue q{sim, "jobs"};
  esm::function fn{sim, {.name = "f"}};
  esm::stream_poller sp{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon()};
  esm::queue_poller qp{q, fn, [](const qbatch&) {}};
  for (const esm::mapping_identity* id : {&sp.identity(), &qp.identity()}) {
    CHECK(uuid_v4_shaped(id->uuid()));
    CHECK(id->arn() == "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:" + std::string{id->uuid()});
  }
  CHECK(sp.identity() != qp.identity());
  // The read-back shows them (GetEventSourceMapping's UUID and EventSourceMappingArn).
  CHECK(sp.configuration().uuid == sp.identity().uuid());
  CHECK(sp.configuration().event_source_mapping_arn == sp.identity().arn());
  CHECK(qp.configuration().uuid == qp.identity().uuid());
  CHECK(qp.configuration().event_source_mapping_arn == qp.identity().arn());
  // An empty identity has neither.
  CHECK(esm::mapping_identity{}.uuid().empty());
  CHECK(esm::mapping_identity{}.arn().empty());
  // Region and account come from the source's ARN.
  const auto other = esm::mapping_identity::next(sim, "arn:aws:sqs:eu-west-2:210987654321:q");
  CHECK(other.arn() == "arn:aws:lambda:eu-west-2:210987654321:event-source-mapping:" + std::string{other.uuid()});
}

TEST_CASE("§7 mapping UUIDs are seeded: the same seed and creation order give the same UUIDs, mappings never share one",
          "[pollers][mapping_identity][spec-7]") {
  const auto a = uuids_of_a_run(1);
  CHECK(a == uuids_of_a_run(1));
  CHECK(a != uuids_of_a_run(2));
  CHECK(std::set<std::string>(a.begin(), a.end()).size() == 3);
  std::set<std::string> many;
  esm::simulation sim{{.seed = 3}};
  for (int i = 0; i < 1000; ++i) many.insert(std::string{esm::mapping_identity::next(sim, "").uuid()});
  CHECK(many.size() == 1000);
}

TEST_CASE("§7 a mapping refused by validation takes no UUID: the next one gets the first",
          "[pollers][mapping_identity]") {
  auto first_uuid = [](bool refuse_one) {
    esm::simulation sim{{.seed = 9}};
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f"}};
    if (refuse_one) {
      CHECK_THROWS_AS(
          esm::stream_poller(
              s, fn, [](const kbatch&) {}, esm::starting_position::latest(), esm::batching{.batch_size = 0}),
          esm::config_error);
    }
    esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::starting_position::latest()};
    return std::string{p.identity().uuid()};
  };
  CHECK(first_uuid(true) == first_uuid(false));
}

TEST_CASE("§2.6 the on-failure record carries the mapping's UUID for destinations that need it",
          "[pollers][mapping_identity][spec-2.6]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  s.put("k", "poison");
  std::vector<esm::stream_failure_record> got;
  esm::stream_poller p{s,
                       fn,
                       [](const kbatch&) { throw std::runtime_error("x"); },
                       esm::starting_position::trim_horizon(),
                       esm::stream_retry{.max_attempts = 0},
                       esm::on_failure{[&](const esm::stream_failure_record& r) { got.push_back(r); }}};
  sim.run_until_idle();
  REQUIRE(got.size() == 1);
  CHECK(got[0].mapping_uuid == p.identity().uuid());
}
