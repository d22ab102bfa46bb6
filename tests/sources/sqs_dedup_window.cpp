// Tests of esm/sources/detail/sqs_dedup_window.hpp: a deduplication id is remembered for 5
// minutes from its first send, with that send's message id and sequence number, and forgotten
// after. Spec: aws-esm-semantics.md §3.6 (FIFO deduplication interval).
#include <esm/sources/detail/sqs_dedup_window.hpp>

#include <array>
#include <string>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm::time_point;

namespace {
time_point at(esm::duration d) { return time_point{} + d; }

esm::message_id_text id(char c) {
  std::array<char, 36> chars{};
  chars.fill(c);
  return esm::message_id_text{chars};
}
} // namespace

TEST_CASE("§3.6 a deduplication id is remembered for 5 minutes from its first send",
          "[sources][sqs_dedup_window][spec-3.6]") {
  esm::detail::sqs_dedup_window w;
  STATIC_REQUIRE(esm::detail::sqs_dedup_window::interval == 5min);
  CHECK(w.find("a", at(0s)) == nullptr);
  w.remember("a", {id('a'), 1}, at(10s));
  w.remember("b", {id('b'), 2}, at(70s));
  const auto* seen = w.find("a", at(10s + 5min - 1ns));
  REQUIRE(seen != nullptr);
  CHECK(seen->message_id == id('a'));
  CHECK(seen->sequence == 1);
  CHECK(w.find("a", at(10s + 5min)) == nullptr); // the interval is half-open: [t, t + 5 min)
  REQUIRE(w.find("b", at(10s + 5min)) != nullptr);
  CHECK(w.size() == 1);
  CHECK(w.find("b", at(70s + 5min)) == nullptr);
  CHECK(w.size() == 0);
}

TEST_CASE("§3.6 an id forgotten after 5 minutes can be remembered again, with the new send's identity",
          "[sources][sqs_dedup_window][spec-3.6]") {
  esm::detail::sqs_dedup_window w;
  w.remember("a", {id('a'), 1}, at(0s));
  REQUIRE(w.find("a", at(6min)) == nullptr);
  w.remember("a", {id('c'), 7}, at(6min));
  const auto* seen = w.find("a", at(10min));
  REQUIRE(seen != nullptr);
  CHECK(seen->sequence == 7);
  CHECK(seen->message_id == id('c'));
}
