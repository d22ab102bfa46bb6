// esm-sim: runs an event source mapping scenario file and reports what it did.
//
//   esm-sim SCENARIO.json [--out DIR] [--seed N] [--set key=value]... [--sweep key=v1,v2,...]
//           [--jobs N] [--max-memory SIZE] [--estimate] [--quiet]
//
// See docs/esm-sim.md. (A tool, not the simulation core: it may read the wall clock, for the
// progress bar and the timing it prints, and run sweep variants on threads.)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include <esm/version.hpp>

#include "estimate.hpp"
#include "report.hpp"
#include "run.hpp"
#include "scenario.hpp"

namespace {

using namespace esm_sim;
namespace fs = std::filesystem;
using wall_clock = std::chrono::steady_clock;

constexpr int exit_goal_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_io = 3;
constexpr int exit_out_of_memory = 4;

constexpr const char* usage_text =
    "usage: esm-sim SCENARIO.json [--out DIR] [--seed N] [--set key=value]... [--sweep key=v1,v2,...]\n"
    "               [--jobs N] [--max-memory SIZE] [--estimate] [--quiet]\n"
    "\n"
    "Runs an AWS Lambda event source mapping scenario in virtual time and reports what it did.\n"
    "\n"
    "  --out DIR             where the timeline CSV, the JSON summary and the SVG charts go\n"
    "                        (default: esm-sim-out/<scenario file name>)\n"
    "  --seed N              overrides the scenario's seed\n"
    "  --set key=value       overrides a scenario value, by dotted path: --set mapping.batch_size=500,\n"
    "                        --set producers.0.rate=2000, --set function.duration=250ms (repeatable)\n"
    "  --sweep key=v1,v2,... runs one variant per value, in parallel on the machine's cores, and\n"
    "                        prints a comparison table (each variant also gets its own report)\n"
    "  --jobs N              sweep variants run at once (default: the number of cores)\n"
    "  --max-memory SIZE     refuse a run whose estimated memory exceeds SIZE (512MiB, 8GiB, 2G);\n"
    "                        default: the smallest of half the physical memory, 80% of the cgroup's\n"
    "                        memory.max and half of RLIMIT_AS\n"
    "  --estimate            print the run's estimated records, events and memory, and stop\n"
    "  --quiet               no summary on stdout (files and exit status only)\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 every goal met, 1 a goal missed, 2 bad arguments or scenario (or a run that would\n"
    "exceed --max-memory), 3 an output error (the --out directory is checked before the run),\n"
    "4 out of memory during the run.\n"
    "Scenario format: docs/esm-sim.md; examples: examples/scenarios/.\n";

struct options {
  fs::path scenario;
  std::optional<fs::path> out;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> sets;
  std::optional<std::string> sweep;
  unsigned jobs = 0;
  std::optional<double> max_memory;
  bool estimate_only = false;
  bool quiet = false;
};

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The run ran out of memory (exit 4); `what()` says when and what the estimate was.
struct out_of_memory_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

options parse_args(int argc, char** argv) {
  options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto value = [&](std::size_t& i, const std::string& flag) -> std::string {
    const auto eq = args[i].find('=');
    if (eq != std::string::npos && args[i].starts_with("--") && args[i].substr(0, eq) == flag) return args[i].substr(eq + 1);
    if (i + 1 >= args.size()) throw usage_error(flag + " needs a value");
    return args[++i];
  };
  auto flag_is = [&](const std::string& a, const char* f) { return a == f || a.starts_with(std::string{f} + "="); };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    } else if (a == "--version") {
      std::printf("esm-sim %d.%d.%d\n", esm::version.major, esm::version.minor, esm::version.patch);
      std::exit(0);
    } else if (flag_is(a, "--out")) {
      o.out = value(i, "--out");
    } else if (flag_is(a, "--seed")) {
      const auto v = value(i, "--seed");
      try {
        std::size_t used = 0;
        const auto n = std::stoull(v, &used);
        if (used != v.size() || v.starts_with('-')) throw std::invalid_argument("");
        o.seed = n;
      } catch (const std::exception&) {
        throw usage_error("--seed needs a non-negative integer, got \"" + v + "\"");
      }
    } else if (flag_is(a, "--set")) {
      o.sets.push_back(value(i, "--set"));
    } else if (flag_is(a, "--sweep")) {
      if (o.sweep) throw usage_error("--sweep can be given once");
      o.sweep = value(i, "--sweep");
    } else if (flag_is(a, "--jobs")) {
      const auto v = value(i, "--jobs");
      try {
        const int n = std::stoi(v);
        if (n < 1 || n > 256) throw std::invalid_argument("");
        o.jobs = static_cast<unsigned>(n);
      } catch (const std::exception&) {
        throw usage_error("--jobs needs an integer in [1, 256], got \"" + v + "\"");
      }
    } else if (flag_is(a, "--max-memory")) {
      const auto v = value(i, "--max-memory");
      o.max_memory = parse_size(v);
      if (!o.max_memory) {
        throw usage_error(
            "--max-memory needs a size such as 512MiB, 8GiB or 2G (units B, K, M, G, T, powers of 1024), got \"" + v +
            "\"");
      }
    } else if (a == "--estimate") {
      o.estimate_only = true;
    } else if (a == "--quiet" || a == "-q") {
      o.quiet = true;
    } else if (a.starts_with("-") && a != "-") {
      throw usage_error("unknown option " + a);
    } else if (o.scenario.empty()) {
      o.scenario = a;
    } else {
      throw usage_error("one scenario file at a time (got \"" + o.scenario.string() + "\" and \"" + a + "\")");
    }
  }
  if (o.scenario.empty()) throw usage_error("no scenario file given");
  return o;
}

/// A progress bar on stderr: shown only when stderr is a terminal and the run has lasted about a
/// second; erased at the end. Thread-safe (sweep variants report from their threads).
class progress_bar {
public:
  explicit progress_bar(std::size_t parts) : enabled_(isatty(STDERR_FILENO) != 0), parts_(parts, 0.0) {}
  void update(std::size_t part, double fraction) {
    if (!enabled_) return;
    std::lock_guard lock{m_};
    parts_[part] = fraction;
    const auto now = wall_clock::now();
    if (now - start_ < std::chrono::milliseconds{900} || now - last_ < std::chrono::milliseconds{100}) return;
    last_ = now;
    double sum = 0;
    for (const double p : parts_) sum += p;
    const double f = sum / static_cast<double>(parts_.size());
    constexpr int width = 40;
    const int filled = static_cast<int>(f * width);
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r  [%s] %3d%%  %.1f s%s", bar.c_str(), static_cast<int>(f * 100), elapsed,
                 parts_.size() > 1 ? fmt::format("  ({} variants)", parts_.size()).c_str() : "");
    std::fflush(stderr);
    shown_ = true;
  }
  void finish() {
    std::lock_guard lock{m_};
    if (shown_) std::fprintf(stderr, "\r%*s\r", 72, "");
    shown_ = false;
  }

private:
  bool enabled_;
  std::mutex m_;
  std::vector<double> parts_;
  wall_clock::time_point start_ = wall_clock::now();
  wall_clock::time_point last_{};
  bool shown_ = false;
};

nlohmann::json load_with_overrides(const options& o) {
  nlohmann::json doc = load_json(o.scenario);
  for (const auto& s : o.sets) apply_override(doc, s);
  if (o.seed) doc["seed"] = *o.seed;
  return doc;
}

std::string safe_dir_name(std::string s) {
  for (char& c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '=')) c = '_';
  }
  return s;
}

memory_limit limit_of(const options& o) {
  return o.max_memory ? memory_limit{*o.max_memory, "--max-memory"} : default_memory_limit();
}

std::string estimate_text(const resource_estimate& e) {
  return fmt::format("{} records written, {} held at the peak ({}), {} invocations, {} events", count_text(e.records),
                     count_text(e.peak_held), e.held_reason, count_text(e.invocations), count_text(e.events));
}

// Refuses (exit 2, before anything runs) a run whose estimate exceeds the limit. `what` names the
// run ("the run", "the 4 variants run at once"); `e` is the largest (or only) variant's estimate.
void check_fits(double bytes, const std::string& what, const resource_estimate& e, const memory_limit& limit,
                const std::string& more_fixes = {}) {
  if (bytes <= limit.bytes) return;
  std::string fixes = "a shorter `duration`, a lower producer rate or fewer records per burst";
  if (e.held_reason.ends_with("retention")) {
    fixes += ", `\"retention\": \"until_consumed\"` in `source` (a modelling aid: records leave once processed)";
  } else if (e.held_reason == "until consumed") {
    fixes +=
        ", a mapping that keeps up (more shards, a higher `parallelization_factor` or `batch_size`, a faster function)";
  } else {
    fixes += ", a mapping that keeps up (a higher `batch_size` or `maximum_concurrency`, a faster function), a shorter "
             "`retention`";
  }
  fixes += more_fixes + ", or --max-memory SIZE when the machine has the memory";
  throw scenario_error("", fmt::format("{} would need about {} of memory, over the limit of {} ({}); estimate: {}.\n"
                                       "  To fit: {}.",
                                       what, bytes_text(bytes), bytes_text(limit.bytes), limit.source, estimate_text(e),
                                       fixes));
}

std::string out_of_memory_text(const scenario& s, double fraction, const resource_estimate& e,
                               const memory_limit& limit) {
  const auto at = esm::duration{static_cast<esm::duration::rep>(fraction * static_cast<double>(s.run_length.count()))};
  return fmt::format(
      "out of memory after {} of the run's {} of virtual time (the estimate was about {}, within the limit "
      "of {} ({}); estimate: {}); the machine gave less than the estimate, or the scenario needs more than "
      "the estimate says: a shorter `duration` or a lower rate needs less",
      duration_text(at), duration_text(s.run_length), bytes_text(e.bytes), bytes_text(limit.bytes), limit.source,
      estimate_text(e));
}

// Creates the report directory and writes (then removes) a file in it, so a run is not lost to a
// directory that cannot be written (exit 3 before anything runs).
void check_writable(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create the report directory \"" + dir.string() + "\": " + ec.message());
  const fs::path probe = dir / (".esm-sim-probe-" + std::to_string(getpid()));
  std::FILE* f = std::fopen(probe.c_str(), "w");
  if (f == nullptr || std::fputc('\n', f) == EOF) {
    const int err = errno;
    if (f != nullptr) std::fclose(f);
    throw std::runtime_error("cannot write in the report directory \"" + dir.string() + "\": " + std::strerror(err));
  }
  const bool closed = std::fclose(f) == 0;
  const int err = errno;
  fs::remove(probe, ec);
  if (!closed)
    throw std::runtime_error("cannot write in the report directory \"" + dir.string() + "\": " + std::strerror(err));
}

void print_estimate(const std::string& label, const resource_estimate& e) {
  std::printf("  %-28s %s records written, %s held at the peak (%s), %s invocations, %s events, about %s\n",
              label.c_str(), count_text(e.records).c_str(), count_text(e.peak_held).c_str(), e.held_reason.c_str(),
              count_text(e.invocations).c_str(), count_text(e.events).c_str(), bytes_text(e.bytes).c_str());
}

// Writes the timeline, the summary and the charts of one run into dir; returns the file names.
std::vector<std::string> write_report(const fs::path& dir, const scenario& s, const run_result& r,
                                      const std::vector<verdict>& v) {
  fs::create_directories(dir);
  std::vector<std::string> files{"timeline.csv", "summary.json"};
  write_file(dir / "timeline.csv", timeline_csv(r, s.timeline_columns));
  const auto charts = write_charts(dir, s, r);
  files.insert(files.end(), charts.begin(), charts.end());
  write_file(dir / "summary.json", summary_json(s, r, v, files).dump(2) + "\n");
  return files;
}

int run_one(const options& o, const fs::path& out) {
  const auto doc = load_with_overrides(o);
  const scenario s = parse_scenario(doc, o.scenario.parent_path());
  const auto e = estimate_resources(s);
  const auto limit = limit_of(o);
  if (o.estimate_only) {
    std::printf("%s: estimate for %s of virtual time\n", s.name.c_str(), duration_text(s.run_length).c_str());
    print_estimate("the run", e);
    std::printf("  memory limit %s (%s): %s\n", bytes_text(limit.bytes).c_str(), limit.source.c_str(),
                e.bytes <= limit.bytes ? "fits" : "refused");
    return e.bytes <= limit.bytes ? 0 : exit_usage;
  }
  check_fits(e.bytes, "the run", e, limit);
  check_writable(out);
  progress_bar bar{1};
  const auto t0 = wall_clock::now();
  double done = 0;
  run_result r;
  try {
    r = run_scenario(s, [&bar, &done](double f) {
      done = f;
      bar.update(0, f);
    });
  } catch (const std::bad_alloc&) {
    bar.finish();
    throw out_of_memory_error(out_of_memory_text(s, done, e, limit));
  }
  const double wall = std::chrono::duration<double>(wall_clock::now() - t0).count();
  bar.finish();
  const auto v = judge(s, r);
  const auto files = write_report(out, s, r, v);
  if (!o.quiet) {
    std::fputs(summary_text(s, r, v, wall, isatty(STDOUT_FILENO) != 0).c_str(), stdout);
    std::printf("\n  report in %s/: ", out.string().c_str());
    for (std::size_t i = 0; i < files.size(); ++i) std::printf("%s%s", i ? ", " : "", files[i].c_str());
    std::printf("\n");
  }
  return std::all_of(v.begin(), v.end(), [](const verdict& x) { return x.met; }) ? 0 : exit_goal_failed;
}

int run_sweep(const options& o, const fs::path& out) {
  sweep_spec sweep;
  try {
    sweep = parse_sweep(*o.sweep);
  } catch (const scenario_error& e) {
    throw usage_error(e.what());
  }
  const std::string& key = sweep.key;
  const std::vector<std::string>& values = sweep.values;
  // Validate every variant before running any.
  std::vector<variant> vs;
  for (const auto& val : values) {
    auto doc = load_with_overrides(o);
    apply_override(doc, key + "=" + val);
    variant v;
    v.value = val;
    v.dir_name = safe_dir_name(key + "=" + val);
    try {
      v.s = parse_scenario(doc, o.scenario.parent_path());
    } catch (const scenario_error& e) {
      throw scenario_error(e.path(), e.problem() + " (in the variant " + key + "=" + val + ")");
    }
    vs.push_back(std::move(v));
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned jobs = std::min<unsigned>(o.jobs ? o.jobs : cores, static_cast<unsigned>(vs.size()));
  // The variants that run at once must fit together: the `jobs` largest estimates.
  std::vector<resource_estimate> es;
  for (const auto& v : vs) es.push_back(estimate_resources(v.s));
  std::vector<std::size_t> by_size(vs.size());
  for (std::size_t i = 0; i < by_size.size(); ++i) by_size[i] = i;
  std::sort(by_size.begin(), by_size.end(), [&es](std::size_t a, std::size_t b) { return es[a].bytes > es[b].bytes; });
  double at_once = 0;
  for (unsigned j = 0; j < jobs; ++j) at_once += es[by_size[j]].bytes;
  const auto limit = limit_of(o);
  if (o.estimate_only) {
    std::printf("%s: estimate for %s of virtual time per variant\n", vs.front().s.name.c_str(),
                duration_text(vs.front().s.run_length).c_str());
    for (std::size_t i = 0; i < vs.size(); ++i) print_estimate(key + "=" + vs[i].value, es[i]);
    std::printf("  memory limit %s (%s), %u variant%s at once, about %s: %s\n", bytes_text(limit.bytes).c_str(),
                limit.source.c_str(), jobs, jobs == 1 ? "" : "s", bytes_text(at_once).c_str(),
                at_once <= limit.bytes ? "fits" : "refused");
    return at_once <= limit.bytes ? 0 : exit_usage;
  }
  const auto& largest = vs[by_size.front()];
  check_fits(at_once,
             jobs == 1
                 ? "the variant " + key + "=" + largest.value
                 : fmt::format("the {} variants run at once (--jobs {}; the largest, {}={}, alone needs about {})",
                               jobs, jobs, key, largest.value, bytes_text(es[by_size.front()].bytes)),
             es[by_size.front()], limit, jobs > 1 ? ", fewer variants at once (--jobs 1)" : "");
  check_writable(out);
  progress_bar bar{vs.size()};
  std::atomic<std::size_t> next{0};
  std::vector<std::string> errors(vs.size());
  std::vector<double> done(vs.size(), 0.0);
  std::vector<char> out_of_memory(vs.size(), 0);
  const auto t0 = wall_clock::now();
  auto worker = [&]() {
    for (std::size_t i = next++; i < vs.size(); i = next++) {
      try {
        vs[i].r = run_scenario(vs[i].s, [&bar, &done, i](double f) {
          done[i] = f;
          bar.update(i, f);
        });
        vs[i].verdicts = judge(vs[i].s, vs[i].r);
      } catch (const std::bad_alloc&) {
        out_of_memory[i] = 1; // the variant's simulation is gone with the stack: the others go on
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(wall_clock::now() - t0).count();
  bar.finish();
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (out_of_memory[i] != 0) {
      throw out_of_memory_error(key + "=" + vs[i].value + ": " + out_of_memory_text(vs[i].s, done[i], es[i], limit) +
                                fmt::format(" ({} variant{} ran at once, about {} together)", jobs,
                                            jobs == 1 ? "" : "s", bytes_text(at_once)));
    }
  }
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (!errors[i].empty()) throw scenario_error("", key + "=" + vs[i].value + ": " + errors[i]);
  }
  fs::create_directories(out);
  for (const auto& v : vs) write_report(out / v.dir_name, v.s, v.r, v.verdicts);
  const auto charts = write_sweep_charts(out, key, vs);
  write_file(out / "sweep.json", sweep_json(key, vs).dump(2) + "\n");
  if (!o.quiet) {
    const auto& s = vs.front().s;
    std::printf("%s: sweep of %s over %zu values (%u at a time), %.2f s of wall time\n\n", s.name.c_str(), key.c_str(),
                vs.size(), jobs, wall);
    std::fputs(sweep_table(key, vs).c_str(), stdout);
    std::printf("\n  report in %s/: sweep.json, ", out.string().c_str());
    for (const auto& c : charts) std::printf("%s, ", c.c_str());
    std::printf("and one directory per variant (%s/ ...)\n", vs.front().dir_name.c_str());
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  try {
    o = parse_args(argc, argv);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "esm-sim: %s\n\n%s", e.what(), usage_text);
    return exit_usage;
  }
  const fs::path out = o.out ? *o.out : fs::path{"esm-sim-out"} / o.scenario.stem();
  try {
    return o.sweep ? run_sweep(o, out) : run_one(o, out);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "esm-sim: %s\n", e.what());
    return exit_usage;
  } catch (const scenario_error& e) {
    std::fprintf(stderr, "esm-sim: %s: %s\n", o.scenario.string().c_str(), e.what());
    return exit_usage;
  } catch (const out_of_memory_error& e) {
    std::fprintf(stderr, "esm-sim: %s: %s\n", o.scenario.string().c_str(), e.what());
    return exit_out_of_memory;
  } catch (const std::bad_alloc&) {
    std::fputs("esm-sim: out of memory (outside the simulation: reading the scenario or writing the report)\n", stderr);
    return exit_out_of_memory;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "esm-sim: %s\n", e.what());
    return exit_io;
  }
}
