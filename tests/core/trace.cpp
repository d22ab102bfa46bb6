// Tests of esm/core/trace.hpp: structured events, subscription, no cost when unobserved.
#include <esm/core/trace.hpp>

#include <array>
#include <string>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;

TEST_CASE("subscribers receive structured events in order", "[core][trace]") {
  esm::tracer tr;
  CHECK_FALSE(tr.active());
  std::vector<std::string> seen;
  const auto id = tr.subscribe([&](const esm::trace_event& e) { seen.push_back(esm::to_string(e)); });
  CHECK(tr.active());
  tr.emit(esm::time_point{} + 1500ms, "function/orders", "invoke",
          {{"attempt", 2}, {"cold_start", true}, {"duration", 250ms}, {"request_id", "abc"}, {"ratio", 0.5}});
  tr.emit(esm::time_point{} + 2s, "function/orders", "complete");
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] ==
        "t=1500ms function/orders invoke attempt=2 cold_start=true duration=250ms request_id=abc ratio=0.500000");
  CHECK(seen[1] == "t=2s function/orders complete");
  CHECK(tr.unsubscribe(id));
  CHECK_FALSE(tr.unsubscribe(id));
  CHECK_FALSE(tr.active());
  tr.emit(esm::time_point{}, "x", "y");
  CHECK(seen.size() == 2);
}

TEST_CASE("trace_event::find looks a field up by name", "[core][trace]") {
  esm::tracer tr;
  std::int64_t batch = 0;
  bool missing_absent = false;
  tr.subscribe([&](const esm::trace_event& e) {
    batch = std::get<std::int64_t>(*e.find("batch_size"));
    missing_absent = e.find("nope") == nullptr;
  });
  tr.emit(esm::time_point{}, "poller", "batch", {{"batch_size", 100}});
  CHECK(batch == 100);
  CHECK(missing_absent);
}

TEST_CASE("a field builder is not called when nobody subscribes", "[core][trace]") {
  esm::tracer tr;
  int built = 0;
  auto make = [&] {
    ++built;
    return std::array{esm::trace_field{"n", 1}};
  };
  tr.emit(esm::time_point{}, "c", "k", make);
  CHECK(built == 0);
  int received = 0;
  tr.subscribe([&](const esm::trace_event& e) { received += static_cast<int>(e.fields.size()); });
  tr.emit(esm::time_point{}, "c", "k", make);
  CHECK(built == 1);
  CHECK(received == 1);
}

TEST_CASE("subscribers may subscribe and unsubscribe while an event is delivered", "[core][trace]") {
  esm::tracer tr;
  std::vector<std::string> log;
  esm::subscription_id self{};
  self = tr.subscribe([&](const esm::trace_event& e) {
    log.push_back("once:" + std::string{e.kind});
    tr.unsubscribe(self);
    tr.subscribe([&](const esm::trace_event& e2) { log.push_back("late:" + std::string{e2.kind}); });
  });
  tr.subscribe([&](const esm::trace_event& e) { log.push_back("always:" + std::string{e.kind}); });
  tr.emit(esm::time_point{}, "c", "a");
  tr.emit(esm::time_point{}, "c", "b");
  CHECK(log == std::vector<std::string>{"once:a", "always:a", "always:b", "late:b"});
}
