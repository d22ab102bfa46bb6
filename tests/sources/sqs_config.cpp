// Tests of esm/sources/sqs_config.hpp: each configuration's validate() refuses a setting
// outside AWS's range with a config_error naming the setting, the range and the value, without
// a queue or a simulation (the queue's constructor calls it; the queue tests check every range's
// ends). Spec: aws-esm-semantics.md §8 (queue attributes).
#include <esm/sources/sqs_config.hpp>

#include <cmath>
#include <limits>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using esm_test::config_error_of;

TEST_CASE("§8 sqs_queue_config::validate names the setting, its range and the value",
          "[sources][sqs_config][config][spec-8]") {
  CHECK_NOTHROW(esm::sqs_queue_config{}.validate());
  CHECK(config_error_of([] { esm::sqs_queue_config{.name = "orders", .visibility_timeout = 12h + 1s}.validate(); }) ==
        "visibility_timeout must be in [0s, 43200s] for sqs_queue 'orders', got 43201s");
  CHECK(config_error_of([] { esm::sqs_queue_config{.name = "a.fifo"}.validate(); }) ==
        "name must be 1-80 characters of [a-zA-Z0-9-_] for sqs_queue, got 'a.fifo'");
  CHECK(config_error_of([] {
          esm::sqs_queue_config{.delivery = {.duplicate_rate = std::numeric_limits<double>::quiet_NaN()}}.validate();
        }) == "delivery.duplicate_rate must be in [0, 1] for sqs_queue 'queue', got nan");
  CHECK(config_error_of([] { esm::sqs_queue_config{.delay = 1500ms}.validate(); }) ==
        "delay must be a whole number of seconds in [0s, 900s] for sqs_queue 'queue', got 1500ms");
}

TEST_CASE("§8 sqs_fifo_queue_config::validate: the name ends in .fifo; the shared ranges apply",
          "[sources][sqs_config][config][spec-8]") {
  CHECK_NOTHROW(esm::sqs_fifo_queue_config{}.validate());
  CHECK_NOTHROW(esm::sqs_fifo_queue_config{.name = "o.fifo", .retention = 14 * 24h}.validate());
  CHECK(config_error_of([] { esm::sqs_fifo_queue_config{.name = "orders"}.validate(); }) ==
        "name must be 1-80 characters of [a-zA-Z0-9-_] ending in .fifo for sqs_fifo_queue, got 'orders'");
  CHECK(config_error_of([] { esm::sqs_fifo_queue_config{.name = ".fifo"}.validate(); }) ==
        "name must be 1-80 characters of [a-zA-Z0-9-_] ending in .fifo for sqs_fifo_queue, got '.fifo'");
  CHECK(config_error_of([] { esm::sqs_fifo_queue_config{.maximum_message_size = 1023}.validate(); }) ==
        "maximum_message_size must be in [1024, 1048576] for sqs_fifo_queue 'queue.fifo', got 1023");
}
