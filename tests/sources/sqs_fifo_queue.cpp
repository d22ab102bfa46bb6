// Tests of esm/sources/sqs_fifo_queue.hpp (esm::basic_sqs_queue<Body, true>) used as a plain
// queue, without a poller: settings, per-group order, group locking, deduplication (by id and by
// content), sequence numbers, retention, redrive to a FIFO dead-letter queue, the in-flight limit,
// the scan limit, long polling and listeners.
// Spec: aws-esm-semantics.md §3.6 (FIFO specifics), §8 (SQS queue attributes), §3.4 (DLQ),
// §4.3 (message fields).
#include <esm/sources/sqs_fifo_queue.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using fifo = esm::sqs_fifo_queue<std::string>;
using message = fifo::message_type;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

/// Whether settings have an at-least-once model.
template <class C>
constexpr bool has_delivery = requires(C c) {
  c.delivery;
};

/// FIFO settings with the given name.
esm::sqs_fifo_queue_config fifo_config(std::string name = "q.fifo") {
  esm::sqs_fifo_queue_config c;
  c.name = std::move(name);
  return c;
}

/// Builds a FIFO queue named `q.fifo` with `set` applied; "ok" or the config_error's text.
std::string construct(auto&& set) {
  auto c = fifo_config();
  set(c);
  esm::simulation sim;
  try {
    fifo q{sim, c};
  } catch (const esm::config_error& e) {
    return e.what();
  }
  return "ok";
}

/// Send options of a FIFO message.
esm::send_options in(std::string group, std::string dedup) {
  esm::send_options o;
  o.group_id = std::move(group);
  o.deduplication_id = std::move(dedup);
  return o;
}

std::vector<std::string> bodies(const std::vector<message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.body);
  return out;
}

bool conserved(const fifo& q) {
  const auto& m = q.metrics();
  return m.sent + m.redriven_in == q.size() + m.deleted + m.redriven_out + m.expired;
}

struct counting_listener final : esm::queue_listener {
  int told = 0;
  void on_messages_available() override { ++told; }
};

template <class Q, class D>
concept can_redrive_to = requires(Q& q, D& d) {
  q.set_redrive_policy(d, 1);
};

} // namespace

// --- settings -------------------------------------------------------------------------------------

TEST_CASE("§8 FIFO queue attributes: each setting is accepted at both ends of its range and refused one step outside",
          "[sources][sqs_fifo_queue][config][spec-8]") {
  const esm::sqs_fifo_queue_config defaults;
  CHECK(defaults.name == "queue.fifo");
  CHECK_FALSE(defaults.content_based_deduplication);
  CHECK(defaults.visibility_timeout == 30s);
  CHECK(defaults.retention == 96h);
  CHECK(construct([](auto&) {}) == "ok");
  CHECK(construct([](auto& c) { c.content_based_deduplication = true; }) == "ok");

  CHECK(construct([](auto& c) { c.visibility_timeout = 0s; }) == "ok");
  CHECK(construct([](auto& c) { c.visibility_timeout = 12h; }) == "ok");
  CHECK(construct([](auto& c) { c.visibility_timeout = 12h + 1s; }) ==
        "visibility_timeout must be in [0s, 43200s] for sqs_fifo_queue 'q.fifo', got 43201s");
  CHECK(construct([](auto& c) { c.visibility_timeout = -1s; }) ==
        "visibility_timeout must be in [0s, 43200s] for sqs_fifo_queue 'q.fifo', got -1s");
  CHECK(construct([](auto& c) { c.delay = 0s; }) == "ok");
  CHECK(construct([](auto& c) { c.delay = 900s; }) == "ok");
  CHECK(construct([](auto& c) { c.delay = 901s; }) ==
        "delay must be in [0s, 900s] for sqs_fifo_queue 'q.fifo', got 901s");
  CHECK(construct([](auto& c) { c.delay = -1s; }) ==
        "delay must be in [0s, 900s] for sqs_fifo_queue 'q.fifo', got -1s");
  CHECK(construct([](auto& c) { c.delay = 500ms; }) ==
        "delay must be a whole number of seconds in [0s, 900s] for sqs_fifo_queue 'q.fifo', got 500ms");
  CHECK(construct([](auto& c) { c.retention = 60s; }) == "ok");
  CHECK(construct([](auto& c) { c.retention = 24h * 14; }) == "ok");
  CHECK(construct([](auto& c) { c.retention = 59s; }) ==
        "retention must be in [60s, 1209600s] for sqs_fifo_queue 'q.fifo', got 59s");
  CHECK(construct([](auto& c) { c.retention = 24h * 14 + 1s; }) ==
        "retention must be in [60s, 1209600s] for sqs_fifo_queue 'q.fifo', got 1209601s");
  CHECK(construct([](auto& c) { c.maximum_message_size = 1024; }) == "ok");
  CHECK(construct([](auto& c) { c.maximum_message_size = 1'048'576; }) == "ok");
  CHECK(construct([](auto& c) { c.maximum_message_size = 1023; }) ==
        "maximum_message_size must be in [1024, 1048576] for sqs_fifo_queue 'q.fifo', got 1023");
  CHECK(construct([](auto& c) { c.maximum_message_size = 1'048'577; }) ==
        "maximum_message_size must be in [1024, 1048576] for sqs_fifo_queue 'q.fifo', got 1048577");
  CHECK(construct([](auto& c) { c.receive_wait = 0s; }) == "ok");
  CHECK(construct([](auto& c) { c.receive_wait = 20s; }) == "ok");
  CHECK(construct([](auto& c) { c.receive_wait = 21s; }) ==
        "receive_wait must be in [0s, 20s] for sqs_fifo_queue 'q.fifo', got 21s");
  CHECK(construct([](auto& c) { c.receive_wait = -1s; }) ==
        "receive_wait must be in [0s, 20s] for sqs_fifo_queue 'q.fifo', got -1s");
}

TEST_CASE("§8 FIFO queue names end in .fifo; 1-80 characters in all", "[sources][sqs_fifo_queue][config][spec-8]") {
  CHECK(construct([](auto& c) { c.name = "a.fifo"; }) == "ok");
  CHECK(construct([](auto& c) { c.name = "Orders_2026-eu.fifo"; }) == "ok");
  CHECK(construct([](auto& c) { c.name = std::string(75, 'n') + ".fifo"; }) == "ok"); // 80
  CHECK(construct([](auto& c) { c.name = std::string(76, 'n') + ".fifo"; }) ==
        "name must be 1-80 characters of [a-zA-Z0-9-_] ending in .fifo for sqs_fifo_queue, got '" +
            std::string(76, 'n') + ".fifo'");
  CHECK(construct([](auto& c) { c.name = "orders"; }) ==
        "name must be 1-80 characters of [a-zA-Z0-9-_] ending in .fifo for sqs_fifo_queue, got 'orders'");
  CHECK(construct([](auto& c) { c.name = ".fifo"; }) != "ok");
  CHECK(construct([](auto& c) { c.name = ""; }) != "ok");
  CHECK(construct([](auto& c) { c.name = "bad name.fifo"; }) != "ok");
  CHECK(construct([](auto& c) { c.name = "a.b.fifo"; }) != "ok");
  CHECK(construct([](auto& c) { c.name = "orders.FIFO"; }) != "ok");

  esm::simulation sim;
  fifo q{sim, "orders.fifo"};
  CHECK(q.name() == "orders.fifo");
  CHECK(q.arn() == "arn:aws:sqs:us-east-1:123456789012:orders.fifo");
  CHECK(fifo::is_fifo);
  CHECK(fifo::kind == esm::source_kind::sqs_fifo);
  CHECK_THROWS_AS(fifo(sim, "orders"), esm::config_error);
  CHECK_NOTHROW(fifo(sim, esm::sqs_fifo_queue_config{}));
}

TEST_CASE("§8 FIFO queues refuse the at-least-once model (duplicates, reordering)",
          "[sources][sqs_fifo_queue][config][spec-8][spec-3.6]") {
  // A FIFO queue delivers exactly once, in order: its settings have no at-least-once model at all.
  static_assert(has_delivery<esm::sqs_queue_config>);
  static_assert(!has_delivery<esm::sqs_fifo_queue_config>);
  // The settings are an aggregate: designated initializers work.
  const esm::sqs_fifo_queue_config c{.name = "orders.fifo", .content_based_deduplication = true};
  esm::simulation sim;
  fifo q{sim, c};
  CHECK(q.config().content_based_deduplication);
  CHECK(q.config().visibility_timeout == 30s);
}

// --- send -----------------------------------------------------------------------------------------

TEST_CASE("§3.6 a FIFO message needs a group id of 1-128 characters", "[sources][sqs_fifo_queue][send][spec-3.6]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  CHECK(esm_test::error_of([&] { q.send("x", in("", "d0")); }) ==
        "sqs_fifo_queue 'q.fifo': a FIFO message needs a group id of 1-128 characters, got 0");
  CHECK(esm_test::error_of([&] { q.send("x", in(std::string(129, 'g'), "d1")); }) ==
        "sqs_fifo_queue 'q.fifo': a FIFO message needs a group id of 1-128 characters, got 129");
  CHECK_NOTHROW(q.send("x", in(std::string(128, 'g'), "d2")));
  CHECK_NOTHROW(q.send("x", in("g", "d3")));
  CHECK(q.size() == 2);
  const auto got = q.receive(10);
  REQUIRE(got.size() == 2);
  CHECK(got[0].group_id == std::string(128, 'g'));
  CHECK(got[1].group_id == "g");
  CHECK(got[1].deduplication_id == "d3");
}

TEST_CASE("§3.6 a FIFO send needs a deduplication id of 1-128 characters unless deduplication is content-based",
          "[sources][sqs_fifo_queue][send][spec-3.6]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  CHECK(esm_test::error_of([&] { q.send("x", {.group_id = "g"}); }) ==
        "sqs_fifo_queue 'q.fifo': a FIFO send needs a deduplication id when content-based deduplication is off");
  CHECK(esm_test::error_of([&] { q.send("x", in("g", "")); }) ==
        "sqs_fifo_queue 'q.fifo': a deduplication id must be 1-128 characters, got 0");
  CHECK_THROWS_AS(q.send("x", in("g", std::string(129, 'd'))), esm::input_error);
  CHECK_NOTHROW(q.send("x", in("g", std::string(128, 'd'))));
  CHECK(q.size() == 1);
  CHECK(q.metrics().sent == 1);
}

TEST_CASE("§8 FIFO queues refuse a per-message delay; the queue's delay applies",
          "[sources][sqs_fifo_queue][send][spec-8]") {
  esm::simulation sim;
  auto cfg = fifo_config();
  cfg.delay = 10s;
  fifo q{sim, cfg};
  auto opts = in("g", "d");
  opts.delay = 0s;
  CHECK(esm_test::error_of([&] { q.send("x", opts); }) ==
        "sqs_fifo_queue 'q.fifo': a per-message delay is not supported on FIFO queues; set the queue's delay");
  opts.delay = 5s;
  CHECK_THROWS_AS(q.send("x", opts), esm::input_error);
  CHECK(q.size() == 0);
  q.send("a", in("g", "a"));
  CHECK(q.approximate_number_of_messages_delayed() == 1);
  sim.run_for(10s - 1ns);
  CHECK(q.receive(10).empty());
  sim.run_for(1ns);
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"a"});
}

TEST_CASE("§4.3 FIFO SequenceNumber: 20 digits, increasing with every send",
          "[sources][sqs_fifo_queue][send][spec-4.3]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  std::vector<std::uint64_t> sent;
  for (int i = 0; i < 30; ++i) {
    sent.push_back(q.send(std::to_string(i), in("g" + std::to_string(i % 3), "d" + std::to_string(i))).sequence);
  }
  std::vector<message> got;
  for (int i = 0; i < 10; ++i) {
    for (auto& m : q.receive(10)) {
      got.push_back(m);
      q.delete_message(m.receipt);
    }
  }
  REQUIRE(got.size() == 30);
  std::sort(got.begin(), got.end(), [](const message& a, const message& b) { return a.sequence < b.sequence; });
  std::string previous;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::string text = got[i].sequence_number();
    CHECK(text.size() == 20);
    CHECK(std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }));
    CHECK(text > previous);
    CHECK(got[i].sequence == sent[i]);
    CHECK(got[i].body == std::to_string(i));
    previous = text;
  }
  CHECK(std::is_sorted(sent.begin(), sent.end()));
}

TEST_CASE("§4.3 FIFO message ids are UUID-shaped and deterministic for a seed",
          "[sources][sqs_fifo_queue][send][spec-4.3]") {
  const auto ids_of = [](std::uint64_t seed) {
    esm::simulation sim{esm::simulation_options{.seed = seed}};
    fifo q{sim, "q.fifo"};
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) ids.push_back(q.send("m", in("g", "d" + std::to_string(i))).message_id);
    return ids;
  };
  const auto a = ids_of(1);
  CHECK(a == ids_of(1));
  CHECK(a != ids_of(2));
  for (const auto& id : a) {
    CHECK(id.size() == 36);
    CHECK(id[8] == '-');
    CHECK(id[14] == '4');
  }
}

// --- order and group locking ----------------------------------------------------------------------

TEST_CASE("§3.6 each message group is delivered in order; one receive may take several of a group",
          "[sources][sqs_fifo_queue][order][spec-3.6]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  q.send("a1", in("A", "1"));
  q.send("b1", in("B", "2"));
  q.send("a2", in("A", "3"));
  q.send("b2", in("B", "4"));
  q.send("a3", in("A", "5"));
  CHECK(q.available_groups() == 2);
  const auto got = q.receive(10);
  CHECK(bodies(got) == std::vector<std::string>{"a1", "b1", "a2", "b2", "a3"});
  CHECK(q.available_groups() == 0);
  CHECK(q.receive(10).empty());
  for (const auto& m : got) q.delete_message(m.receipt);
  CHECK(q.size() == 0);
  CHECK(conserved(q));
}

TEST_CASE("§3.6 a group is locked while any of its messages is in flight; other groups are still delivered",
          "[sources][sqs_fifo_queue][order][spec-3.6]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  q.send("a1", in("A", "1"));
  q.send("a2", in("A", "2"));
  q.send("b1", in("B", "3"));
  q.send("b2", in("B", "4"));
  const auto a1 = q.receive(1);
  CHECK(bodies(a1) == std::vector<std::string>{"a1"});
  CHECK(q.available_groups() == 1);
  const auto b1 = q.receive(1); // A is locked: B's head comes instead of a2
  CHECK(bodies(b1) == std::vector<std::string>{"b1"});
  CHECK(q.available_groups() == 0);
  CHECK_FALSE(q.receivable_now());
  CHECK(q.receive(10).empty()); // both locked, although a2 and b2 are visible
  CHECK(q.approximate_number_of_messages() == 2);
  CHECK(q.metrics().empty_receives == 1);

  q.delete_message(a1[0].receipt); // unlocks A
  CHECK(q.available_groups() == 1);
  CHECK(q.receivable_now());
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"a2"}); // B still locked: not b2
  q.delete_message(b1[0].receipt);
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"b2"});
}

TEST_CASE("§3.6 a group stays locked until every message of it that was received is deleted",
          "[sources][sqs_fifo_queue][order][spec-3.6]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  for (int i = 1; i <= 4; ++i) q.send("a" + std::to_string(i), in("A", std::to_string(i)));
  const auto two = q.receive(2);
  REQUIRE(bodies(two) == std::vector<std::string>{"a1", "a2"});
  q.delete_message(two[0].receipt);
  CHECK(q.receive(10).empty()); // a2 is still in flight
  q.delete_message(two[1].receipt);
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"a3", "a4"});
}

TEST_CASE("§3.6 a group unlocks when its in-flight message turns visible again, which then comes first again",
          "[sources][sqs_fifo_queue][order][visibility][spec-3.6][spec-3.3]") {
  esm::simulation sim;
  auto cfg = fifo_config();
  cfg.visibility_timeout = 5s;
  fifo q{sim, cfg};
  q.send("a1", in("A", "1"));
  q.send("a2", in("A", "2"));
  const auto first = q.receive(1);
  REQUIRE(bodies(first) == std::vector<std::string>{"a1"});
  sim.run_for(5s - 1ns);
  CHECK(q.receive(10).empty());
  sim.run_for(1ns);
  CHECK(q.metrics().returned == 1);
  const auto again = q.receive(1);
  REQUIRE(again.size() == 1);
  CHECK(again[0].body == "a1"); // not a2
  CHECK(again[0].receive_count == 2);
  CHECK(again[0].message_id() == first[0].message_id());
  CHECK_THROWS_AS(q.delete_message(first[0].receipt), esm::input_error); // stale

  // change_visibility to 0 unlocks at once; the head comes again, with its successors.
  q.change_visibility(again[0].receipt, 0s);
  const auto third = q.receive(10);
  CHECK(bodies(third) == std::vector<std::string>{"a1", "a2"});
  CHECK(third[0].receive_count == 3);
  CHECK(third[1].receive_count == 1);
}

TEST_CASE("§3.6 a received batch of one group: returning one message keeps the group locked by the other",
          "[sources][sqs_fifo_queue][order][visibility][spec-3.6]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  q.send("a1", in("A", "1"));
  q.send("a2", in("A", "2"));
  const auto got = q.receive(2);
  REQUIRE(got.size() == 2);
  q.change_visibility(got[0].receipt, 0s); // a1 visible again; a2 still in flight
  CHECK(q.approximate_number_of_messages() == 1);
  CHECK(q.receive(10).empty());
  q.delete_message(got[1].receipt);
  const auto next = q.receive(10);
  CHECK(bodies(next) == std::vector<std::string>{"a1"});
}

// --- deduplication --------------------------------------------------------------------------------

TEST_CASE("§3.6 deduplication: a repeated id within 5 minutes is accepted but not enqueued",
          "[sources][sqs_fifo_queue][dedup][spec-3.6][spec-8]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  counting_listener l;
  q.add_listener(&l);
  const auto original = q.send("first", in("A", "order-1"));
  CHECK_FALSE(original.duplicate);
  CHECK(l.told == 1);
  sim.run_for(5min - 1ns);
  const auto dup = q.send("second", in("B", "order-1")); // another body and group: the id decides
  CHECK(dup.duplicate);
  CHECK(dup.message_id == original.message_id);
  CHECK(dup.sequence == original.sequence);
  CHECK(l.told == 1); // nothing new to receive
  CHECK(q.size() == 1);
  CHECK(q.metrics().sent == 1);
  CHECK(q.metrics().deduplicated == 1);
  CHECK(conserved(q));

  // Five minutes after the first send, the id is new again.
  sim.run_for(1ns);
  const auto later = q.send("third", in("A", "order-1"));
  CHECK_FALSE(later.duplicate);
  CHECK(later.message_id != original.message_id);
  CHECK(q.size() == 2);
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"first", "third"});
  CHECK(q.metrics().deduplicated == 1);
  q.remove_listener(&l);
}

TEST_CASE("§3.6 deduplication ids are remembered after the message is deleted",
          "[sources][sqs_fifo_queue][dedup][spec-3.6]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  const auto original = q.send("x", in("A", "once"));
  const auto got = q.receive();
  REQUIRE(got.size() == 1);
  q.delete_message(got[0].receipt);
  CHECK(q.size() == 0);
  sim.run_for(4min);
  const auto dup = q.send("x", in("A", "once"));
  CHECK(dup.duplicate);
  CHECK(dup.message_id == original.message_id);
  CHECK(q.size() == 0);
  CHECK(q.receive(10).empty());
  sim.run_for(1min);
  CHECK_FALSE(q.send("x", in("A", "once")).duplicate);
  CHECK(q.size() == 1);
  CHECK(conserved(q));
}

TEST_CASE("§3.6 content-based deduplication uses the SHA-256 of the body",
          "[sources][sqs_fifo_queue][dedup][spec-3.6]") {
  esm::simulation sim;
  auto cfg = fifo_config();
  cfg.content_based_deduplication = true;
  fifo q{sim, cfg};
  const auto a = q.send("same", {.group_id = "A"});
  CHECK_FALSE(a.duplicate);
  const auto b = q.send("same", {.group_id = "B"});
  CHECK(b.duplicate);
  CHECK(b.message_id == a.message_id);
  CHECK_FALSE(q.send("different", {.group_id = "A"}).duplicate);
  CHECK_FALSE(q.send("same", in("A", "explicit")).duplicate); // a given id wins over the content
  CHECK(q.size() == 3);
  const auto got = q.receive(10);
  REQUIRE(got.size() == 3);
  CHECK(got[0].deduplication_id ==
        "0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"); // sha256("same")
  CHECK(got[1].body == "different");
  CHECK(got[2].deduplication_id == "explicit");

  // A trivially copyable body is hashed by its bytes.
  struct point {
    int x;
    int y;
  };
  esm::sqs_fifo_queue<point> p{sim, cfg};
  CHECK_FALSE(p.send({1, 2}, {.group_id = "g"}).duplicate);
  CHECK(p.send({1, 2}, {.group_id = "g"}).duplicate);
  CHECK_FALSE(p.send({2, 1}, {.group_id = "g"}).duplicate);
  CHECK(p.size() == 2);
}

// --- retention ------------------------------------------------------------------------------------

TEST_CASE("§8 FIFO retention: an expired head is dropped and the group goes on with the next message",
          "[sources][sqs_fifo_queue][retention][spec-8]") {
  esm::simulation sim;
  auto cfg = fifo_config();
  cfg.retention = 60s;
  fifo q{sim, cfg};
  q.send("a1", in("A", "1"));
  sim.run_for(30s);
  q.send("a2", in("A", "2"));
  CHECK(q.approximate_age_of_oldest_message() == 30s);
  sim.run_for(30s);
  const auto got = q.receive(1, {.visibility_timeout = 12h});
  CHECK(bodies(got) == std::vector<std::string>{"a2"});
  CHECK(q.metrics().expired == 1);
  CHECK(q.approximate_age_of_oldest_message() == 30s);
  q.send("a3", in("A", "3"));
  CHECK(q.receive(10).empty()); // A locked by a2
  sim.run_for(30s);             // a2, in flight, expires: A unlocks
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"a3"});
  CHECK(q.metrics().expired == 2);
  CHECK(conserved(q));
}

// --- redrive --------------------------------------------------------------------------------------

TEST_CASE("§8 FIFO redrive policy: maxReceiveCount in [1, 1000]; the DLQ of a FIFO queue is a FIFO queue",
          "[sources][sqs_fifo_queue][redrive][config][spec-8]") {
  STATIC_REQUIRE(can_redrive_to<fifo, fifo>);
  STATIC_REQUIRE(!can_redrive_to<fifo, esm::sqs_queue<std::string>>);
  STATIC_REQUIRE(!can_redrive_to<esm::sqs_queue<std::string>, fifo>);
  esm::simulation sim;
  fifo src{sim, "src.fifo"};
  fifo dlq{sim, "dlq.fifo"};
  CHECK(esm_test::error_of([&] { src.set_redrive_policy(dlq, 0); }) ==
        "max_receive_count must be in [1, 1000] for sqs_fifo_queue 'src.fifo', got 0");
  CHECK_THROWS_AS(src.set_redrive_policy(dlq, 1001), esm::config_error);
  CHECK_THROWS_AS(src.set_redrive_policy(src, 3), esm::config_error);
  CHECK(src.dead_letter_queue() == nullptr);
  CHECK_NOTHROW(src.set_redrive_policy(dlq, 1));
  CHECK_NOTHROW(src.set_redrive_policy(dlq, 1000));
  CHECK(src.dead_letter_queue() == &dlq);
}

TEST_CASE("§3.6 FIFO redrive: the message moves to the FIFO DLQ and its group goes on unlocked",
          "[sources][sqs_fifo_queue][redrive][spec-3.6][spec-3.4]") {
  esm::simulation sim;
  auto cfg = fifo_config("src.fifo");
  cfg.visibility_timeout = 1s;
  fifo src{sim, cfg};
  fifo dlq{sim, "dlq.fifo"};
  counting_listener told;
  dlq.add_listener(&told);
  src.set_redrive_policy(dlq, 2);
  const auto a1 = src.send("a1", in("A", "1"));
  src.send("a2", in("A", "2"));
  for (int n = 1; n <= 2; ++n) {
    const auto got = src.receive(1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].body == "a1");
    CHECK(got[0].receive_count == n);
    sim.run_for(1s);
  }
  // Third receive: a1 moves to the DLQ, and a2 (its group no longer locked) is returned.
  const auto next = src.receive(1);
  CHECK(bodies(next) == std::vector<std::string>{"a2"});
  CHECK(src.metrics().redriven_out == 1);
  CHECK(dlq.metrics().redriven_in == 1);
  CHECK(told.told == 1);
  const auto moved = dlq.receive(10);
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].body == "a1");
  CHECK(moved[0].message_id() == a1.message_id);
  CHECK(moved[0].group_id == "A");
  CHECK(moved[0].receive_count == 3);
  CHECK(moved[0].sequence_number().size() == 20);
  CHECK(conserved(src));
  CHECK(conserved(dlq));
  dlq.remove_listener(&told);
}

// --- limits ---------------------------------------------------------------------------------------

TEST_CASE("§3.6 in-flight limit: at 20,000 in-flight messages a FIFO receive returns nothing (OverLimit)",
          "[sources][sqs_fifo_queue][limits][spec-3.6][spec-8]") {
  esm::simulation sim;
  auto cfg = fifo_config();
  cfg.visibility_timeout = 12h;
  fifo q{sim, cfg};
  STATIC_REQUIRE(fifo::in_flight_limit == 20'000);
  for (int i = 0; i < 20'001; ++i) q.send("m", in("g" + std::to_string(i), "d" + std::to_string(i)));
  std::vector<esm::receipt_handle> handles;
  while (q.approximate_number_of_messages_not_visible() < fifo::in_flight_limit) {
    const std::size_t before = handles.size();
    q.receive_handles(handles, 10);
    REQUIRE(handles.size() > before);
  }
  CHECK(q.approximate_number_of_messages_not_visible() == 20'000);
  CHECK(q.metrics().over_limit_receives == 0);
  CHECK(q.available_groups() == 1);
  CHECK(q.receive(10).empty());
  CHECK(q.metrics().over_limit_receives == 1);
  CHECK(q.receive(10).empty());
  CHECK(q.metrics().over_limit_receives == 2);
  q.delete_message(handles.front());
  const auto last = q.receive(10);
  REQUIRE(last.size() == 1);
  CHECK(last[0].group_id == "g20000");
  CHECK(q.metrics().over_limit_receives == 2);
  CHECK(conserved(q));
}

TEST_CASE("§3.6 only the first 20,000 stored messages are scanned: a large single-group backlog starves other groups",
          "[sources][sqs_fifo_queue][limits][spec-3.6]") {
  esm::simulation sim;
  auto cfg = fifo_config();
  cfg.visibility_timeout = 12h;
  fifo q{sim, cfg};
  for (int i = 0; i < 20'000; ++i) q.send("a" + std::to_string(i), in("A", "a" + std::to_string(i)));
  q.send("b", in("B", "b"));
  const auto head = q.receive(1);
  REQUIRE(bodies(head) == std::vector<std::string>{"a0"});
  CHECK(q.receive(10).empty()); // B's message is the 20,001st: not scanned
  q.delete_message(head[0].receipt);
  const auto second = q.receive(1);
  CHECK(bodies(second) == std::vector<std::string>{"a1"});
  CHECK(bodies(q.receive(10)) == std::vector<std::string>{"b"}); // now within the first 20,000
}

TEST_CASE("§8 a FIFO receive takes 1-10 messages", "[sources][sqs_fifo_queue][receive][spec-8]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  for (int i = 0; i < 12; ++i) q.send(std::to_string(i), in("g" + std::to_string(i), std::to_string(i)));
  CHECK_THROWS_AS(q.receive(0), esm::input_error);
  CHECK_THROWS_AS(q.receive(11), esm::input_error);
  CHECK(q.receive(10).size() == 10);
  CHECK(q.receive(10).size() == 2);
}

// --- long polling and listeners -------------------------------------------------------------------

TEST_CASE("§8 FIFO long polling: a waiting receive is answered when a group unlocks",
          "[sources][sqs_fifo_queue][long-poll][spec-8][spec-3.6]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  q.send("a1", in("A", "1"));
  q.send("a2", in("A", "2"));
  const auto head = q.receive(1);
  REQUIRE(head.size() == 1);
  std::vector<std::pair<time_point, std::vector<std::string>>> calls;
  q.receive_async(
      10, [&](std::vector<message> got) { calls.emplace_back(sim.now(), bodies(got)); }, 20s);
  sim.run_for(3s);
  CHECK(calls.empty()); // A is locked
  q.delete_message(head[0].receipt);
  CHECK(calls.empty());
  sim.run_for(0s);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].first == at(3s));
  CHECK(calls[0].second == std::vector<std::string>{"a2"});
  CHECK_THROWS_AS(q.receive_async(
                      1, [](std::vector<message>) {}, 21s),
                  esm::input_error);
}

TEST_CASE("FIFO listeners are told on send, on a group unlocked by delete, and on visibility expiry",
          "[sources][sqs_fifo_queue][listener][spec-3.6]") {
  esm::simulation sim;
  fifo q{sim, "q.fifo"};
  counting_listener l;
  q.add_listener(&l);
  q.send("a1", in("A", "1"));
  q.send("a2", in("A", "2"));
  CHECK(l.told == 2);
  const auto a1 = q.receive(1, {.visibility_timeout = 5s});
  REQUIRE(a1.size() == 1);
  CHECK(l.told == 2);
  sim.run_for(5s);
  CHECK(l.told == 3); // a1 returned
  const auto again = q.receive(1);
  REQUIRE(again.size() == 1);
  q.delete_message(again[0].receipt);
  CHECK(l.told == 4); // A unlocked with a2 waiting
  const auto a2 = q.receive(1);
  REQUIRE(a2.size() == 1);
  q.delete_message(a2[0].receipt);
  CHECK(l.told == 4); // nothing left in A: nothing became receivable
  q.remove_listener(&l);
  q.send("a3", in("A", "3"));
  CHECK(l.told == 4);
}

// --- model check ----------------------------------------------------------------------------------

namespace {

/// What the test expects of one message: its group, whether it is deleted, until when it is in
/// flight, and its latest receipt.
struct modelled {
  std::string body;
  std::string group;
  bool deleted = false;
  std::optional<time_point> until{};
  esm::receipt_handle latest{};
};

struct fifo_model {
  std::vector<modelled> msgs; // in send order
  std::vector<std::pair<std::size_t, esm::receipt_handle>> issued;

  bool locked(const std::string& g, time_point now) const {
    return std::any_of(msgs.begin(), msgs.end(),
                       [&](const modelled& m) { return !m.deleted && m.group == g && m.until && *m.until > now; });
  }
  std::size_t index_of(const std::string& body) const { return static_cast<std::size_t>(std::stoul(body.substr(1))); }
};

} // namespace

TEST_CASE("§3.6 model check: every FIFO receive returns exactly the oldest messages of the unlocked groups",
          "[sources][sqs_fifo_queue][order][model][spec-3.6]") {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    esm::simulation sim{esm::simulation_options{.seed = seed}};
    esm::random_stream rng = sim.rng("test-driver");
    auto cfg = fifo_config();
    cfg.visibility_timeout = 2s;
    fifo q{sim, cfg};
    fifo_model model;
    for (int op = 0; op < 1500; ++op) {
      const auto kind = rng.uniform_int(0, 9);
      const time_point now = sim.now();
      if (kind <= 2) { // send
        const std::string body = "m" + std::to_string(model.msgs.size());
        const std::string group = "g" + std::to_string(rng.uniform_int(0, 4));
        REQUIRE_FALSE(q.send(body, in(group, body)).duplicate);
        model.msgs.push_back({body, group});
      } else if (kind <= 4) { // receive
        const int max = static_cast<int>(rng.uniform_int(1, 10));
        const esm::duration vis = std::chrono::seconds{rng.uniform_int(0, 3)};
        std::vector<std::string> expected;
        for (const auto& m : model.msgs) {
          if (static_cast<int>(expected.size()) == max) break;
          if (!m.deleted && !model.locked(m.group, now)) expected.push_back(m.body);
        }
        const auto got = q.receive(max, {.visibility_timeout = vis});
        REQUIRE(bodies(got) == expected);
        for (const auto& m : got) {
          auto& mm = model.msgs[model.index_of(m.body)];
          mm.until = now + vis;
          mm.latest = m.receipt;
          model.issued.emplace_back(model.index_of(m.body), m.receipt);
        }
      } else if (kind <= 6 && !model.issued.empty()) { // delete by some receipt, current or not
        const auto& [i, h] = model.issued[static_cast<std::size_t>(
            rng.uniform_int(0, static_cast<std::int64_t>(model.issued.size()) - 1))];
        auto& mm = model.msgs[i];
        // Latest receipt of a stored message: deleted; any receipt of a message gone: accepted;
        // an older receipt of a stored message: stale.
        const auto expected = !mm.deleted && h == mm.latest ? esm::delete_status::deleted
                              : mm.deleted                  ? esm::delete_status::already_deleted
                                                            : esm::delete_status::stale_handle;
        REQUIRE(q.try_delete(h) == expected);
        if (expected == esm::delete_status::deleted) mm.deleted = true;
      } else if (kind == 7 && !model.issued.empty()) { // change visibility
        const auto& [i, h] = model.issued[static_cast<std::size_t>(
            rng.uniform_int(0, static_cast<std::int64_t>(model.issued.size()) - 1))];
        auto& mm = model.msgs[i];
        const esm::duration t = std::chrono::seconds{rng.uniform_int(0, 3)};
        const bool expected = !mm.deleted && h == mm.latest && mm.until && *mm.until > now;
        REQUIRE(q.try_change_visibility(h, t) == expected);
        if (expected) mm.until = now + t;
      } else { // let time pass
        sim.run_for(std::chrono::milliseconds{rng.uniform_int(0, 2500)});
        const time_point t = sim.now();
        std::size_t in_flight = 0;
        std::size_t live = 0;
        std::set<std::string> available;
        std::set<std::string> locked;
        for (const auto& m : model.msgs) {
          if (m.deleted) continue;
          ++live;
          if (m.until && *m.until > t) {
            ++in_flight;
            locked.insert(m.group);
          } else {
            available.insert(m.group);
          }
        }
        for (const auto& g : locked) available.erase(g);
        REQUIRE(q.size() == live);
        REQUIRE(q.approximate_number_of_messages_not_visible() == in_flight);
        REQUIRE(q.approximate_number_of_messages() == live - in_flight);
        REQUIRE(q.available_groups() == available.size());
        REQUIRE(q.receivable_now() == !available.empty());
      }
      REQUIRE(conserved(q));
    }
  }
}

// --- bodies that are not text (issue 14 point 5) ------------------------------------------------

namespace {
struct order { // not trivially copyable: no byte view of its own
  std::string id;
  int qty = 0;
};
struct tagged { // a byte view given by a specialization
  std::string id;
  std::string note; // not part of what makes two messages the same
};
struct point { // padding-free: its bytes are its value
  std::int32_t x = 0;
  std::int32_t y = 0;
};
struct padded { // padding bytes: not hashable
  char c = 0;
  std::int64_t v = 0;
};
} // namespace

template <>
struct esm::sqs_body_bytes<tagged> {
  static void write(const tagged& t, std::string& out) { out = t.id; }
};

TEST_CASE("§3.6 a FIFO queue of any body works with deduplication ids; content-based needs bytes (issue 14)",
          "[sources][sqs_fifo_queue][dedup][spec-3.6][reliability]") {
  STATIC_REQUIRE(esm::sqs_hashable_body<std::string>);
  STATIC_REQUIRE(esm::sqs_hashable_body<std::vector<std::byte>>);
  STATIC_REQUIRE(esm::sqs_hashable_body<point>);
  STATIC_REQUIRE(esm::sqs_hashable_body<tagged>);
  STATIC_REQUIRE_FALSE(esm::sqs_hashable_body<order>);
  STATIC_REQUIRE_FALSE(esm::sqs_hashable_body<padded>);

  esm::simulation sim;
  esm::sqs_fifo_queue<order> q{sim, fifo_config()};
  q.send(order{"a", 1}, {.group_id = "g", .deduplication_id = "a-1"});
  CHECK(q.send(order{"a", 2}, {.group_id = "g", .deduplication_id = "a-1"}).duplicate);
  q.send(order{"b", 3}, {.group_id = "g", .deduplication_id = "b-1"});
  CHECK_THROWS_AS(q.send(order{"c", 4}, {.group_id = "g"}), esm::input_error); // no id, no content dedup
  const auto got = q.receive(10);
  REQUIRE(got.size() == 2);
  CHECK(got[0].body.id == "a");
  CHECK(got[0].body.qty == 1);
  CHECK(got[1].body.id == "b");

  auto content = fifo_config("c.fifo");
  content.content_based_deduplication = true;
  CHECK(esm_test::config_error_of([&] {
          esm::sqs_fifo_queue<order> bad{sim, content};
        }) ==
        "content_based_deduplication must be false for a body that is not text or bytes (give each send a "
        "deduplication_id, or specialize esm::sqs_body_bytes for the body type) for sqs_fifo_queue 'c.fifo', got true");
  CHECK(esm_test::config_error_of([&] { esm::sqs_fifo_queue<padded> bad{sim, content}; }) != "no config_error");

  esm::sqs_fifo_queue<tagged> t{sim, content};
  t.send(tagged{"x", "first"}, {.group_id = "g"});
  CHECK(t.send(tagged{"x", "second"}, {.group_id = "g"}).duplicate); // same id bytes: the same message
  CHECK_FALSE(t.send(tagged{"y", "first"}, {.group_id = "g"}).duplicate);
  CHECK(t.size() == 2);

  auto points_cfg = fifo_config("p.fifo");
  points_cfg.content_based_deduplication = true;
  esm::sqs_fifo_queue<point> p{sim, points_cfg};
  p.send(point{1, 2}, {.group_id = "g"});
  CHECK(p.send(point{1, 2}, {.group_id = "g"}).duplicate);
  CHECK_FALSE(p.send(point{2, 1}, {.group_id = "g"}).duplicate);
}
