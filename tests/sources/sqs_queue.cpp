// Tests of esm/sources/sqs_queue.hpp (with esm/sources/sqs_message.hpp) for a standard queue used
// as a plain queue, without a poller: settings, send, receive (immediate and long-polled),
// visibility, delete, change_visibility, retention, redrive to a dead-letter queue, the in-flight
// limit, the at-least-once model and listeners.
// Spec: aws-esm-semantics.md §8 (SQS queue attributes), §3.3 (visibility), §3.4 (receive count,
// DLQ), §4.3 (message fields).
#include <esm/sources/sqs_queue.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using queue = esm::sqs_queue<std::string>;
using message = queue::message_type;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

/// Builds a queue named `q` with `set` applied to the default settings; "ok" or the config_error's text.
std::string construct(auto&& set) {
  esm::sqs_queue_config c;
  c.name = "q";
  set(c);
  esm::simulation sim;
  try {
    queue q{sim, c};
  } catch (const esm::config_error& e) {
    return e.what();
  }
  return "ok";
}

bool uuid_shaped(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return id[14] == '4' && std::string_view{"89ab"}.find(id[19]) != std::string_view::npos; // version 4, RFC variant
}

std::vector<std::string> bodies(const std::vector<message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.body);
  return out;
}

/// Conservation of a queue's counters (sqs_message.hpp): nothing appears or vanishes unaccounted.
bool conserved(const queue& q) {
  const auto& m = q.metrics();
  return m.sent + m.redriven_in == q.size() + m.deleted + m.redriven_out + m.expired;
}

struct counting_listener final : esm::queue_listener {
  int told = 0;
  void on_messages_available() override { ++told; }
};

} // namespace

// --- settings -------------------------------------------------------------------------------------

TEST_CASE("§8 queue attributes: each setting is accepted at both ends of its range and refused one step outside",
          "[sources][sqs_queue][config][spec-8]") {
  const auto keep = [](esm::sqs_queue_config&) {};
  CHECK(construct(keep) == "ok");
  const esm::sqs_queue_config defaults;
  CHECK(defaults.name == "queue");
  CHECK(defaults.visibility_timeout == 30s);
  CHECK(defaults.delay == 0s);
  CHECK(defaults.retention == 96h);
  CHECK(defaults.maximum_message_size == 1'048'576);
  CHECK(defaults.receive_wait == 0s);
  CHECK(defaults.delivery.duplicate_rate == 0.0);
  CHECK(defaults.delivery.reorder_rate == 0.0);

  // VisibilityTimeout: whole seconds in [0s, 12h].
  CHECK(construct([](auto& c) { c.visibility_timeout = 0s; }) == "ok");
  CHECK(construct([](auto& c) { c.visibility_timeout = 12h; }) == "ok");
  CHECK(construct([](auto& c) { c.visibility_timeout = 12h + 1s; }) ==
        "visibility_timeout must be in [0s, 43200s] for sqs_queue 'q', got 43201s");
  CHECK(construct([](auto& c) { c.visibility_timeout = -1s; }) ==
        "visibility_timeout must be in [0s, 43200s] for sqs_queue 'q', got -1s");
  CHECK(construct([](auto& c) { c.visibility_timeout = 1500ms; }) ==
        "visibility_timeout must be a whole number of seconds in [0s, 43200s] for sqs_queue 'q', got 1500ms");

  // DelaySeconds: whole seconds in [0s, 900s].
  CHECK(construct([](auto& c) { c.delay = 0s; }) == "ok");
  CHECK(construct([](auto& c) { c.delay = 900s; }) == "ok");
  CHECK(construct([](auto& c) { c.delay = 901s; }) == "delay must be in [0s, 900s] for sqs_queue 'q', got 901s");
  CHECK(construct([](auto& c) { c.delay = -1s; }) == "delay must be in [0s, 900s] for sqs_queue 'q', got -1s");

  // MessageRetentionPeriod: whole seconds in [60s, 14 days].
  CHECK(construct([](auto& c) { c.retention = 60s; }) == "ok");
  CHECK(construct([](auto& c) { c.retention = 24h * 14; }) == "ok");
  CHECK(construct([](auto& c) { c.retention = 59s; }) ==
        "retention must be in [60s, 1209600s] for sqs_queue 'q', got 59s");
  CHECK(construct([](auto& c) { c.retention = 24h * 14 + 1s; }) ==
        "retention must be in [60s, 1209600s] for sqs_queue 'q', got 1209601s");

  // MaximumMessageSize: [1024, 1048576] bytes.
  CHECK(construct([](auto& c) { c.maximum_message_size = 1024; }) == "ok");
  CHECK(construct([](auto& c) { c.maximum_message_size = 1'048'576; }) == "ok");
  CHECK(construct([](auto& c) { c.maximum_message_size = 1023; }) ==
        "maximum_message_size must be in [1024, 1048576] for sqs_queue 'q', got 1023");
  CHECK(construct([](auto& c) { c.maximum_message_size = 1'048'577; }) ==
        "maximum_message_size must be in [1024, 1048576] for sqs_queue 'q', got 1048577");

  // ReceiveMessageWaitTimeSeconds: whole seconds in [0s, 20s].
  CHECK(construct([](auto& c) { c.receive_wait = 0s; }) == "ok");
  CHECK(construct([](auto& c) { c.receive_wait = 20s; }) == "ok");
  CHECK(construct([](auto& c) { c.receive_wait = 21s; }) ==
        "receive_wait must be in [0s, 20s] for sqs_queue 'q', got 21s");
  CHECK(construct([](auto& c) { c.receive_wait = -1s; }) ==
        "receive_wait must be in [0s, 20s] for sqs_queue 'q', got -1s");

  // The at-least-once model: probabilities in [0, 1].
  CHECK(construct([](auto& c) { c.delivery.duplicate_rate = 0.0; }) == "ok");
  CHECK(construct([](auto& c) { c.delivery.duplicate_rate = 1.0; }) == "ok");
  CHECK(construct([](auto& c) { c.delivery.duplicate_rate = 1.5; }) ==
        "delivery.duplicate_rate must be in [0, 1] for sqs_queue 'q', got 1.5");
  CHECK(construct([](auto& c) { c.delivery.duplicate_rate = -0.5; }) ==
        "delivery.duplicate_rate must be in [0, 1] for sqs_queue 'q', got -0.5");
  CHECK(construct([](auto& c) { c.delivery.duplicate_rate = std::nextafter(1.0, 2.0); }) != "ok");
  CHECK(construct([](auto& c) { c.delivery.duplicate_rate = std::nan(""); }) != "ok");
  CHECK(construct([](auto& c) { c.delivery.reorder_rate = 0.0; }) == "ok");
  CHECK(construct([](auto& c) { c.delivery.reorder_rate = 1.0; }) == "ok");
  CHECK(construct([](auto& c) { c.delivery.reorder_rate = 1.5; }) ==
        "delivery.reorder_rate must be in [0, 1] for sqs_queue 'q', got 1.5");
  CHECK(construct([](auto& c) { c.delivery.reorder_rate = -0.5; }) ==
        "delivery.reorder_rate must be in [0, 1] for sqs_queue 'q', got -0.5");
  CHECK(construct([](auto& c) { c.delivery.reorder_rate = std::nan(""); }) != "ok");

  esm::simulation sim;
  CHECK_THROWS_AS(queue(sim, esm::sqs_queue_config{.name = "q", .retention = 59s}), esm::config_error);
}

TEST_CASE("§8 queue names: 1-80 characters of a-z A-Z 0-9 - _", "[sources][sqs_queue][config][spec-8]") {
  CHECK(construct([](auto& c) { c.name = "a"; }) == "ok");
  CHECK(construct([](auto& c) { c.name = "Orders_2026-eu"; }) == "ok");
  CHECK(construct([](auto& c) { c.name = std::string(80, 'n'); }) == "ok");
  CHECK(construct([](auto& c) { c.name = std::string(81, 'n'); }) ==
        "name must be 1-80 characters of [a-zA-Z0-9-_] for sqs_queue, got '" + std::string(81, 'n') + "'");
  CHECK(construct([](auto& c) { c.name = ""; }) ==
        "name must be 1-80 characters of [a-zA-Z0-9-_] for sqs_queue, got ''");
  CHECK(construct([](auto& c) { c.name = "bad name"; }) ==
        "name must be 1-80 characters of [a-zA-Z0-9-_] for sqs_queue, got 'bad name'");
  CHECK(construct([](auto& c) { c.name = "orders.fifo"; }) != "ok"); // '.' is not allowed on a standard queue

  esm::simulation sim;
  queue q{sim, "orders"};
  CHECK(q.name() == "orders");
  CHECK(q.config().visibility_timeout == 30s);
  CHECK(q.arn() == "arn:aws:sqs:us-east-1:123456789012:orders");
  CHECK_FALSE(queue::is_fifo);
  CHECK(queue::kind == esm::source_kind::sqs_standard);
  CHECK(queue::in_flight_limit == 120'000);
  CHECK(&q.sim() == &sim);
}

// --- send -----------------------------------------------------------------------------------------

TEST_CASE("§4.3 message ids are UUID-shaped, unique, and deterministic for a seed",
          "[sources][sqs_queue][send][spec-4.3]") {
  const auto ids_of = [](std::uint64_t seed) {
    esm::simulation sim{esm::simulation_options{.seed = seed}};
    queue q{sim, "orders"};
    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i) ids.push_back(q.send("m" + std::to_string(i)).message_id);
    return ids;
  };
  const auto a = ids_of(42);
  const auto b = ids_of(42);
  const auto c = ids_of(43);
  CHECK(a == b);
  CHECK(a != c);
  for (const auto& id : a) CHECK(uuid_shaped(id));
  CHECK(std::set<std::string>(a.begin(), a.end()).size() == a.size());
  std::size_t shared = 0;
  for (std::size_t i = 0; i < a.size(); ++i) shared += a[i] == c[i] ? 1 : 0;
  CHECK(shared == 0);

  // The id a send returns is the id a receive shows; another queue of the simulation has other ids.
  esm::simulation sim{esm::simulation_options{.seed = 42}};
  queue q{sim, "orders"};
  queue other{sim, "invoices"};
  const auto r = q.send("x");
  CHECK(r.message_id == a[0]);
  CHECK_FALSE(r.duplicate);
  CHECK(other.send("x").message_id != r.message_id);
  const auto got = q.receive();
  REQUIRE(got.size() == 1);
  CHECK(got[0].message_id() == r.message_id);
  CHECK(got[0].sequence == r.sequence);
}

TEST_CASE("§4.3 SentTimestamp is the time of the send; the message waits visible",
          "[sources][sqs_queue][send][spec-4.3]") {
  esm::simulation sim;
  queue q{sim, "q"};
  sim.run_for(1500ms);
  const auto r1 = q.send("a");
  sim.run_for(1s);
  const auto r2 = q.send("b");
  CHECK(r2.sequence > r1.sequence);
  CHECK(q.size() == 2);
  CHECK(q.approximate_number_of_messages() == 2);
  CHECK(q.approximate_number_of_messages_not_visible() == 0);
  CHECK(q.approximate_number_of_messages_delayed() == 0);
  CHECK(q.metrics().sent == 2);
  const auto got = q.receive(10);
  REQUIRE(got.size() == 2);
  CHECK(got[0].sent == at(1500ms));
  CHECK(got[1].sent == at(2500ms));
  CHECK(got[0].group_id.empty());
  CHECK(got[0].deduplication_id.empty());
}

TEST_CASE("§8 maximum message size counts body and attributes; exactly the limit is accepted",
          "[sources][sqs_queue][send][spec-8]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "small";
  cfg.maximum_message_size = 1024;
  queue q{sim, cfg};
  CHECK_NOTHROW(q.send(std::string(1024, 'b')));
  CHECK(esm_test::error_of([&] { q.send(std::string(1025, 'b')); }) ==
        "sqs_queue 'small': message of 1025 bytes exceeds the maximum size of 1024 bytes");
  // An attribute counts its name, its data type and its value: 1 + 6 + 17 = 24 bytes.
  const esm::message_attribute attr{"a", "String", std::string(17, 'v')};
  CHECK(attr.bytes() == 24);
  CHECK_NOTHROW(q.send(std::string(1000, 'b'), {.attributes = {attr}}));
  CHECK_THROWS_AS(q.send(std::string(1001, 'b'), {.attributes = {attr}}), esm::input_error);
  CHECK(q.metrics().sent == 2);
  CHECK(q.size() == 2);

  queue big{sim, "big"}; // default: 1 MiB
  CHECK_NOTHROW(big.send(std::string(1'048'576, 'b')));
  CHECK_THROWS_AS(big.send(std::string(1'048'577, 'b')), esm::input_error);
  const auto got = big.receive();
  REQUIRE(got.size() == 1);
  CHECK(got[0].bytes() == 1'048'576);
}

TEST_CASE("§4.3 message attributes: at most 10, each named with 1-256 characters, delivered with the message",
          "[sources][sqs_queue][send][spec-4.3]") {
  esm::simulation sim;
  queue q{sim, "q"};
  std::vector<esm::message_attribute> ten;
  for (int i = 0; i < 10; ++i) ten.push_back({"attr" + std::to_string(i), "Number", std::to_string(i)});
  CHECK_NOTHROW(q.send("ten", {.attributes = ten}));
  auto eleven = ten;
  eleven.push_back({"attr10", "String", "x"});
  CHECK(esm_test::error_of([&] { q.send("eleven", {.attributes = eleven}); }) ==
        "sqs_queue 'q': a message has at most 10 attributes, got 11");
  CHECK(esm_test::error_of([&] {
          q.send("unnamed", {.attributes = {{"", "String", "x"}}});
        }) == "sqs_queue 'q': an attribute name must be 1-256 characters, got 0");
  CHECK_NOTHROW(q.send("long name", {.attributes = {{std::string(256, 'n'), "String", "x"}}}));
  CHECK_THROWS_AS(q.send("too long", {.attributes = {{std::string(257, 'n'), "String", "x"}}}), esm::input_error);
  CHECK(q.size() == 2);
  const auto got = q.receive(10);
  REQUIRE(got.size() == 2);
  CHECK(got[0].attributes == ten);
  CHECK(got[1].attributes.size() == 1);
}

TEST_CASE("§8 DelaySeconds: a per-message delay in [0s, 900s] keeps the message invisible until it is due",
          "[sources][sqs_queue][send][spec-8]") {
  esm::simulation sim;
  queue q{sim, "q"};
  CHECK(esm_test::error_of([&] { q.send("x", {.delay = 901s}); }) ==
        "sqs_queue 'q': delay must be a whole number of seconds in [0s, 900s], got 901s");
  CHECK_THROWS_AS(q.send("x", {.delay = -1s}), esm::input_error);
  CHECK_THROWS_AS(q.send("x", {.delay = 1500ms}), esm::input_error);
  CHECK(q.size() == 0);

  q.send("late", {.delay = 900s});
  q.send("soon", {.delay = 10s});
  q.send("now", {.delay = 0s});
  CHECK(q.size() == 3);
  CHECK(q.approximate_number_of_messages_delayed() == 2);
  CHECK(q.approximate_number_of_messages() == 1);
  const auto now = q.receive(10);
  CHECK(bodies(now) == std::vector<std::string>{"now"});
  q.delete_message(now[0].receipt);
  sim.run_for(10s - 1ns);
  CHECK(q.approximate_number_of_messages_delayed() == 2);
  CHECK(q.receive(10).empty());
  sim.run_for(1ns);
  CHECK(q.approximate_number_of_messages_delayed() == 1);
  CHECK(q.approximate_number_of_messages() == 1);
  const auto soon = q.receive(10);
  CHECK(bodies(soon) == std::vector<std::string>{"soon"});
  q.delete_message(soon[0].receipt);
  sim.run_until(at(900s) - 1ns);
  CHECK(q.receive(10).empty());
  sim.run_for(1ns);
  CHECK(q.approximate_number_of_messages_delayed() == 0);
  const auto late = q.receive(10);
  REQUIRE(late.size() == 1);
  CHECK(late[0].body == "late");
  CHECK(late[0].sent == time_point{}); // SentTimestamp is the send, not the end of the delay
  CHECK(late[0].first_received == at(900s));
}

TEST_CASE("§8 DelaySeconds of the queue applies to every send unless the send gives its own",
          "[sources][sqs_queue][send][spec-8]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.delay = 5s;
  queue q{sim, cfg};
  q.send("queue delay");
  q.send("no delay", {.delay = 0s});
  CHECK(q.approximate_number_of_messages_delayed() == 1);
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"no delay"});
  sim.run_for(5s);
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"queue delay"});
}

TEST_CASE("a deduplication id is refused on a standard queue", "[sources][sqs_queue][send][spec-3.6]") {
  esm::simulation sim;
  queue q{sim, "q"};
  CHECK(esm_test::error_of([&] { q.send("x", {.deduplication_id = "d"}); }) ==
        "sqs_queue 'q': a deduplication id is only valid on FIFO queues");
  CHECK(q.size() == 0);
  CHECK(q.metrics().sent == 0);
  CHECK_NOTHROW(q.send("x", {.group_id = "ignored-by-ordering"}));
}

// --- receive --------------------------------------------------------------------------------------

TEST_CASE("§8 one receive returns 1-10 messages, oldest first", "[sources][sqs_queue][receive][spec-8]") {
  esm::simulation sim;
  queue q{sim, "q"};
  for (int i = 0; i < 15; ++i) q.send(std::to_string(i));
  CHECK(esm_test::error_of([&] { (void)q.receive(0); }) == "sqs_queue 'q': a receive takes 1-10 messages, got 0");
  CHECK_THROWS_AS(q.receive(11), esm::input_error);
  CHECK_THROWS_AS(q.receive(-1), esm::input_error);
  CHECK(q.metrics().receive_calls == 0);
  const auto first = q.receive(10);
  CHECK(first.size() == 10);
  CHECK(bodies(first) == std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"10", "11", "12", "13", "14"});
  CHECK(q.receive(1).empty());
  CHECK(q.metrics().receive_calls == 3);
  CHECK(q.metrics().received == 15);
  CHECK(q.metrics().empty_receives == 1);
  CHECK(q.approximate_number_of_messages_not_visible() == 15);
  CHECK(q.approximate_number_of_messages() == 0);
  CHECK(q.size() == 15);
}

TEST_CASE("§8 visibility timeout: a received message is invisible until it expires, then returns",
          "[sources][sqs_queue][receive][visibility][spec-8][spec-3.3]") {
  esm::simulation sim;
  queue q{sim, "q"}; // visibility timeout 30 s
  q.send("m");
  const auto first = q.receive();
  REQUIRE(first.size() == 1);
  CHECK(q.approximate_number_of_messages_not_visible() == 1);
  CHECK(q.approximate_number_of_messages() == 0);
  CHECK(q.size() == 1); // received messages stay in the queue (§3.3)
  sim.run_for(30s - 1ns);
  CHECK(q.receive().empty());
  CHECK(q.metrics().returned == 0);
  sim.run_for(1ns);
  CHECK(q.metrics().returned == 1);
  CHECK(q.approximate_number_of_messages() == 1);
  CHECK(q.approximate_number_of_messages_not_visible() == 0);
  const auto second = q.receive();
  REQUIRE(second.size() == 1);
  CHECK(second[0].message_id() == first[0].message_id());
  CHECK(second[0].receipt != first[0].receipt);
  CHECK(second[0].receive_count == 2);
}

TEST_CASE("§3.4 ApproximateReceiveCount rises on every receive; ApproximateFirstReceiveTimestamp is set once",
          "[sources][sqs_queue][receive][spec-3.4][spec-4.3]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.visibility_timeout = 10s;
  queue q{sim, cfg};
  q.send("m");
  sim.run_for(2s);
  for (int n = 1; n <= 5; ++n) {
    const auto got = q.receive();
    REQUIRE(got.size() == 1);
    CHECK(got[0].receive_count == n);
    REQUIRE(got[0].first_received.has_value());
    CHECK(*got[0].first_received == at(2s));
    CHECK(got[0].sent == time_point{});
    CHECK(q.message(got[0].receipt) != nullptr);
    CHECK(q.message(got[0].receipt)->receive_count == n);
    sim.run_for(10s);
  }
  CHECK(q.metrics().received == 5);
  CHECK(q.metrics().returned == 5);
}

TEST_CASE("§8 receive options: a visibility timeout for this receive overrides the queue's, in [0s, 12h]",
          "[sources][sqs_queue][receive][visibility][spec-8]") {
  esm::simulation sim;
  queue q{sim, "q"};
  q.send("a");
  q.send("b");
  CHECK(esm_test::error_of([&] { (void)q.receive(1, {.visibility_timeout = 12h + 1s}); }) ==
        "sqs_queue 'q': visibility timeout must be in [0s, 12h], got 43201s");
  CHECK_THROWS_AS(q.receive(1, {.visibility_timeout = -1s}), esm::input_error);
  CHECK(q.metrics().received == 0);

  REQUIRE(q.receive(1, {.visibility_timeout = 5s}).size() == 1);  // a
  REQUIRE(q.receive(1, {.visibility_timeout = 12h}).size() == 1); // b
  sim.run_for(5s);
  const auto back = q.receive(10);
  CHECK(bodies(back) == std::vector<std::string>{"a"});
  sim.run_for(12h - 5s - 1ns);
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"a"}); // a again (now for 30 s); b still out
  sim.run_for(1ns);
  const auto b = q.receive(10);
  CHECK(bodies(b) == std::vector<std::string>{"b"});

  // Zero: visible again at once.
  esm::simulation sim2;
  queue z{sim2, "z"};
  z.send("m");
  REQUIRE(z.receive(1, {.visibility_timeout = 0s}).size() == 1);
  const auto again = z.receive(1);
  REQUIRE(again.size() == 1);
  CHECK(again[0].receive_count == 2);
}

TEST_CASE("§8 long polling: receive_async answers when a message arrives during the wait",
          "[sources][sqs_queue][receive][long-poll][spec-8]") {
  esm::simulation sim;
  queue q{sim, "q"};
  std::vector<std::pair<time_point, std::vector<std::string>>> calls;
  const auto record = [&](std::vector<message> got) { calls.emplace_back(sim.now(), bodies(got)); };
  q.receive_async(10, record, 20s);
  sim.run_for(5s);
  CHECK(calls.empty());
  q.send("hello");
  CHECK(calls.empty()); // never from inside send
  sim.run_for(0s);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].first == at(5s));
  CHECK(calls[0].second == std::vector<std::string>{"hello"});
  sim.run_for(20s);
  CHECK(calls.size() == 1); // answered once; the wait's timer is gone
  CHECK(q.approximate_number_of_messages_not_visible() == 1);

  // A message already there: answered from the event loop, not inside the call.
  q.send("ready");
  q.receive_async(1, record, 20s);
  CHECK(calls.size() == 1);
  sim.run_for(0s);
  REQUIRE(calls.size() == 2);
  CHECK(calls[1].second == std::vector<std::string>{"ready"});
}

TEST_CASE("§8 long polling: receive_async answers empty when the wait elapses; the wait is at most 20 s",
          "[sources][sqs_queue][receive][long-poll][spec-8]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.receive_wait = 20s;
  queue q{sim, cfg};
  std::vector<std::pair<time_point, std::size_t>> calls;
  const auto record = [&](std::vector<message> got) { calls.emplace_back(sim.now(), got.size()); };
  q.receive_async(1, record, 3s);
  sim.run_for(3s - 1ns);
  CHECK(calls.empty());
  sim.run_for(1ns);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0] == std::pair<time_point, std::size_t>{at(3s), 0});
  CHECK(q.metrics().empty_receives == 1);

  // Unset: the queue's ReceiveMessageWaitTimeSeconds.
  q.receive_async(1, record);
  sim.run_for(20s);
  REQUIRE(calls.size() == 2);
  CHECK(calls[1] == std::pair<time_point, std::size_t>{at(23s), 0});

  // Two waiters, one message: the first gets it, the second waits on and answers empty.
  q.receive_async(1, record, 10s);
  q.receive_async(1, record, 10s);
  sim.run_for(1s);
  q.send("only");
  sim.run_for(9s);
  REQUIRE(calls.size() == 4);
  CHECK(calls[2] == std::pair<time_point, std::size_t>{at(24s), 1});
  CHECK(calls[3] == std::pair<time_point, std::size_t>{at(33s), 0});

  const auto pending = sim.pending_events();
  CHECK(esm_test::error_of([&] { q.receive_async(1, record, 21s); }) == "sqs_queue 'q': wait must be in [0s, 20s], got 21s");
  CHECK_THROWS_AS(q.receive_async(1, record, -1s), esm::input_error);
  CHECK_THROWS_AS(q.receive_async(0, record, 1s), esm::input_error);
  CHECK_THROWS_AS(q.receive_async(11, record, 1s), esm::input_error);
  CHECK_THROWS_AS(q.receive_async(1, record, 1s, {.visibility_timeout = 12h + 1s}), esm::input_error);
  CHECK(sim.pending_events() == pending); // nothing was registered
  CHECK_NOTHROW(q.receive_async(1, record, 20s));
  CHECK_NOTHROW(q.receive_async(1, record, 0s));
}

TEST_CASE("a queue destroyed while a long poll waits leaves no event behind", "[sources][sqs_queue][long-poll]") {
  esm::simulation sim;
  bool called = false;
  {
    auto q = std::make_unique<queue>(sim, "q");
    q->receive_async(
        1, [&](std::vector<message>) { called = true; }, 20s);
    q->send("x"); // the waiter is answered from the event loop: an event is pending
    q->send("y");
    REQUIRE(q->receive(1, {.visibility_timeout = 5s}).size() == 1);
  }
  REQUIRE(sim.pending_events() == 0);
  sim.run_for(30s);
  CHECK_FALSE(called);
}

// --- delete ---------------------------------------------------------------------------------------

TEST_CASE("§3.4 delete by receipt handle or its text; a repeat with the same handle is accepted",
          "[sources][sqs_queue][delete][spec-3.4]") {
  esm::simulation sim;
  queue q{sim, "q"};
  q.send("a");
  q.send("b");
  const auto got = q.receive(10);
  REQUIRE(got.size() == 2);
  const std::string text = got[1].receipt_handle_text();
  CHECK(text.size() == 36);
  CHECK(text.starts_with("AQEB"));
  CHECK(esm::receipt_handle::parse(text) == got[1].receipt);
  CHECK(q.is_current(got[0].receipt));

  q.delete_message(got[0].receipt);
  CHECK(q.size() == 1);
  CHECK_FALSE(q.is_current(got[0].receipt));
  CHECK(q.message(got[0].receipt) == nullptr);
  q.delete_message(text);
  CHECK(q.size() == 0);
  CHECK(q.metrics().deleted == 2);
  CHECK(q.approximate_number_of_messages_not_visible() == 0);

  CHECK_NOTHROW(q.delete_message(got[0].receipt));
  CHECK_NOTHROW(q.delete_message(text));
  CHECK(q.try_delete(got[0].receipt) == esm::delete_status::already_deleted);
  CHECK(q.metrics().deleted == 2);

  // Deleted messages never come back.
  sim.run_for(1h);
  CHECK(q.receive(10).empty());
  CHECK(conserved(q));
}

TEST_CASE("§3.4 delete: a stale handle (the message was received again) is refused; the latest one works",
          "[sources][sqs_queue][delete][spec-3.4][spec-3.3]") {
  esm::simulation sim;
  queue q{sim, "q"};
  q.send("m");
  const auto first = q.receive(1, {.visibility_timeout = 1s});
  REQUIRE(first.size() == 1);
  sim.run_for(1s);
  const auto second = q.receive(1);
  REQUIRE(second.size() == 1);
  const auto old = first[0].receipt;
  CHECK_FALSE(q.is_current(old));
  CHECK(esm_test::error_of([&] { q.delete_message(old); }) ==
        "sqs_queue 'q': stale receipt handle " + old.text() + " (the message was received again since)");
  CHECK_THROWS_AS(q.delete_message(first[0].receipt_handle_text()), esm::input_error);
  CHECK(q.try_delete(old) == esm::delete_status::stale_handle);
  CHECK(q.size() == 1);
  CHECK(q.try_delete(second[0].receipt) == esm::delete_status::deleted);
  CHECK(q.try_delete(second[0].receipt) == esm::delete_status::already_deleted);
  CHECK(q.try_delete(old) == esm::delete_status::already_deleted); // the message is gone: any handle of it
  CHECK(q.size() == 0);
  CHECK(q.metrics().deleted == 1);
}

TEST_CASE("§3.3 delete: a message visible again but not yet received again is deleted with its latest handle",
          "[sources][sqs_queue][delete][spec-3.3]") {
  esm::simulation sim;
  queue q{sim, "q"};
  q.send("m");
  const auto got = q.receive(1, {.visibility_timeout = 1s});
  REQUIRE(got.size() == 1);
  sim.run_for(2s);
  CHECK(q.approximate_number_of_messages() == 1);
  CHECK(q.is_current(got[0].receipt));
  q.delete_message(got[0].receipt);
  CHECK(q.size() == 0);
  CHECK(q.approximate_number_of_messages() == 0);
  CHECK(q.receive(10).empty());
}

TEST_CASE("delete: malformed handles, handles of another queue and never-issued handles are refused",
          "[sources][sqs_queue][delete]") {
  esm::simulation sim;
  queue q{sim, "q"};
  queue other{sim, "other"};
  q.send("mine");
  other.send("theirs");
  const auto theirs = other.receive();
  REQUIRE(theirs.size() == 1);
  CHECK(esm_test::error_of([&] { q.delete_message(std::string_view{"nope"}); }) ==
        "sqs_queue 'q': malformed receipt handle 'nope'");
  CHECK_THROWS_AS(q.delete_message("AQEB" + std::string(32, 'g')), esm::input_error);
  CHECK_THROWS_AS(q.delete_message("AQEB" + std::string(32, 'A')), esm::input_error); // upper-case hex is not ours
  CHECK_THROWS_AS(q.delete_message("AQEC" + std::string(32, '0')), esm::input_error);
  CHECK_THROWS_AS(q.delete_message(std::string(37, '0')), esm::input_error);
  CHECK(esm_test::error_of([&] { q.delete_message(theirs[0].receipt); }) ==
        "sqs_queue 'q': receipt handle of another queue: " + theirs[0].receipt_handle_text());
  CHECK_THROWS_AS(q.delete_message(theirs[0].receipt_handle_text()), esm::input_error);
  CHECK(q.try_delete(theirs[0].receipt) == esm::delete_status::stale_handle);
  CHECK(other.is_current(theirs[0].receipt)); // untouched
  CHECK(other.size() == 1);

  // A handle naming a message that was never received, or a slot that does not exist.
  const auto mine = q.receive();
  REQUIRE(mine.size() == 1);
  auto never = mine[0].receipt;
  never.receive = 0;
  CHECK_THROWS_AS(q.delete_message(never), esm::input_error);
  auto nowhere = mine[0].receipt;
  nowhere.slot = 12345;
  CHECK(q.try_delete(nowhere) == esm::delete_status::stale_handle);
  CHECK(q.size() == 1);
  CHECK(q.metrics().deleted == 0);
}

// --- change_visibility ----------------------------------------------------------------------------

TEST_CASE("§8 change_visibility extends or shortens the timeout of an in-flight message",
          "[sources][sqs_queue][visibility][spec-8][spec-3.3]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.visibility_timeout = 10s;
  queue q{sim, cfg};
  q.send("m");
  const auto got = q.receive();
  REQUIRE(got.size() == 1);
  sim.run_for(5s);
  q.change_visibility(got[0].receipt, 20s); // visible at 25 s instead of 10 s
  sim.run_until(at(25s) - 1ns);
  CHECK(q.receive().empty());
  CHECK(q.metrics().returned == 0);
  CHECK(q.is_current(got[0].receipt)); // the handle stays the latest
  sim.run_for(1ns);
  CHECK(q.metrics().returned == 1);
  const auto again = q.receive();
  REQUIRE(again.size() == 1);
  CHECK(again[0].receive_count == 2);

  // By text, and shortening.
  q.change_visibility(again[0].receipt_handle_text(), 1s);
  sim.run_for(1s);
  CHECK(q.approximate_number_of_messages() == 1);
}

TEST_CASE("§8 change_visibility to 0 makes the message visible at once", "[sources][sqs_queue][visibility][spec-8]") {
  esm::simulation sim;
  queue q{sim, "q"};
  counting_listener l;
  q.add_listener(&l);
  q.send("m");
  CHECK(l.told == 1);
  const auto got = q.receive();
  REQUIRE(got.size() == 1);
  q.change_visibility(got[0].receipt, 0s);
  CHECK(q.approximate_number_of_messages() == 1);
  CHECK(q.approximate_number_of_messages_not_visible() == 0);
  CHECK(l.told == 2);
  const auto again = q.receive();
  REQUIRE(again.size() == 1);
  CHECK(again[0].receive_count == 2);
  CHECK(sim.now() == time_point{});
  q.remove_listener(&l);
}

TEST_CASE("§8 change_visibility refuses a timeout outside [0s, 12h] and a message not in flight",
          "[sources][sqs_queue][visibility][spec-8]") {
  esm::simulation sim;
  queue q{sim, "q"};
  q.send("m");
  const auto got = q.receive(1, {.visibility_timeout = 5s});
  REQUIRE(got.size() == 1);
  const auto h = got[0].receipt;
  CHECK(esm_test::error_of([&] { q.change_visibility(h, 12h + 1s); }) ==
        "sqs_queue 'q': visibility timeout must be in [0s, 12h], got 43201s");
  CHECK_THROWS_AS(q.change_visibility(h, -1s), esm::input_error);
  CHECK_NOTHROW(q.change_visibility(h, 12h));
  CHECK_NOTHROW(q.change_visibility(h, 5s));
  CHECK_THROWS_AS(q.change_visibility(std::string_view{"garbage"}, 1s), esm::input_error);

  sim.run_for(5s); // visible again: no longer in flight
  CHECK(esm_test::error_of([&] { q.change_visibility(h, 10s); }) ==
        "sqs_queue 'q': receipt handle " + h.text() + " does not name an in-flight message");
  CHECK_FALSE(q.try_change_visibility(h, 10s));
  CHECK(q.approximate_number_of_messages() == 1);

  const auto again = q.receive();
  REQUIRE(again.size() == 1);
  CHECK_THROWS_AS(q.change_visibility(h, 10s), esm::input_error); // stale
  q.delete_message(again[0].receipt);
  CHECK_FALSE(q.try_change_visibility(again[0].receipt, 10s)); // gone
  CHECK_THROWS_AS(q.change_visibility(again[0].receipt, 10s), esm::input_error);
}

// --- retention ------------------------------------------------------------------------------------

TEST_CASE("§8 retention: messages older than MessageRetentionPeriod expire; ApproximateAgeOfOldestMessage",
          "[sources][sqs_queue][retention][spec-8]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.retention = 60s;
  queue q{sim, cfg};
  CHECK(q.approximate_age_of_oldest_message() == 0s);
  q.send("old");
  sim.run_for(10s);
  CHECK(q.approximate_age_of_oldest_message() == 10s);
  sim.run_for(20s);
  q.send("young");
  q.send("in flight");
  sim.run_for(1s);
  CHECK(bodies(q.receive(1)) == std::vector<std::string>{"old"}); // in flight now; expires all the same
  const auto young_flight = q.receive(2, {.visibility_timeout = 12h});
  CHECK(bodies(young_flight) == std::vector<std::string>{"young", "in flight"});
  REQUIRE(q.receive(1).empty());
  sim.run_until(at(60s) - 1ns);
  CHECK(q.approximate_age_of_oldest_message() == 60s - 1ns);
  CHECK(q.metrics().expired == 0);
  sim.run_for(1ns);
  CHECK(q.approximate_age_of_oldest_message() == 30s);
  CHECK(q.metrics().expired == 1);
  CHECK(q.size() == 2);
  CHECK(conserved(q));
  // The two others, in flight for 12 h, expire at 90 s all the same.
  sim.run_for(30s - 1ns);
  CHECK(q.size() == 2);
  CHECK(q.approximate_age_of_oldest_message() == 60s - 1ns);
  sim.run_for(1ns);
  CHECK(q.receive(10).empty());
  CHECK(q.metrics().expired == 3);
  CHECK(q.size() == 0);
  CHECK(q.approximate_age_of_oldest_message() == 0s);
  CHECK_NOTHROW(q.delete_message(young_flight[0].receipt)); // expired: gone, the delete is a no-op
  CHECK(q.try_delete(young_flight[0].receipt) == esm::delete_status::already_deleted);
  CHECK(conserved(q));
}

TEST_CASE("§8 retention: a visible message past retention is not received", "[sources][sqs_queue][retention][spec-8]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.retention = 60s;
  queue q{sim, cfg};
  q.send("a");
  sim.run_for(59s);
  q.send("b");
  sim.run_for(1s);
  const auto got = q.receive(10);
  CHECK(bodies(got) == std::vector<std::string>{"b"});
  CHECK(q.metrics().expired == 1);
  CHECK(q.metrics().received == 1);
  CHECK(conserved(q));
}

// --- redrive --------------------------------------------------------------------------------------

TEST_CASE("§8 redrive policy: maxReceiveCount in [1, 1000]; the queue cannot be its own DLQ",
          "[sources][sqs_queue][redrive][config][spec-8]") {
  esm::simulation sim;
  queue src{sim, "src"};
  queue dlq{sim, "dlq"};
  CHECK(src.dead_letter_queue() == nullptr);
  CHECK(esm_test::error_of([&] { src.set_redrive_policy(dlq, 0); }) ==
        "max_receive_count must be in [1, 1000] for sqs_queue 'src', got 0");
  CHECK(esm_test::error_of([&] { src.set_redrive_policy(dlq, 1001); }) ==
        "max_receive_count must be in [1, 1000] for sqs_queue 'src', got 1001");
  CHECK_THROWS_AS(src.set_redrive_policy(dlq, -1), esm::config_error);
  CHECK(src.dead_letter_queue() == nullptr);
  CHECK(esm_test::error_of([&] { src.set_redrive_policy(src, 5); }) ==
        "dead_letter_queue must be another queue for sqs_queue 'src', got the queue itself");
  CHECK(src.dead_letter_queue() == nullptr);
  CHECK_NOTHROW(src.set_redrive_policy(dlq, 1));
  CHECK(src.max_receive_count() == 1);
  CHECK_NOTHROW(src.set_redrive_policy(dlq, 1000));
  CHECK(src.dead_letter_queue() == &dlq);
  CHECK(src.max_receive_count() == 1000);
  src.clear_redrive_policy();
  CHECK(src.dead_letter_queue() == nullptr);
}

TEST_CASE("§3.4 redrive: after maxReceiveCount receives, the next receive moves the message to the DLQ",
          "[sources][sqs_queue][redrive][spec-3.4][spec-8]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "src";
  cfg.visibility_timeout = 1s;
  queue src{sim, cfg};
  queue dlq{sim, "dlq"};
  src.set_redrive_policy(dlq, 3);
  const auto sent = src.send("poison", {.attributes = {{"k", "String", "v"}}});
  std::vector<message> receipts;
  for (int n = 1; n <= 3; ++n) {
    const auto got = src.receive(1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].body == "poison");
    CHECK(got[0].receive_count == n); // not moved before its 4th receive
    receipts.push_back(got[0]);
    sim.run_for(1s);
  }
  CHECK(src.metrics().redriven_out == 0);
  CHECK(dlq.size() == 0);
  src.send("healthy");
  // The 4th receive moves it and returns the next message instead.
  const auto next = src.receive(1);
  CHECK(bodies(next) == std::vector<std::string>{"healthy"});
  CHECK(src.metrics().redriven_out == 1);
  CHECK(dlq.metrics().redriven_in == 1);
  CHECK(src.size() == 1);
  CHECK(dlq.size() == 1);
  CHECK(dlq.approximate_number_of_messages() == 1);
  CHECK_NOTHROW(src.delete_message(receipts.back().receipt)); // gone from the source: a no-op
  CHECK(src.try_delete(receipts.back().receipt) == esm::delete_status::already_deleted);
  CHECK(src.metrics().deleted == 0);

  const auto moved = dlq.receive(10);
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].message_id() == sent.message_id);
  CHECK(moved[0].body == "poison");
  CHECK(moved[0].attributes == std::vector<esm::message_attribute>{{"k", "String", "v"}});
  CHECK(moved[0].sent == time_point{});
  CHECK(moved[0].receive_count == 4); // carried over, plus this receive
  CHECK(moved[0].first_received == time_point{});
  dlq.delete_message(moved[0].receipt);
  CHECK_THROWS_AS(src.delete_message(moved[0].receipt), esm::input_error); // a DLQ handle is not the source's

  src.delete_message(next[0].receipt);
  CHECK(conserved(src));
  CHECK(conserved(dlq));
  CHECK(src.metrics().sent == 2);
  CHECK(dlq.metrics().sent == 0);
}

TEST_CASE("a DLQ destroyed before its source queue ends the redrive policy: the messages stay and are received again "
          "(fidelity Q20)",
          "[sources][sqs_queue][redrive][lifetime]") {
  esm::simulation sim;
  queue src{sim, {.name = "src", .visibility_timeout = 1s}};
  auto dlq = std::make_unique<queue>(sim, "dlq");
  src.set_redrive_policy(*dlq, 1);
  src.send("poison");
  REQUIRE(src.receive(1).size() == 1);
  sim.run_for(1s);
  dlq.reset(); // the DLQ is deleted
  CHECK(src.dead_letter_queue() == nullptr);
  const auto again = src.receive(1); // past maxReceiveCount, but there is no DLQ to move it to
  REQUIRE(again.size() == 1);
  CHECK(again[0].receive_count == 2);
  CHECK(src.metrics().redriven_out == 0);
  CHECK(conserved(src));
}

TEST_CASE("a source queue destroyed before its DLQ leaves the DLQ usable; policies move between DLQs cleanly",
          "[sources][sqs_queue][redrive][lifetime]") {
  esm::simulation sim;
  queue dlq{sim, "dlq"};
  queue other{sim, "other"};
  {
    queue src{sim, "src"};
    src.set_redrive_policy(dlq, 2);
    src.set_redrive_policy(other, 2); // moves: dlq no longer names src
    src.set_redrive_policy(other, 3); // same DLQ, new count
    CHECK(src.dead_letter_queue() == &other);
    CHECK(src.max_receive_count() == 3);
    src.clear_redrive_policy();
    src.set_redrive_policy(dlq, 2);
  } // src destroyed: dlq forgets it, so destroying dlq later touches nothing freed (ASan checks)
  dlq.send("x");
  CHECK(dlq.receive(1).size() == 1);
}

TEST_CASE("§3.4 redrive: a message deleted before maxReceiveCount never reaches the DLQ; counters are conserved",
          "[sources][sqs_queue][redrive][spec-3.4]") {
  esm::simulation sim{esm::simulation_options{.seed = 3}};
  esm::sqs_queue_config cfg;
  cfg.name = "src";
  cfg.visibility_timeout = 2s;
  cfg.retention = 120s;
  queue src{sim, cfg};
  queue dlq{sim, "dlq"};
  src.set_redrive_policy(dlq, 2);
  for (int i = 0; i < 50; ++i) src.send(std::to_string(i));
  // Delete even-numbered bodies on their 2nd receive; never delete odd ones.
  for (int round = 0; round < 10; ++round) {
    for (;;) {
      const auto got = src.receive(10);
      if (got.empty()) break;
      for (const auto& m : got) {
        if (std::stoi(m.body) % 2 == 0 && m.receive_count == 2) src.delete_message(m.receipt);
      }
    }
    CHECK(conserved(src));
    CHECK(conserved(dlq));
    sim.run_for(2s);
  }
  CHECK(src.metrics().deleted == 25);
  CHECK(src.metrics().redriven_out == 25);
  CHECK(dlq.metrics().redriven_in == 25);
  CHECK(src.size() == 0);
  std::set<std::string> in_dlq;
  for (const auto& m : dlq.receive(10)) in_dlq.insert(m.body);
  for (const auto& m : dlq.receive(10)) in_dlq.insert(m.body);
  for (const auto& m : dlq.receive(10)) in_dlq.insert(m.body);
  CHECK(in_dlq.size() == 25);
  for (const auto& b : in_dlq) CHECK(std::stoi(b) % 2 == 1);
  // Expiry joins the balance too.
  src.send("late");
  sim.run_for(121s);
  CHECK(src.receive(10).empty());
  CHECK(src.metrics().expired == 1);
  CHECK(conserved(src));
  CHECK(conserved(dlq));
}

// --- in-flight limit ------------------------------------------------------------------------------

TEST_CASE("§8 in-flight limit: at 120,000 in-flight messages a standard queue's receive returns nothing",
          "[sources][sqs_queue][limits][spec-8]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.visibility_timeout = 12h;
  queue q{sim, cfg};
  for (int i = 0; i < 120'001; ++i) q.send("m");
  std::vector<esm::receipt_handle> handles;
  while (q.approximate_number_of_messages_not_visible() < queue::in_flight_limit) {
    const std::size_t before = handles.size();
    q.receive_handles(handles, 10);
    REQUIRE(handles.size() > before);
  }
  CHECK(q.approximate_number_of_messages_not_visible() == 120'000);
  CHECK(q.metrics().over_limit_receives == 0);
  CHECK(q.approximate_number_of_messages() == 1);
  CHECK(q.receive(10).empty());
  CHECK(q.metrics().over_limit_receives == 1);
  CHECK(q.approximate_number_of_messages() == 1);
  q.delete_message(handles.front());
  const auto last = q.receive(10);
  REQUIRE(last.size() == 1);
  CHECK(last[0].receive_count == 1);
  CHECK(q.metrics().over_limit_receives == 1);
  CHECK(conserved(q));
}

// --- at-least-once model --------------------------------------------------------------------------

TEST_CASE("§8 at-least-once: by default a standard queue delivers each message once, in order",
          "[sources][sqs_queue][delivery][spec-8]") {
  esm::simulation sim{esm::simulation_options{.seed = 11}};
  queue q{sim, "q"};
  for (int i = 0; i < 100; ++i) q.send(std::to_string(i));
  std::vector<std::string> order;
  for (;;) {
    const auto got = q.receive(3);
    if (got.empty()) break;
    for (const auto& m : got) {
      order.push_back(m.body);
      CHECK(m.receive_count == 1);
    }
  }
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(order[static_cast<std::size_t>(i)] == std::to_string(i));
  CHECK(q.metrics().duplicate_deliveries == 0);
  CHECK(q.metrics().received == 100);
}

TEST_CASE("§8 at-least-once: with duplicate_rate 1 a message is delivered twice while in flight",
          "[sources][sqs_queue][delivery][spec-8]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.delivery.duplicate_rate = 1.0;
  queue q{sim, cfg};
  q.send("m");
  const auto first = q.receive(10);
  REQUIRE(first.size() == 1); // never twice in one response
  const auto second = q.receive(10);
  REQUIRE(second.size() == 1);
  CHECK(second[0].message_id() == first[0].message_id());
  CHECK(second[0].receive_count == 2);
  CHECK(second[0].receipt != first[0].receipt);
  CHECK(q.metrics().duplicate_deliveries == 1);
  CHECK(q.metrics().received == 2);
  CHECK(q.approximate_number_of_messages_not_visible() == 1);
  CHECK(q.receive(10).empty()); // twice, not forever
  // The second receipt makes the first stale.
  CHECK_THROWS_AS(q.delete_message(first[0].receipt), esm::input_error);
  q.delete_message(second[0].receipt);
  CHECK(q.size() == 0);
  CHECK(q.receive(10).empty());
  CHECK(conserved(q));
}

TEST_CASE("§8 at-least-once: a duplicate of a message deleted first is not delivered",
          "[sources][sqs_queue][delivery][spec-8]") {
  esm::simulation sim;
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.delivery.duplicate_rate = 1.0;
  queue q{sim, cfg};
  q.send("a");
  q.send("b");
  const auto got = q.receive(1);
  REQUIRE(got.size() == 1);
  q.delete_message(got[0].receipt);
  const auto rest = q.receive(10);
  CHECK(bodies(rest) == std::vector<std::string>{"b"});
  CHECK(q.metrics().duplicate_deliveries == 0);
}

namespace {
/// Receives everything one message at a time (deleting each), with the given model; returns what
/// was seen as "body#receive_count".
std::vector<std::string> delivery_log(std::uint64_t seed, esm::at_least_once model) {
  esm::simulation sim{esm::simulation_options{.seed = seed}};
  esm::sqs_queue_config cfg;
  cfg.name = "q";
  cfg.delivery = model;
  queue q{sim, cfg};
  for (int i = 0; i < 200; ++i) q.send(std::to_string(i));
  std::vector<std::string> log;
  for (;;) {
    const auto got = q.receive(1);
    if (got.empty()) break;
    log.push_back(got[0].body + "#" + std::to_string(got[0].receive_count));
    if (std::stoi(got[0].body) % 3 != 0) {
      q.delete_message(got[0].receipt); // leave every third message in flight, so its duplicate can come
    }
  }
  return log;
}
} // namespace

TEST_CASE("§8 at-least-once: reordering and duplicates are seeded: same seed, same deliveries",
          "[sources][sqs_queue][delivery][spec-8]") {
  const esm::at_least_once model{.duplicate_rate = 0.3, .reorder_rate = 0.5};
  const auto a = delivery_log(7, model);
  const auto b = delivery_log(7, model);
  const auto c = delivery_log(8, model);
  CHECK(a == b);
  CHECK(a != c);
  // Some receives were out of order, some messages were delivered twice.
  std::size_t out_of_order = 0;
  std::size_t duplicates = 0;
  int last = -1;
  for (const auto& e : a) {
    const int body = std::stoi(e.substr(0, e.find('#')));
    if (e.ends_with("#2")) {
      ++duplicates;
      continue;
    }
    if (body < last) ++out_of_order;
    last = std::max(last, body);
  }
  CHECK(out_of_order > 0);
  CHECK(duplicates > 0);
  // Every message was delivered at least once.
  std::set<std::string> seen;
  for (const auto& e : a) seen.insert(e.substr(0, e.find('#')));
  CHECK(seen.size() == 200);

  // Off: exact order, no duplicates, whatever the seed.
  const auto off = delivery_log(7, {});
  REQUIRE(off.size() == 200);
  for (std::size_t i = 0; i < off.size(); ++i) CHECK(off[i] == std::to_string(i) + "#1");
  CHECK(delivery_log(8, {}) == off);
}

// --- listeners ------------------------------------------------------------------------------------

TEST_CASE("listeners are told on send and when messages return after their visibility timeout",
          "[sources][sqs_queue][listener][spec-3.3]") {
  esm::simulation sim;
  queue q{sim, "q"};
  counting_listener a;
  counting_listener b;
  q.add_listener(&a);
  q.add_listener(&b);
  q.send("m");
  CHECK(a.told == 1);
  CHECK(b.told == 1);
  const auto got = q.receive(1, {.visibility_timeout = 5s});
  REQUIRE(got.size() == 1);
  CHECK(a.told == 1); // not on receive
  sim.run_for(5s - 1ns);
  CHECK(a.told == 1);
  sim.run_for(1ns);
  CHECK(a.told == 2); // the message returned
  CHECK(b.told == 2);

  // A delayed message: told when it is due, not when it is sent.
  q.remove_listener(&b);
  q.send("later", {.delay = 10s});
  CHECK(a.told == 2);
  sim.run_for(10s);
  CHECK(a.told == 3);
  CHECK(b.told == 2); // removed

  // Deleting a message on a standard queue makes nothing receivable.
  const auto all = q.receive(10);
  REQUIRE(all.size() == 2);
  for (const auto& m : all) q.delete_message(m.receipt);
  CHECK(a.told == 3);
  sim.run_for(1h);
  CHECK(a.told == 3);
  q.remove_listener(&a);
}

// --- model check ----------------------------------------------------------------------------------

TEST_CASE("§8 model check: a standard receive takes only visible messages, all of them when it can, new ones in order",
          "[sources][sqs_queue][model][spec-8][spec-3.3]") {
  struct modelled {
    bool deleted = false;
    std::optional<time_point> until{};
    esm::receipt_handle latest{};
    bool received = false;
  };
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    esm::simulation sim{esm::simulation_options{.seed = seed}};
    esm::random_stream rng = sim.rng("test-driver");
    esm::sqs_queue_config cfg;
    cfg.name = "q";
    cfg.visibility_timeout = 2s;
    queue q{sim, cfg};
    std::vector<modelled> msgs;
    std::vector<std::pair<std::size_t, esm::receipt_handle>> issued;
    std::size_t newest_first_receipt = 0;
    const auto visible = [&](const modelled& m, time_point now) { return !m.deleted && !(m.until && *m.until > now); };
    for (int op = 0; op < 1500; ++op) {
      const auto kind = rng.uniform_int(0, 9);
      const time_point now = sim.now();
      if (kind <= 2) {
        q.send(std::to_string(msgs.size()));
        msgs.emplace_back();
      } else if (kind <= 4) {
        const int max = static_cast<int>(rng.uniform_int(1, 10));
        const esm::duration vis = std::chrono::seconds{rng.uniform_int(0, 3)};
        const auto got = q.receive(max, {.visibility_timeout = vis});
        std::set<std::size_t> taken;
        for (const auto& m : got) {
          const auto i = static_cast<std::size_t>(std::stoul(m.body));
          REQUIRE(visible(msgs[i], now));
          REQUIRE(taken.insert(i).second);
          if (!msgs[i].received) { // first receipts come in the order of sending
            REQUIRE((newest_first_receipt == 0 || i + 1 > newest_first_receipt));
            newest_first_receipt = i + 1;
          }
          msgs[i].received = true;
          msgs[i].until = now + vis;
          msgs[i].latest = m.receipt;
          issued.emplace_back(i, m.receipt);
        }
        if (static_cast<int>(got.size()) < max) { // short: nothing visible was left behind
          for (std::size_t i = 0; i < msgs.size(); ++i) {
            if (!taken.contains(i)) REQUIRE_FALSE(visible(msgs[i], now));
          }
        }
      } else if (kind <= 6 && !issued.empty()) {
        const auto& [i, h] =
            issued[static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(issued.size()) - 1))];
        auto& mm = msgs[i];
        // Latest receipt of a stored message: deleted; any receipt of a message gone: accepted;
        // an older receipt of a stored message: stale.
        const auto expected = !mm.deleted && h == mm.latest ? esm::delete_status::deleted
                              : mm.deleted                  ? esm::delete_status::already_deleted
                                                            : esm::delete_status::stale_handle;
        REQUIRE(q.try_delete(h) == expected);
        if (expected == esm::delete_status::deleted) mm.deleted = true;
      } else if (kind == 7 && !issued.empty()) {
        const auto& [i, h] =
            issued[static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(issued.size()) - 1))];
        auto& mm = msgs[i];
        const esm::duration t = std::chrono::seconds{rng.uniform_int(0, 3)};
        const bool expected = !mm.deleted && h == mm.latest && mm.until && *mm.until > now;
        REQUIRE(q.try_change_visibility(h, t) == expected);
        if (expected) mm.until = now + t;
      } else {
        sim.run_for(std::chrono::milliseconds{rng.uniform_int(0, 2500)});
        const time_point t = sim.now();
        std::size_t live = 0;
        std::size_t in_flight = 0;
        for (const auto& m : msgs) {
          if (m.deleted) continue;
          ++live;
          if (!visible(m, t)) ++in_flight;
        }
        REQUIRE(q.size() == live);
        REQUIRE(q.approximate_number_of_messages_not_visible() == in_flight);
        REQUIRE(q.approximate_number_of_messages() == live - in_flight);
        REQUIRE(q.receivable_now() == (live > in_flight));
      }
      REQUIRE(conserved(q));
    }
  }
}

TEST_CASE("§3.4 a repeated delete is accepted even after the message's storage was reused and deleted again",
          "[sources][sqs_queue][delete][spec-3.4]") {
  // Receipts name the message stored (slot and generation), so a freed and reused slot does not
  // confuse an old handle with the new message.
  esm::simulation sim;
  queue q{sim, "q"};
  q.send("a");
  const auto a = q.receive();
  REQUIRE(a.size() == 1);
  q.delete_message(a[0].receipt);
  q.send("b"); // stored where "a" was
  const auto b = q.receive();
  REQUIRE(b.size() == 1);
  CHECK(q.try_delete(a[0].receipt) == esm::delete_status::already_deleted); // still known
  q.delete_message(b[0].receipt);
  CHECK(q.try_delete(a[0].receipt) == esm::delete_status::already_deleted);
  CHECK_NOTHROW(q.delete_message(a[0].receipt));
  CHECK(q.metrics().deleted == 2);
}

TEST_CASE("a send, a receive and a delete allocate nothing once the queue's storage has grown",
          "[sources][sqs_queue][alloc]") {
  // Performance: per message, the queue reuses its slots, rings and the simulation's event
  // storage; an error message (the queue's name) is built only when a check fails.
  esm::simulation sim;
  esm::sqs_queue<int> q{sim, {.name = "orders-with-a-long-name", .delay = 1s}};
  std::vector<esm::receipt_handle> got;
  got.reserve(10);
  const auto cycle = [&](int n) {
    for (int i = 0; i < n; ++i) (void)q.send(i);
    sim.run_for(1s); // the queue's delay
    while (true) {
      got.clear();
      if (q.receive_handles(got, 10) == 0) break;
      for (const auto r : got) q.delete_message(r);
    }
  };
  cycle(100); // warm up
  esm_test::allocation_scope scope;
  for (int round = 0; round < 20; ++round) cycle(100);
  CHECK(scope.count() == 0);
  CHECK(q.metrics().deleted == 2100);
  CHECK(q.size() == 0);
}
