// The umbrella header in a second translation unit of the same program (see odr_a.cpp).
#include <esm/esm.hpp>
#include <esm/fmt.hpp>

int odr_b_run() {
  esm::simulation sim;
  int ran = 0;
  sim.schedule_after(std::chrono::seconds{1}, [&] { ++ran; });
  sim.schedule_after(std::chrono::seconds{2}, [&] { ++ran; });
  sim.run_until_idle();
  return ran;
}
