// The benchmarks' main: runs Google Benchmark as usual, then prints each case's throughput as a
// ratio to its hand-written baseline twin (BM_<name> vs BM_<name>_baseline), measured in the same
// process. With --benchmark_repetitions, the medians are compared.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

class ratio_reporter : public benchmark::ConsoleReporter {
public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      const bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") continue;
      const auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      std::string name = run.run_name.str();
      // Keep the last value: a median replaces the individual repetitions.
      rates_[name] = it->second.value;
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-40s %14s %14s %8s\n", "case", "items/s", "baseline", "ratio");
    for (const auto& [name, rate] : rates_) {
      const auto slash = name.find('/');
      const std::string base = name.substr(0, slash);
      const std::string args = slash == std::string::npos ? "" : name.substr(slash);
      if (base.size() > 9 && base.compare(base.size() - 9, 9, "_baseline") == 0) continue;
      const auto twin = rates_.find(base + "_baseline" + args);
      if (twin == rates_.end()) continue;
      std::printf("%-40s %13.3gM %13.3gM %7.2fx\n", name.c_str(), rate / 1e6, twin->second / 1e6, rate / twin->second);
    }
  }

private:
  std::map<std::string, double> rates_;
};

} // namespace

int main(int argc, char** argv) {
  // --benchmark_format=json|csv: Google Benchmark's own reporter, for tools.
  bool console = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--benchmark_format=", 0) == 0 && arg != "--benchmark_format=console") console = false;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (console) {
    ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}
