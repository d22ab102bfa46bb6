// compile_fail.unknown_policy: a stream_poller given a type that fits no policy role.
// Expected: unknown_policy_type<not_a_policy> names the type, and "fits no policy role".
// Without ESM_EXPECT_FAIL the same poller takes esm::batching{} and compiles cleanly.
#include <esm/esm.hpp>

#include <string>

struct not_a_policy {
  int x;
};

void compile_fail_case() {
  using kstream = esm::kinesis_stream<std::string>;
  using kbatch = esm::stream_batch<kstream::record_type>;
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
#ifdef ESM_EXPECT_FAIL
  esm::stream_poller p{s, fn, [](const kbatch&) {}, not_a_policy{1}};
#else
  esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::batching{}};
#endif
}
