// compile_fail.retry_missing_member: a type declaring esm::retry_role without on_failure.
// Expected: "must satisfy esm::stream_retry_policy", and the compiler names the missing
// expression p.on_failure(f). Without ESM_EXPECT_FAIL the type has on_failure and compiles cleanly.
#include <esm/esm.hpp>

#include <optional>
#include <string>

struct my_retry {
  using esm_role = esm::retry_role;
#ifndef ESM_EXPECT_FAIL
  esm::retry_decision on_failure(const esm::stream_failure&) { return esm::retry_decision::bisect(); }
#endif
  std::optional<esm::duration> record_age_limit() const { return std::nullopt; }
  void validate() const {}
};

void compile_fail_case() {
  using kstream = esm::kinesis_stream<std::string>;
  using kbatch = esm::stream_batch<kstream::record_type>;
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  esm::stream_poller p{s, fn, [](const kbatch&) {}, my_retry{}};
}
