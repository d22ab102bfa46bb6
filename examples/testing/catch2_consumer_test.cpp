// Testing a consumer with esm::testing and Catch2 (v2, Debian's 2.13; v3 works the same with
// <catch2/catch_test_macros.hpp>). Built by tests/cmake/testing_catch2 against an installed esm
// (find_package), as a user's project would; docs/testing.md walks through it.
#include "orders_consumer.hpp"

#include <esm/testing/escape.hpp>
#include <esm/testing/hazards.hpp>
#include <esm/testing/recorder.hpp>
#include <esm/testing/scripted.hpp>

#if __has_include(<catch2/catch_test_macros.hpp>)
#include <catch2/catch_test_macros.hpp>
#else
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif

using namespace std::chrono_literals;

TEST_CASE("an order whose payment fails once is charged once, after SQS delivers it again") {
  esm::simulation sim;
  orders::queue q{sim, {.name = "orders", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "charge", .timeout = 5s}};
  esm::testing::recorder rec{sim};
  esm::testing::faults payments;
  payments.fail("order-1"); // the payment service fails once for order-1
  auto ledger = std::make_shared<orders::ledger>();
  const auto id = q.send("order-1").message_id.str();
  q.send("order-2");
  esm::queue_poller p{
      q, fn,
      esm::testing::escaping<Catch::TestFailureException>(
          sim, rec.wrap([&, h = orders::charge_handler(ledger, payments)](const orders::batch& b) mutable {
            REQUIRE(b.size() <= 10); // an assertion inside the handler fails the test, not the batch
            return h(b);
          })),
      esm::queue_options{.report_batch_item_failures = true}};
  sim.run_until_idle();
  INFO(rec);
  CHECK(rec.deliveries(id) == 2);
  CHECK(orders::charges(*ledger, "order-1") == 1);
  CHECK(orders::charges(*ledger, "order-2") == 1);
}

TEST_CASE("the consumer survives every SQS hazard") {
  const auto report = esm::testing::hazards<orders::queue>(
      [](esm::testing::faults& f) {
        auto ledger = std::make_shared<orders::ledger>();
        return esm::testing::consumer{orders::charge_handler(ledger, f),
                                      [ledger](std::string_view id) { return orders::charges(*ledger, id); }};
      },
      {.report_batch_item_failures = true});
  INFO(report);
  CHECK(report.ok());
}
