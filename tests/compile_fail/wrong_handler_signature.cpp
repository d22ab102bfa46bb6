// compile_fail.wrong_handler_signature: a stream_poller whose handler takes an int.
// Expected: "the handler must be callable as". Without ESM_EXPECT_FAIL the handler takes the
// batch and compiles cleanly.
#include <esm/esm.hpp>

#include <string>

void compile_fail_case() {
  using kstream = esm::kinesis_stream<std::string>;
  using kbatch = esm::stream_batch<kstream::record_type>;
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
#ifdef ESM_EXPECT_FAIL
  esm::stream_poller p{s, fn, [](int) {}};
#else
  esm::stream_poller p{s, fn, [](const kbatch&) {}};
#endif
}
