// Tests of esm/pollers/lifecycle.hpp: the states of an event source mapping (spec §7) on stream
// and SQS mappings — Creating, Enabling, Enabled, Disabling, Disabled, Updating, Deleting — with
// the `state` trace events each transition emits, StateTransitionReason and LastProcessingResult
// as AWS recorded them, the ResourceInUseException / ResourceNotFoundException errors, and the
// LATEST-during-Creating hazard of spec §1.
#include <esm/pollers/lifecycle.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using kstream = esm::kinesis_stream<std::string>;
using kbatch = esm::stream_batch<kstream::record_type>;
using squeue = esm::sqs_queue<std::string>;
using qbatch = esm::queue_batch<squeue::message_type>;

namespace {

// The `state` trace events of the mapping named `esm`, as "t=<time> <State> <reason>".
struct states {
  std::vector<std::string> v;
  explicit states(esm::simulation& sim) {
    sim.trace().subscribe([this](const esm::trace_event& e) {
      if (e.component != "esm/esm" || e.kind != "state") return;
      v.push_back(esm::to_string(e.time) + " " + esm::to_string(*e.find("state")) + " " +
                  esm::to_string(*e.find("reason")));
    });
  }
};

// Records a stream handler sees, in order.
struct seen {
  std::vector<std::string> data;
  auto handler() {
    return [this](const kbatch& b) {
      for (const auto& r : b) data.push_back(r.data);
    };
  }
};

constexpr esm::mapping_transitions slow{.create = 1min, .enable = 30s, .disable = 20s, .update = 40s, .remove = 5s};

} // namespace

TEST_CASE("§7 AWS recorded: a new mapping is Creating, then Enabled, StateTransitionReason \"User action\" "
          "(streams) and \"USER_INITIATED\" (SQS)",
          "[pollers][lifecycle][spec-7]") {
  esm::simulation sim;
  states st{sim};
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  SECTION("instant (the default): both states at the creation instant") {
    esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon()};
    CHECK(st.v == std::vector<std::string>{"t=0s Creating User action", "t=0s Enabled User action"});
    CHECK(p.state() == esm::esm_state::enabled);
    CHECK(p.configuration().state_transition_reason == "User action");
    CHECK(p.state_transition_reason() == "User action");
  }
  SECTION("with a creation delay, Creating lasts it and nothing is read meanwhile") {
    s.put("k", "early");
    seen got;
    esm::stream_poller p{s, fn, got.handler(), esm::starting_position::trim_horizon(),
                         esm::stream_options{.transitions = slow}};
    CHECK(p.state() == esm::esm_state::creating);
    CHECK(p.configuration().state == esm::esm_state::creating);
    sim.run_for(59s);
    CHECK(got.data.empty());
    CHECK(p.state() == esm::esm_state::creating);
    sim.run_for(2s);
    CHECK(p.state() == esm::esm_state::enabled);
    CHECK(got.data == std::vector<std::string>{"early"}); // TRIM_HORIZON: nothing is missed
    CHECK(st.v == std::vector<std::string>{"t=0s Creating User action", "t=60s Enabled User action"});
  }
  SECTION("created with Enabled = false: Creating, then Disabled") {
    esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon(),
                         esm::stream_options{.enabled = false, .transitions = slow}};
    sim.run_for(1min);
    CHECK(p.state() == esm::esm_state::disabled);
    CHECK(st.v == std::vector<std::string>{"t=0s Creating User action", "t=60s Disabled User action"});
  }
  SECTION("SQS: USER_INITIATED, and no message is received while Creating") {
    squeue q{sim, "q"};
    q.send("m");
    int calls = 0;
    esm::queue_poller p{q, fn, [&](const qbatch&) { ++calls; }, esm::queue_options{.transitions = slow}};
    CHECK(p.configuration().state_transition_reason == "USER_INITIATED");
    sim.run_for(59s);
    CHECK(calls == 0);
    CHECK(q.approximate_number_of_messages() == 1);
    sim.run_for(2s);
    CHECK(calls == 1);
    CHECK(q.size() == 0);
    CHECK(st.v == std::vector<std::string>{"t=0s Creating USER_INITIATED", "t=60s Enabled USER_INITIATED"});
  }
}

TEST_CASE("§1 and §7 AWS documented: a LATEST mapping misses the records written while it is Creating "
          "(mapping_transitions::eventual)",
          "[pollers][lifecycle][spec-1][spec-7]") {
  esm::simulation sim;
  kstream s{sim, {.shard_count = 2}};
  esm::function fn{sim, {.name = "f"}};
  seen latest;
  seen horizon;
  esm::stream_poller a{s, fn, latest.handler(), esm::starting_position::latest(),
                       esm::stream_options{.transitions = esm::mapping_transitions::eventual(), .name = "a"}};
  esm::stream_poller b{s, fn, horizon.handler(), esm::starting_position::trim_horizon(),
                       esm::stream_options{.transitions = esm::mapping_transitions::eventual(), .name = "b"}};
  sim.run_for(1min);
  s.put("k1", "during-1");
  s.put("k2", "during-2");
  sim.run_for(2min + 1s); // Creating ends at 3 min
  CHECK(a.state() == esm::esm_state::enabled);
  s.put("k1", "after");
  sim.run_for(10s);
  CHECK(latest.data == std::vector<std::string>{"after"});
  CHECK(horizon.data.size() == 3);
  SECTION("instant creation (the default) reads from the creation instant") {
    seen instant;
    esm::stream_poller c{s, fn, instant.handler(), esm::starting_position::latest(), esm::stream_options{.name = "c"}};
    s.put("k2", "later");
    sim.run_for(10s);
    CHECK(instant.data == std::vector<std::string>{"later"});
  }
}

TEST_CASE("§1 and §7 a shard split while a LATEST mapping is Creating: the children start at LATEST too",
          "[pollers][lifecycle][spec-1][spec-7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  seen got;
  esm::stream_poller p{s, fn, got.handler(), esm::starting_position::latest(),
                       esm::stream_options{.transitions = esm::mapping_transitions::eventual()}};
  s.put("k", "parent-during");
  sim.run_for(1min);
  s.split_shard("shardId-000000000000");
  s.put("k", "child-during");
  sim.run_for(2min + 1s);
  s.put("k", "child-after");
  sim.run_for(10s);
  CHECK(got.data == std::vector<std::string>{"child-after"});
}

TEST_CASE("§7 AWS documented: enable and disable pass through Enabling and Disabling", "[pollers][lifecycle][spec-7]") {
  esm::simulation sim;
  states st{sim};
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  seen got;
  esm::stream_poller p{s, fn, got.handler(), esm::starting_position::trim_horizon(),
                       esm::stream_options{.transitions = {.enable = 30s, .disable = 20s}}};
  CHECK(st.v == std::vector<std::string>{"t=0s Creating User action", "t=0s Enabled User action"});
  p.disable();
  CHECK(p.state() == esm::esm_state::disabling);
  s.put("k", "while-disabling"); // still polled until Disabling ends
  sim.run_for(10s);
  CHECK(got.data == std::vector<std::string>{"while-disabling"});
  CHECK_THROWS_AS(p.enable(), esm::resource_in_use_error);
  sim.run_for(10s);
  CHECK(p.state() == esm::esm_state::disabled);
  p.disable(); // already Disabled: nothing happens
  CHECK(p.state() == esm::esm_state::disabled);
  s.put("k", "while-disabled");
  sim.run_for(1min);
  CHECK(got.data.size() == 1);
  p.enable();
  CHECK(p.state() == esm::esm_state::enabling);
  sim.run_for(29s);
  CHECK(got.data.size() == 1); // not polling until Enabling ends
  sim.run_for(2s);
  CHECK(p.state() == esm::esm_state::enabled);
  CHECK(got.data == std::vector<std::string>{"while-disabling", "while-disabled"});
  CHECK(st.v == std::vector<std::string>{"t=0s Creating User action", "t=0s Enabled User action",
                                         "t=0s Disabling User action", "t=20s Disabled User action",
                                         "t=80s Enabling User action", "t=110s Enabled User action"});
}

TEST_CASE("§7 AWS documented: an update is Updating, applied asynchronously; updating while Creating is "
          "ResourceInUseException",
          "[pollers][lifecycle][spec-7]") {
  esm::simulation sim;
  states st{sim};
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::size_t> sizes;
  esm::stream_poller p{s,
                       fn,
                       [&](const kbatch& b) { sizes.push_back(b.size()); },
                       esm::starting_position::trim_horizon(),
                       esm::batching{.batch_size = 1},
                       esm::stream_options{.transitions = slow}};
  const std::string in_use = esm_test::error_of<esm::resource_in_use_error>([&] { p.update({.batch_size = 10}); });
  CHECK(in_use.starts_with("ResourceInUseException: cannot update the event source mapping arn:aws:lambda:"));
  CHECK(in_use.find("while it is Creating") != std::string::npos);
  sim.run_for(1min);
  p.update({.batch_size = 10});
  CHECK(p.state() == esm::esm_state::updating);
  CHECK(p.configuration().batch_size == 1); // not visible until done: read it with Get
  CHECK_THROWS_AS(p.update({.batch_size = 5}), esm::resource_in_use_error);
  CHECK(esm_test::error_of<esm::resource_in_use_error>([&] {
          (void)p.delete_mapping();
        }).find("ResourceInUseException: cannot delete") == 0);
  for (int i = 0; i < 3; ++i) s.put("k", std::to_string(i));
  sim.run_for(10s);
  CHECK(sizes == std::vector<std::size_t>{1, 1, 1}); // the old settings apply while Updating
  sim.run_for(30s);
  CHECK(p.state() == esm::esm_state::enabled);
  CHECK(p.configuration().batch_size == 10);
  for (int i = 0; i < 3; ++i) s.put("k", std::to_string(i));
  sim.run_for(10s);
  CHECK(sizes == std::vector<std::size_t>{1, 1, 1, 3});
  SECTION("a config_error at the call leaves the mapping Enabled and unchanged") {
    CHECK_THROWS_AS(p.update({.batch_size = 0}), esm::config_error);
    CHECK(p.state() == esm::esm_state::enabled);
    CHECK(p.configuration().batch_size == 10);
  }
  SECTION("an update of a disabled mapping returns it to Disabled; one with enabled = true to Enabled") {
    p.disable();
    sim.run_for(20s);
    p.update({.batch_size = 2});
    sim.run_for(40s);
    CHECK(p.state() == esm::esm_state::disabled);
    p.update({.enabled = true});
    CHECK(p.state() == esm::esm_state::updating);
    sim.run_for(40s);
    CHECK(p.state() == esm::esm_state::enabled);
  }
  CHECK(st.v.at(1) == "t=60s Enabled User action");
  CHECK(st.v.at(2) == "t=60s Updating User action");
  CHECK(st.v.at(3) == "t=100s Enabled User action");
}

TEST_CASE("§7 AWS documented: a deleted mapping is Deleting, lets in-flight invocations finish, reads "
          "nothing more, then is gone (ResourceNotFoundException)",
          "[pollers][lifecycle][spec-7]") {
  esm::simulation sim;
  states st{sim};
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(2s)}};
  seen got;
  esm::stream_poller p{s,
                       fn,
                       got.handler(),
                       esm::starting_position::trim_horizon(),
                       esm::batching{.batch_size = 1},
                       esm::stream_options{.transitions = {.remove = 5s}}};
  s.put("k", "a");
  s.put("k", "b");
  sim.run_for(1s); // "a" is in flight until 2 s
  const auto c = p.delete_mapping();
  CHECK(c.state == esm::esm_state::deleting);
  CHECK(c.function_name == "f");
  CHECK(p.state() == esm::esm_state::deleting);
  CHECK_THROWS_AS(p.update({.batch_size = 2}), esm::resource_in_use_error);
  CHECK_THROWS_AS(p.delete_mapping(), esm::resource_in_use_error);
  s.put("k", "c");
  sim.run_for(1min);
  CHECK(got.data == std::vector<std::string>{"a"}); // finished, and nothing more read
  CHECK(p.checkpoint(0) == 1);                      // the finished invocation is checkpointed
  CHECK(p.state() == esm::esm_state::deleted);
  const std::string gone = esm_test::error_of<esm::resource_not_found_error>([&] { (void)p.configuration(); });
  CHECK(gone.starts_with("ResourceNotFoundException: cannot get the event source mapping arn:aws:lambda:"));
  CHECK_THROWS_AS(p.update({.batch_size = 2}), esm::resource_not_found_error);
  CHECK_THROWS_AS(p.enable(), esm::resource_not_found_error);
  CHECK_THROWS_AS(p.disable(), esm::resource_not_found_error);
  CHECK_THROWS_AS(p.delete_mapping(), esm::resource_not_found_error);
  CHECK(p.metrics().invoked_event_count == 1);
  CHECK(st.v == std::vector<std::string>{"t=0s Creating User action", "t=0s Enabled User action",
                                         "t=1s Deleting User action", "t=6s Deleted User action"});
}

TEST_CASE("§7 a mapping deleted while Creating never reads; one deleted instantly is gone at once",
          "[pollers][lifecycle][spec-7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  seen got;
  s.put("k", "x");
  esm::stream_poller p{s, fn, got.handler(), esm::starting_position::trim_horizon(),
                       esm::stream_options{.transitions = slow}};
  sim.run_for(10s);
  (void)p.delete_mapping();
  sim.run_for(10min);
  CHECK(got.data.empty());
  CHECK(p.state() == esm::esm_state::deleted);
  esm::stream_poller q{s, fn, got.handler(), esm::starting_position::trim_horizon(), esm::stream_options{.name = "q"}};
  sim.run_for(1s);
  CHECK(q.delete_mapping().state == esm::esm_state::deleting);
  CHECK(q.state() == esm::esm_state::deleted);
}

TEST_CASE("§7 SQS: Deleting lets the batch in flight finish and delete its messages; gathered messages return",
          "[pollers][lifecycle][spec-7][sqs]") {
  esm::simulation sim;
  states st{sim};
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(2s)}};
  int calls = 0;
  esm::queue_poller p{q, fn, [&](const qbatch&) { ++calls; }, esm::batching{.batch_size = 1},
                      esm::queue_options{.transitions = {.update = 10s, .remove = 5s}}};
  q.send("a");
  sim.run_for(1s);
  CHECK(calls == 1);
  p.update({.batch_size = 5});
  CHECK(esm_test::error_of<esm::resource_in_use_error>([&] {
          (void)p.delete_mapping();
        }).find("while it is Updating") != std::string::npos);
  sim.run_for(10s);
  CHECK(p.configuration().batch_size == 5);
  q.send("b");
  sim.run_for(100ms);
  const std::size_t before = static_cast<std::size_t>(calls);
  const auto c = p.delete_mapping();
  CHECK(c.state == esm::esm_state::deleting);
  CHECK(c.state_transition_reason == "USER_INITIATED");
  q.send("c");
  sim.run_for(5min);
  CHECK(static_cast<std::size_t>(calls) == before); // nothing more is received
  CHECK(q.approximate_number_of_messages() + q.approximate_number_of_messages_not_visible() == 1); // "c" stays
  CHECK(p.metrics().deleted_event_count == 2);
  CHECK(p.state() == esm::esm_state::deleted);
  CHECK_THROWS_AS(p.configuration(), esm::resource_not_found_error);
  CHECK(st.v.back().ends_with("Deleted USER_INITIATED"));
}

TEST_CASE("§7 AWS recorded: LastProcessingResult is \"No records processed\", then \"OK\", then \"PROBLEM: "
          "Function call failed\"",
          "[pollers][lifecycle][spec-7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  bool fail = false;
  esm::stream_poller p{s, fn,
                       [&](const kbatch&) {
                         if (fail) throw std::runtime_error("boom");
                       },
                       esm::starting_position::trim_horizon(), esm::stream_retry{.max_attempts = 0}};
  CHECK(p.configuration().last_processing_result == "No records processed");
  s.put("k", "1");
  sim.run_for(5s);
  CHECK(p.configuration().last_processing_result == "OK");
  fail = true;
  s.put("k", "2");
  sim.run_for(5s);
  CHECK(p.configuration().last_processing_result == "PROBLEM: Function call failed");
  squeue q{sim, "q"};
  esm::queue_poller qp{q, fn, [](const qbatch&) {}};
  CHECK(qp.configuration().last_processing_result == "No records processed");
  q.send("m");
  sim.run_for(5s);
  CHECK(qp.configuration().last_processing_result == "OK");
}

TEST_CASE("transitions outside [0s, 1h] are a config_error naming the transition", "[pollers][lifecycle][config]") {
  esm::simulation sim;
  kstream s{sim, {}};
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  CHECK(esm_test::config_error_of([&] {
          esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon(),
                               esm::stream_options{.transitions = {.create = -1s}}};
        }) == "transitions.create must be in [0s, 3600s] for a kinesis event source mapping, got -1s");
  CHECK(esm_test::config_error_of([&] {
          esm::queue_poller p{q, fn, [](const qbatch&) {}, esm::queue_options{.transitions = {.remove = 1h + 1ms}}};
        }).starts_with("transitions.remove must be in [0s, 3600s] for a sqs"));
  CHECK(esm_test::config_error_of([&] {
          esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon(),
                               esm::stream_options{.transitions = esm::mapping_transitions::eventual()}};
        }) == "no config_error");
  CHECK(esm::to_string(esm::esm_state::deleting) == "Deleting");
  CHECK(esm::to_string(esm::esm_state::enabling) == "Enabling");
}
