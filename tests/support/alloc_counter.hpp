#pragma once
// Counts global operator new calls, so tests can assert that a code path does not allocate.
#include <cstddef>

namespace esm_test {
/// Number of global operator new calls since the program started.
std::size_t allocations() noexcept;

/// Allocations made while an instance lives.
class allocation_scope {
public:
  allocation_scope() noexcept : start_(allocations()) {}
  [[nodiscard]] std::size_t count() const noexcept { return allocations() - start_; }

private:
  std::size_t start_;
};
} // namespace esm_test
