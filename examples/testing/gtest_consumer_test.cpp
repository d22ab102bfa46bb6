// Testing a consumer with esm::testing and GoogleTest (Debian's libgtest-dev). Built by
// tests/cmake/testing_gtest against an installed esm (find_package), as a user's project would.
#include "orders_consumer.hpp"

#include <esm/testing/escape.hpp>
#include <esm/testing/hazards.hpp>
#include <esm/testing/recorder.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;

TEST(orders, a_failed_payment_is_retried_and_charged_once) {
  esm::simulation sim;
  orders::queue q{sim, {.name = "orders", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "charge", .timeout = 5s}};
  esm::testing::recorder rec{sim};
  esm::testing::faults payments;
  payments.fail("order-1");
  auto ledger = std::make_shared<orders::ledger>();
  const auto id = q.send("order-1").message_id.str();
  // ASSERT_* inside a handler returns from it; stop_when ends the run at the first failure.
  esm::queue_poller p{q, fn,
                      esm::testing::stop_when(
                          sim, [] { return ::testing::Test::HasFatalFailure(); },
                          rec.wrap([&, h = orders::charge_handler(ledger, payments)](
                                       const orders::batch& b) mutable -> esm::batch_response {
                            EXPECT_LE(b.size(), 10u);
                            return h(b);
                          })),
                      esm::queue_options{.report_batch_item_failures = true}};
  sim.run_until_idle();
  EXPECT_EQ(rec.deliveries(id), 2u) << rec;
  EXPECT_EQ(orders::charges(*ledger, "order-1"), 1);
}

TEST(orders, survives_every_sqs_hazard) {
  const auto report = esm::testing::hazards<orders::queue>(
      [](esm::testing::faults& f) {
        auto ledger = std::make_shared<orders::ledger>();
        return esm::testing::consumer{orders::charge_handler(ledger, f),
                                      [ledger](std::string_view id) { return orders::charges(*ledger, id); }};
      },
      {.report_batch_item_failures = true});
  EXPECT_TRUE(report.ok()) << report;
}
