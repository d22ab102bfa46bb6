// compile_fail.queue_batching_missing_member: a type declaring esm::batching_role without decide,
// in a queue_poller. Expected: "must satisfy esm::batching_policy", and the compiler names the
// missing expression p.decide(c). Without ESM_EXPECT_FAIL the type has decide and compiles cleanly.
#include <esm/esm.hpp>

#include <string>

struct my_batching {
  using esm_role = esm::batching_role;
  esm::batch_limits limits(esm::source_kind) const { return {.max_records = 5}; }
#ifndef ESM_EXPECT_FAIL
  esm::batch_decision decide(const esm::batch_candidate&) { return esm::batch_decision::cut(); }
#endif
  void validate(esm::source_kind) const {}
};

void compile_fail_case() {
  using message = esm::sqs_message<std::string>;
  esm::simulation sim;
  esm::sqs_queue<std::string> q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  esm::queue_poller qp{q, fn, [](const esm::queue_batch<message>&) {}, my_batching{}};
}
