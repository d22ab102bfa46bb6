// The umbrella header in one translation unit of a program that has it in two (see odr_b.cpp).
#include <esm/esm.hpp>
#include <esm/fmt.hpp>

int odr_b_run();

int main() {
  esm::simulation sim;
  int ran = 0;
  sim.schedule_after(std::chrono::seconds{1}, [&] { ++ran; });
  sim.run_until_idle();
  return (ran == 1 && odr_b_run() == 2) ? 0 : 1;
}
