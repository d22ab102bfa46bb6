// compile_fail.recorder_not_a_batch: a recorder's handler called with an event that is not a
// batch of stream records or SQS messages. Expected: the static_assert naming the batch types.
// Without ESM_EXPECT_FAIL the recorder wraps a handler of an esm::queue_batch.
#include <esm/esm.hpp>
#include <esm/testing/recorder.hpp>

#include <string>

void compile_fail_case() {
  esm::simulation sim;
  esm::testing::recorder rec{sim};
#ifdef ESM_EXPECT_FAIL
  esm::invocation_context ctx{"f", "id", esm::time_point{}, std::chrono::seconds{3}, 128, 1};
  auto h = rec.wrap([](const int&) {});
  int event = 1;
  h(event, ctx);
#else
  auto h = rec.wrap([](const esm::queue_batch<esm::sqs_queue<std::string>::message_type>&) {});
  static_assert(esm::handler<decltype(h), const esm::queue_batch<esm::sqs_queue<std::string>::message_type>>);
#endif
}
