// compile_fail.hazards_unknown_source: the hazard battery given a source it has no hazards for.
// Expected: the static_assert listing the four sources it takes.
// Without ESM_EXPECT_FAIL the same consumer factory runs on an sqs_queue<std::string>.
#include <esm/testing/hazards.hpp>

#include <string>

void compile_fail_case() {
  using queue = esm::sqs_queue<std::string>;
  auto make = [](esm::testing::faults&) {
    return esm::testing::consumer{[](const esm::queue_batch<queue::message_type>&) {},
                                  [](std::string_view) { return 0; }};
  };
#ifdef ESM_EXPECT_FAIL
  (void)esm::testing::hazards<esm::sqs_queue<int>>(make);
#else
  (void)esm::testing::hazards<queue>(make);
#endif
}
