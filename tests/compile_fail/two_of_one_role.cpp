// compile_fail.two_of_one_role: a stream_poller given two batching policies.
// Expected: "two batching policies". Without ESM_EXPECT_FAIL it gets one and compiles cleanly.
#include <esm/esm.hpp>

#include <string>

void compile_fail_case() {
  using kstream = esm::kinesis_stream<std::string>;
  using kbatch = esm::stream_batch<kstream::record_type>;
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
#ifdef ESM_EXPECT_FAIL
  esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::batching{}, esm::batching{.batch_size = 10}};
#else
  esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::batching{.batch_size = 10}};
#endif
}
