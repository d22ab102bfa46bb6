// compile_fail.queue_poller_not_a_queue: a queue_poller given a Kinesis stream, which is not an
// esm::queue_source. Expected: "the source must satisfy esm::queue_source", named before any
// error about the stream's missing queue members.
// Without ESM_EXPECT_FAIL the stream goes to a stream_poller and compiles cleanly.
#include <esm/esm.hpp>

#include <string>

void compile_fail_case() {
  using kstream = esm::kinesis_stream<std::string>;
  using kbatch = esm::stream_batch<kstream::record_type>;
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
#ifdef ESM_EXPECT_FAIL
  esm::queue_poller p{s, fn, [](const kbatch&) {}};
#else
  esm::stream_poller p{s, fn, [](const kbatch&) {}};
#endif
}
