// Tests of esm/esm.hpp and esm/version.hpp: the umbrella header and the version.
#include <esm/esm.hpp>

#include "support/catch.hpp"

TEST_CASE("the umbrella header exposes the kernel and the function model", "[esm][umbrella]") {
  using namespace std::chrono_literals;
  esm::simulation sim;
  esm::function fn{sim, {.name = "umbrella"}};
  int ok = 0;
  int payload = 0;
  auto h = [](const int&) {};
  fn.invoke(payload, h, [&](const esm::invocation_result& r) { ok += r.kind == esm::outcome::success; });
  sim.run_until_idle();
  CHECK(ok == 1);
}

TEST_CASE("the version is written once and agrees with its macros", "[esm][version]") {
  CHECK(esm::version.major == ESM_VERSION_MAJOR);
  CHECK(esm::version.minor == ESM_VERSION_MINOR);
  CHECK(esm::version.patch == ESM_VERSION_PATCH);
}
