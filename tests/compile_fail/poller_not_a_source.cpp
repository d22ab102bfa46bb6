// compile_fail.poller_not_a_source: a stream_poller given an SQS queue, which is not an
// esm::stream_source. Expected: "the source must satisfy esm::stream_source".
// Without ESM_EXPECT_FAIL the queue goes to a queue_poller and compiles cleanly.
#include <esm/esm.hpp>

#include <string>

void compile_fail_case() {
  using squeue = esm::sqs_queue<std::string>;
  using qbatch = esm::queue_batch<squeue::message_type>;
  esm::simulation sim;
  squeue q{sim, {.name = "q"}};
  esm::function fn{sim, {.name = "f"}};
#ifdef ESM_EXPECT_FAIL
  esm::stream_poller p{q, fn, [](const qbatch&) {}};
#else
  esm::queue_poller p{q, fn, [](const qbatch&) {}};
#endif
}
