#pragma once
// Test helper: a digest of every trace event a simulation emits (FNV-1a 64 over each event as
// esm::to_string renders it), and a file the digests go to. The `[digest]` tests write
// "<name> <events> <digest>" lines to $ESM_DIGEST_FILE; scripts/test.sh compares the g++ and clang
// files, so a run that differs between compilers fails CI (issue 14 point 8).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <esm/core/simulation.hpp>
#include <esm/core/trace.hpp>

namespace esm_test {

/// The digest of a trace: attach it to a simulation before the run.
struct trace_digest {
  std::uint64_t hash = 14695981039346656037ULL; // FNV-1a 64 offset basis
  std::uint64_t events = 0;

  void attach(esm::simulation& sim) {
    sim.trace().subscribe([this](const esm::trace_event& e) {
      const std::string text = esm::to_string(e);
      for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL; // FNV-1a 64 prime
      }
      hash ^= '\n';
      hash *= 1099511628211ULL;
      ++events;
    });
  }
  [[nodiscard]] std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
    return buf;
  }
};

/// Appends "<name> <events> <digest>" to $ESM_DIGEST_FILE when it is set.
inline void record_digest(const std::string& name, const trace_digest& d) {
  const char* path = std::getenv("ESM_DIGEST_FILE");
  if (path == nullptr || *path == '\0') return;
  if (std::FILE* f = std::fopen(path, "a")) {
    std::fprintf(f, "%s %llu %s\n", name.c_str(), static_cast<unsigned long long>(d.events), d.hex().c_str());
    std::fclose(f);
  }
}

} // namespace esm_test
