#pragma once
// The consumer the framework examples test: charges each order once. It reads SQS messages
// whose body is an order id, calls a payment dependency (here esm::testing::faults, which a
// test makes fail), and reports the messages it could not charge in a partial batch response.
// It is idempotent: a message delivered twice (SQS is at-least-once) is charged once.

#include <esm/esm.hpp>
#include <esm/testing/faults.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace orders {

using queue = esm::sqs_queue<std::string>;
using batch = esm::queue_batch<queue::message_type>;

/// Charges per order id.
using ledger = std::map<std::string, int, std::less<>>;

/// The handler: `payments.check(order)` stands for the call to the payment service.
inline auto charge_handler(std::shared_ptr<ledger> charged, esm::testing::faults& payments) {
  return [charged, &payments](const batch& msgs) -> esm::batch_response {
    esm::batch_response failed;
    for (const auto& m : msgs) {
      if (charged->contains(m.body)) continue; // charged already: a redelivery
      try {
        payments.check(m.body);
        ++(*charged)[m.body];
      } catch (const esm::testing::injected_fault&) {
        failed.fail(std::string{m.message_id()});
      }
    }
    return failed;
  };
}

/// How many times an order was charged.
inline int charges(const ledger& l, std::string_view order) {
  const auto it = l.find(order);
  return it == l.end() ? 0 : it->second;
}

} // namespace orders
