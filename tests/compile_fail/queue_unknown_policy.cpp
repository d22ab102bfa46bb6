// compile_fail.queue_unknown_policy: a queue_poller given a type that fits no policy role.
// Expected: unknown_policy_type<not_a_queue_policy> names the type. Without ESM_EXPECT_FAIL the
// same poller takes esm::batching{} and compiles cleanly.
#include <esm/esm.hpp>

#include <string>

struct not_a_queue_policy {
  int x;
};

void compile_fail_case() {
  using message = esm::sqs_message<std::string>;
  esm::simulation sim;
  esm::sqs_queue<std::string> q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
#ifdef ESM_EXPECT_FAIL
  esm::queue_poller qp{q, fn, [](const esm::queue_batch<message>&) {}, not_a_queue_policy{1}};
#else
  esm::queue_poller qp{q, fn, [](const esm::queue_batch<message>&) {}, esm::batching{.batch_size = 5}};
#endif
}
