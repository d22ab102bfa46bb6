#pragma once
// The sample consumers of the hazard battery's example (examples/testing_hazards.cpp) and tests
// (tests/testing/hazards.cpp): one correct consumer per source kind, and the switches that turn
// it into each classic bug. Each calls its dependency through esm::testing::faults.

#include <esm/testing/faults.hpp>
#include <esm/testing/hazards.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace sample_consumers {

namespace et = esm::testing;
using store = std::map<std::string, int, std::less<>>;

struct behaviour {
  bool idempotent = true;    // skips an item whose effect it applied already
  bool partial = false;      // reports failures in a partial batch response (else throws)
  bool rest_of_group = true; // after a failure, reports the rest of the batch too (FIFO order)
};

inline auto effects(std::shared_ptr<store> s) {
  return [s](std::string_view id) {
    const auto it = s->find(id);
    return it == s->end() ? 0 : it->second;
  };
}

// An SQS consumer (standard or FIFO) applying each message's effect after its dependency call.
template <class Queue>
auto queue_consumer(behaviour b) {
  using batch = esm::queue_batch<typename Queue::message_type>;
  return [b](et::faults& f) {
    auto s = std::make_shared<store>();
    auto handler = [s, &f, b](const batch& msgs) -> esm::batch_response {
      esm::batch_response r;
      bool failing = false;
      for (const auto& m : msgs) {
        const std::string id{et::business_id(m)};
        if (failing) {
          r.fail(std::string{m.message_id()});
          continue;
        }
        if (b.idempotent && s->contains(id)) continue;
        try {
          f.check(id);
          ++(*s)[id];
        } catch (const et::injected_fault&) {
          if (!b.partial) throw;
          r.fail(std::string{m.message_id()});
          failing = b.rest_of_group;
        }
      }
      return r;
    };
    return et::consumer{handler, effects(s)};
  };
}

// A stream consumer: in order; on a failure it reports that record and stops (or throws).
template <class Stream>
auto stream_consumer(behaviour b) {
  using batch = esm::stream_batch<typename Stream::record_type>;
  return [b](et::faults& f) {
    auto s = std::make_shared<store>();
    auto handler = [s, &f, b](const batch& records) -> esm::batch_response {
      for (const auto& rec : records) {
        const std::string id{et::business_id(rec)};
        if (b.idempotent && s->contains(id)) continue;
        try {
          f.check(id);
          ++(*s)[id];
        } catch (const et::injected_fault&) {
          if (!b.partial) throw;
          return {{{rec.sequence_number()}}};
        }
      }
      return {};
    };
    return et::consumer{handler, effects(s)};
  };
}

} // namespace sample_consumers
