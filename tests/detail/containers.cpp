// Tests of esm/detail/chunked_log.hpp, chunked_vector.hpp and ring.hpp: the hot-path containers.
#include <esm/detail/chunked_log.hpp>
#include <esm/detail/chunked_vector.hpp>
#include <esm/detail/ring.hpp>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <esm/core/random.hpp>

#include "support/alloc_counter.hpp"
#include "support/catch.hpp"

TEST_CASE("chunked_log behaves as a deque under random pushes and pops", "[detail][chunked_log]") {
  esm::detail::chunked_log<std::unique_ptr<int>, 8> log;
  std::deque<int> model;
  esm::random_stream rng{7, 7};
  int next = 0;
  for (int step = 0; step < 20'000; ++step) {
    if (model.empty() || rng.bernoulli(0.55)) {
      log.push_back(std::make_unique<int>(next));
      model.push_back(next++);
    } else {
      log.pop_front();
      model.pop_front();
    }
    REQUIRE(log.size() == model.size());
    if (!model.empty()) {
      REQUIRE(*log.front() == model.front());
      REQUIRE(*log.back() == model.back());
      const auto i = static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(model.size() - 1)));
      REQUIRE(*log[i] == model[i]);
    }
  }
}

TEST_CASE("chunked_log destroys what it holds and reuses chunks", "[detail][chunked_log]") {
  auto token = std::make_shared<int>(0);
  {
    esm::detail::chunked_log<std::shared_ptr<int>, 4> log;
    for (int i = 0; i < 10; ++i) log.push_back(std::shared_ptr<int>{token});
    for (int i = 0; i < 3; ++i) log.pop_front();
    CHECK(token.use_count() == 8);
  }
  CHECK(token.use_count() == 1);

  esm::detail::chunked_log<int, 64> steady;
  for (int i = 0; i < 1000; ++i) steady.push_back(int{i});
  for (int round = 0; round < 5; ++round) { // warm: a window of 1000 slides along
    for (int i = 0; i < 1000; ++i) {
      steady.pop_front();
      steady.push_back(int{i});
    }
  }
  esm_test::allocation_scope scope;
  for (int i = 0; i < 100'000; ++i) {
    steady.pop_front();
    steady.push_back(int{i});
  }
  CHECK(scope.count() == 0); // freed chunks are reused
  CHECK(steady.size() == 1000);
}

TEST_CASE("ring is a FIFO with random access that stops allocating once grown", "[detail][ring]") {
  esm::detail::ring<std::uint64_t> r;
  for (std::uint64_t i = 0; i < 100; ++i) r.push_back(i);
  r.pop_front(30);
  CHECK(r.size() == 70);
  CHECK(r.front() == 30);
  CHECK(r[69] == 99);
  for (std::uint64_t i = 100; i < 150; ++i) r.push_back(i); // wraps around
  CHECK(r[119] == 149);
  esm_test::allocation_scope scope;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    r.pop_front();
    r.push_back(i);
  }
  CHECK(scope.count() == 0);
  r.clear();
  CHECK(r.empty());
}

TEST_CASE("chunked_vector: elements never move while it grows; indexing across chunks", "[detail][containers]") {
  esm::detail::chunked_vector<std::string, 2> v; // chunks of 4
  CHECK(v.empty());
  std::vector<const std::string*> addresses;
  for (int i = 0; i < 11; ++i) {
    v.emplace_back() = "s" + std::to_string(i);
    addresses.push_back(&v[static_cast<std::size_t>(i)]);
  }
  CHECK(v.size() == 11);
  for (std::size_t i = 0; i < v.size(); ++i) {
    CHECK(v[i] == "s" + std::to_string(i));
    CHECK(&v[i] == addresses[i]); // stable
  }
  std::size_t n = 0;
  v.for_each([&](std::string& s) { n += s.size(); });
  CHECK(n == 2 * 10 + 3 * 1);
  const auto& cv = v;
  CHECK(cv[10] == "s10");
  CHECK(esm::detail::chunked_vector<int>::chunk_size == 256);
}
