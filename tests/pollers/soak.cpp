// Soak runs of both pollers (issue 14 point 9): one long randomized run per source kind, with
// resharding, disable/enable, retries, bisection, destinations that fail, redrive to a dead-letter
// queue and back, checking the conservation law at every virtual minute. CI runs 6 virtual hours
// of each; the long run (a virtual week) is
//   ESM_SOAK_HOURS=168 build/dev/tests/esm_tests "[soak]"
// ESM_SOAK_SEED picks another seed (default 1).
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;

namespace {

int soak_hours() {
  const char* h = std::getenv("ESM_SOAK_HOURS");
  return h != nullptr ? std::atoi(h) : 6;
}
std::uint64_t soak_seed() {
  const char* s = std::getenv("ESM_SOAK_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 10) : 1;
}

// Schedules `f` every `period` until `end`. Each event holds a copy of the ticker; the ticker
// shares `f` but not itself, so nothing is left behind (no shared_ptr cycle) when the run ends.
struct ticker {
  esm::simulation* sim;
  esm::duration period;
  esm::time_point end;
  std::shared_ptr<std::function<void()>> f;
  void operator()() const {
    (*f)();
    if (sim->now() + period <= end) sim->schedule_after(period, *this);
  }
};

void every(esm::simulation& sim, esm::duration period, esm::time_point end, std::function<void()> f) {
  sim.schedule_after(period, ticker{&sim, period, end, std::make_shared<std::function<void()>>(std::move(f))});
}

} // namespace

TEST_CASE("soak: a Kinesis mapping for hours with resharding, disables, retries and a failing destination",
          "[pollers][stream][soak][reliability]") {
  using kstream = esm::kinesis_stream<std::string>;
  using kbatch = esm::stream_batch<kstream::record_type>;
  const int hours = soak_hours();
  esm::simulation sim{{.seed = soak_seed()}};
  kstream s{sim, {.name = "s", .shard_count = 4}};
  esm::function fn{sim, {.name = "f", .timeout = 10s, .default_duration = esm::duration_model::exponential(200ms)}};
  auto hrng = sim.rng("soak/handler");
  auto drng = sim.rng("soak/destination");
  std::uint64_t destination_refused = 0;
  esm::stream_poller p{s,
                       fn,
                       [&](const kbatch& b) {
                         for (const auto& r : b)
                           if (r.data[0] == 'p') throw std::runtime_error("poison");
                         if (hrng.bernoulli(0.05)) throw std::runtime_error("flaky");
                       },
                       esm::starting_position::trim_horizon(),
                       esm::stream_retry{.max_attempts = 3, .bisect_on_error = true},
                       esm::batching{.batch_size = 50, .window = 1s},
                       esm::on_failure{[&](const esm::stream_failure_record&) {
                         const bool ok = !drng.bernoulli(0.2); // the destination refuses one in five
                         destination_refused += ok ? 0 : 1;
                         return ok;
                       }},
                       esm::stream_options{.name = "m"}};

  const esm::time_point end = esm::time_point{} + std::chrono::hours{hours};
  auto prng = sim.rng("soak/producer");
  std::uint64_t put = 0;
  every(sim, 1s, end, [&] {
    const auto n = prng.uniform_int(0, 20);
    for (std::int64_t i = 0; i < n; ++i) {
      const bool poison = prng.bernoulli(0.002);
      s.put("k" + std::to_string(prng.uniform_int(0, 49)), (poison ? "p" : "r") + std::to_string(put));
      ++put;
    }
  });
  auto arng = sim.rng("soak/actions");
  int splits = 0, merges = 0, pauses = 0;
  every(sim, 1h, end, [&] {
    std::vector<std::uint32_t> open;
    for (std::uint32_t i = 0; i < s.shard_count(); ++i)
      if (!s.shard_at(i).closed()) open.push_back(i);
    const auto action = arng.uniform_int(0, 2);
    if (action == 0 && open.size() < 8) {
      s.split_shard(
          s.shard_at(open[static_cast<std::size_t>(arng.uniform_int(0, static_cast<std::int64_t>(open.size()) - 1))])
              .id());
      ++splits;
    } else if (action == 1 && open.size() > 2) {
      // Two open shards with adjacent hash-key ranges (merge_shards refuses the others).
      for (const auto a : open) {
        for (const auto b : open) {
          if (a == b) continue;
          try {
            s.merge_shards(s.shard_at(a).id(), s.shard_at(b).id());
            ++merges;
            return;
          } catch (const esm::input_error&) {
          }
        }
      }
    } else {
      p.disable();
      ++pauses;
      sim.schedule_after(10min, [&] { p.enable(); });
    }
  });

  // The conservation law at every sample: each record put is settled (processed, sent to the
  // destination, dropped, expired, filtered) or still in its shard after the checkpoint.
  std::uint64_t samples = 0, violations = 0;
  std::string first_violation;
  auto check = [&] {
    const auto& m = p.metrics();
    const std::uint64_t settled = m.processed_event_count + m.on_failure_destination_delivered_event_count +
                                  m.dropped_event_count + m.expired_event_count + m.filtered_out_event_count;
    std::uint64_t pending = 0;
    for (std::uint32_t i = 0; i < s.shard_count(); ++i) pending += s.shard_at(i).end_position() - p.checkpoint(i);
    ++samples;
    if (settled + pending != s.metrics().records_put && violations++ == 0) {
      first_violation = esm::to_string(sim.now()) + ": put " + std::to_string(s.metrics().records_put) + ", settled " +
                        std::to_string(settled) + ", pending " + std::to_string(pending);
    }
  };
  every(sim, 1min, end, check);
  sim.run_until(end + 1ns);
  sim.run_for(2h); // no more puts: everything settles
  check();
  INFO(first_violation);
  CHECK(violations == 0);
  CHECK(samples >= static_cast<std::uint64_t>(hours) * 60);
  CHECK(put == s.metrics().records_put);
  CHECK(p.metrics().expired_event_count == 0); // none expired unread (processed ones expire with retention)
  const auto& m = p.metrics();
  CHECK(m.processed_event_count + m.on_failure_destination_delivered_event_count + m.dropped_event_count == put);
  CHECK(m.dropped_event_count > 0);
  CHECK(m.on_failure_destination_delivered_event_count > 0);
  CHECK(m.bisections > 0);
  CHECK(splits + merges > 0);
  CHECK(pauses > 0);
  std::printf("soak kinesis: %d virtual h, %llu records, %llu samples, %d splits, %d merges, %d pauses, %llu events\n",
              hours, static_cast<unsigned long long>(put), static_cast<unsigned long long>(samples), splits, merges,
              pauses, static_cast<unsigned long long>(sim.events_run()));
}

TEST_CASE("soak: a DynamoDB mapping for hours with shard roll-overs, parallelization, partial responses and a failing "
          "destination",
          "[pollers][dynamodb][soak][reliability]") {
  using dstream = esm::dynamodb_stream<std::string>;
  using dbatch = esm::stream_batch<dstream::record_type>;
  const int hours = soak_hours();
  esm::simulation sim{{.seed = soak_seed()}};
  dstream s{sim, {.name = "orders", .partitions = 3, .rollover = 1h}};
  esm::function fn{sim, {.name = "f", .timeout = 10s, .default_duration = esm::duration_model::exponential(150ms)}};
  auto hrng = sim.rng("soak/handler");
  auto drng = sim.rng("soak/destination");
  // Order per item (spec §2.1): the first delivery of each record of an item comes after the
  // first delivery of the item's earlier records. `pending[item]` holds the sequences written
  // and not yet delivered, oldest first.
  std::map<std::string, std::deque<std::uint64_t>, std::less<>> pending;
  std::uint64_t order_violations = 0, redeliveries = 0;
  const auto image = [](const dstream::record_type& r) -> const std::string& {
    return r.new_image ? *r.new_image : *r.old_image;
  };
  esm::stream_poller p{
      s,
      fn,
      [&](const dbatch& b) {
        for (const auto& r : b) {
          auto& q = pending[r.keys.partition_key];
          if (!q.empty() && r.sequence == q.front()) {
            q.pop_front();
          } else if (q.empty() || r.sequence < q.front()) {
            ++redeliveries;
          } else {
            ++order_violations; // a later record of the item came before an earlier one
          }
        }
        // The first poison record fails, and the records after it with it (spec §2.5).
        for (const auto& r : b)
          if (image(r)[0] == 'p') return esm::batch_response::failed({r.sequence_number()});
        if (hrng.bernoulli(0.03)) throw std::runtime_error("flaky");
        return esm::batch_response::success();
      },
      esm::stream_retry{.max_attempts = 2, .bisect_on_error = true},
      esm::batching{.batch_size = 25, .window = 1s},
      esm::parallelization{.factor = 2},
      esm::on_failure{[&](const esm::stream_failure_record&) { return !drng.bernoulli(0.2); }},
      esm::stream_options{
          .start = esm::starting_position::trim_horizon(), .report_batch_item_failures = true, .name = "m"}};

  const esm::time_point end = esm::time_point{} + std::chrono::hours{hours};
  auto prng = sim.rng("soak/producer");
  std::uint64_t written = 0;
  std::vector<std::string> items(40); // each item's current image; empty: no item
  every(sim, 1s, end, [&] {
    const auto n = prng.uniform_int(0, 20);
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(prng.uniform_int(0, static_cast<std::int64_t>(items.size()) - 1));
      const esm::dynamodb_key key{"item-" + std::to_string(k)};
      const std::string image = (prng.bernoulli(0.002) ? "p" : "v") + std::to_string(written);
      esm::dynamodb_write_result w{};
      if (items[k].empty()) {
        w = s.insert(key, image);
        items[k] = image;
      } else if (prng.bernoulli(0.2)) {
        w = s.remove(key, items[k]);
        items[k].clear();
      } else {
        w = s.modify(key, items[k], image);
        items[k] = image;
      }
      pending["item-" + std::to_string(k)].push_back(w.sequence);
      ++written;
    }
  });
  auto arng = sim.rng("soak/actions");
  int rollovers = 0, pauses = 0;
  every(sim, 1h, end, [&] {
    if (arng.bernoulli(0.5)) {
      s.roll_over();
      ++rollovers;
    } else {
      p.disable();
      ++pauses;
      sim.schedule_after(10min, [&] { p.enable(); });
    }
  });

  std::uint64_t samples = 0, violations = 0;
  std::string first_violation;
  auto check = [&] {
    const auto& m = p.metrics();
    const std::uint64_t settled = m.processed_event_count + m.on_failure_destination_delivered_event_count +
                                  m.dropped_event_count + m.expired_event_count + m.filtered_out_event_count;
    std::uint64_t in_shards = 0;
    for (std::uint32_t i = 0; i < s.shard_count(); ++i) in_shards += s.shard_at(i).end_position() - p.checkpoint(i);
    ++samples;
    // With parallelization a lane may settle records past the shard's checkpoint (the lowest
    // lane's), so the law is: nothing is settled twice or lost (settled <= written), and every
    // record before a checkpoint is settled (what is not settled is at or after one).
    const std::uint64_t w = s.metrics().records_written;
    if ((settled > w || w - settled > in_shards) && violations++ == 0) {
      first_violation = esm::to_string(sim.now()) + ": written " + std::to_string(s.metrics().records_written) +
                        ", settled " + std::to_string(settled) + ", in shards " + std::to_string(in_shards);
    }
  };
  every(sim, 1min, end, check);
  sim.run_until(end + 1ns);
  sim.run_for(2h);
  check();
  INFO(first_violation);
  CHECK(violations == 0);
  CHECK(order_violations == 0);
  CHECK(samples >= static_cast<std::uint64_t>(hours) * 60);
  CHECK(written == s.metrics().records_written);
  CHECK(p.metrics().expired_event_count == 0); // none expired unread (processed ones expire with retention)
  std::uint64_t undelivered = 0;
  for (const auto& [item, q] : pending) undelivered += q.size();
  CHECK(undelivered == 0);
  CHECK(redeliveries > 0);
  const auto& m = p.metrics();
  CHECK(m.processed_event_count + m.on_failure_destination_delivered_event_count + m.dropped_event_count == written);
  CHECK(m.on_failure_destination_delivered_event_count > 0);
  CHECK(m.dropped_event_count > 0);
  CHECK(m.bisections > 0);
  CHECK(rollovers > 0);
  CHECK(pauses > 0);
  CHECK(s.shard_count() > 3);
  std::printf("soak dynamodb: %d virtual h, %llu records, %llu redelivered, %llu samples, %d roll-overs (%zu shards), "
              "%d pauses, %llu events\n",
              hours, static_cast<unsigned long long>(written), static_cast<unsigned long long>(redeliveries),
              static_cast<unsigned long long>(samples), rollovers, s.shard_count(), pauses,
              static_cast<unsigned long long>(sim.events_run()));
}

// 5 messages/s (0.5% poison, 0.2% random failures) for hours, with partial batch responses, a
// DLQ after 3 receives, the user's hourly redrive back, duplicates and reordering, and disables.
// The conservation law holds at every sample and everything settles. It found a stall: pollers
// disabled while long-polling never received again once enabled.
TEST_CASE("soak: an SQS mapping for hours with partial failures, a DLQ, redrive back, and disables",
          "[pollers][queue][soak][reliability]") {
  using squeue = esm::sqs_queue<std::string>;
  using qbatch = esm::queue_batch<squeue::message_type>;
  const int hours = soak_hours();
  esm::simulation sim{{.seed = soak_seed()}};
  squeue dlq{sim, "dlq"};
  squeue q{sim, {.name = "q", .visibility_timeout = 30s, .delivery = {.duplicate_rate = 0.01, .reorder_rate = 0.1}}};
  q.set_redrive_policy(dlq, 3);
  esm::function fn{sim, {.name = "f", .timeout = 10s, .default_duration = esm::duration_model::exponential(300ms)}};
  auto hrng = sim.rng("soak/handler");
  esm::queue_poller p{q, fn,
                      [&](const qbatch& b) {
                        esm::batch_response r;
                        for (const auto& m : b)
                          if (m.body[0] == 'p' || hrng.bernoulli(0.002)) r.fail(std::string{m.message_id()});
                        return r;
                      },
                      esm::batching{.batch_size = 10},
                      esm::queue_options{.report_batch_item_failures = true, .name = "m"}};

  const esm::time_point end = esm::time_point{} + std::chrono::hours{hours};
  auto prng = sim.rng("soak/producer");
  std::uint64_t produced = 0, redriven_back = 0;
  every(sim, 1s, end, [&] {
    const auto n = prng.uniform_int(0, 10);
    for (std::int64_t i = 0; i < n; ++i) {
      q.send((prng.bernoulli(0.005) ? "p" : "m") + std::to_string(produced));
      ++produced;
    }
  });
  auto arng = sim.rng("soak/actions");
  int pauses = 0;
  every(sim, 1h, end, [&] {
    if (arng.bernoulli(0.5)) {
      p.disable();
      ++pauses;
      sim.schedule_after(10min, [&] { p.enable(); });
    }
    // A user's redrive after fixing the handler: what the DLQ holds goes back to the queue and
    // now succeeds ('r'), so the poison population stays bounded over a week (a redrive of
    // poison as-is would pile up ~90 more each hour, forever).
    for (auto got = dlq.receive(10); !got.empty(); got = dlq.receive(10)) {
      for (auto& m : got) {
        q.send("r" + m.body.substr(1));
        dlq.delete_message(m.receipt);
        ++redriven_back;
      }
    }
  });

  std::uint64_t samples = 0, violations = 0;
  std::string first_violation;
  auto check = [&] {
    const auto& a = q.metrics();
    const auto& d = dlq.metrics();
    ++samples;
    const bool ok = a.sent + a.redriven_in == q.size() + a.deleted + a.redriven_out + a.expired &&
                    d.sent + d.redriven_in == dlq.size() + d.deleted + d.redriven_out + d.expired &&
                    a.sent == produced + redriven_back && a.redriven_out == d.redriven_in;
    if (!ok && violations++ == 0) {
      first_violation = esm::to_string(sim.now()) + ": q sent " + std::to_string(a.sent) + " size " +
                        std::to_string(q.size()) + " deleted " + std::to_string(a.deleted) + " to dlq " +
                        std::to_string(a.redriven_out) + "; dlq in " + std::to_string(d.redriven_in) + " size " +
                        std::to_string(dlq.size()) + " deleted " + std::to_string(d.deleted);
    }
  };
  every(sim, 1min, end, check);
  sim.run_until(end + 1ns);
  sim.run_for(1h);
  check();
  INFO(first_violation);
  INFO("target " << p.metrics().target_concurrency << " invocations " << fn.metrics().invocations << " errors "
                 << fn.metrics().errors << " throttles " << p.metrics().throttles << " state "
                 << esm::to_string(p.state()));
  CHECK(violations == 0);
  CHECK(samples >= static_cast<std::uint64_t>(hours) * 60);
  CHECK(q.size() == 0);
  CHECK(q.metrics().redriven_out > 0);
  CHECK(redriven_back > 0);
  CHECK(q.metrics().duplicate_deliveries > 0);
  CHECK(pauses > 0);
  std::printf("soak sqs: %d virtual h, %llu messages, %llu redriven back, %llu samples, %d pauses, %llu events\n",
              hours, static_cast<unsigned long long>(produced), static_cast<unsigned long long>(redriven_back),
              static_cast<unsigned long long>(samples), pauses, static_cast<unsigned long long>(sim.events_run()));
}

// A FIFO queue: 20 message groups, 5 messages/s, a resend with the same deduplication id now and
// then, poison messages that fail with the rest of their batch's group (the practice spec §3.6
// asks of a FIFO handler), a FIFO DLQ after 3 receives, the user's hourly redrive back, disables.
TEST_CASE("soak: an SQS FIFO mapping for hours with groups, deduplication, partial failures, a DLQ and disables",
          "[pollers][fifo][soak][reliability]") {
  using fqueue = esm::sqs_fifo_queue<std::string>;
  using fbatch = esm::queue_batch<fqueue::message_type>;
  const int hours = soak_hours();
  esm::simulation sim{{.seed = soak_seed()}};
  fqueue dlq{sim, "dlq.fifo"};
  fqueue q{sim, {.name = "q.fifo", .visibility_timeout = 30s}};
  q.set_redrive_policy(dlq, 3);
  esm::function fn{sim, {.name = "f", .timeout = 10s, .default_duration = esm::duration_model::exponential(300ms)}};
  auto hrng = sim.rng("soak/handler");
  // Order per group (spec §3.6): each message's first delivery comes after those of the
  // messages sent before it to its group. `pending[group]` holds the numbers sent, not yet delivered.
  std::map<std::string, std::deque<std::uint64_t>, std::less<>> pending;
  std::uint64_t order_violations = 0, redeliveries = 0;
  const auto number = [](const std::string& body) { return std::stoull(body.substr(1)); };
  esm::queue_poller p{q, fn,
                      [&](const fbatch& b) {
                        esm::batch_response r;
                        std::vector<std::string_view> failed_groups;
                        for (const auto& m : b) {
                          auto& d = pending[m.group_id];
                          const auto n = number(m.body);
                          if (!d.empty() && n == d.front()) {
                            d.pop_front();
                          } else if (d.empty() || n < d.front()) {
                            ++redeliveries;
                          } else {
                            ++order_violations;
                          }
                          const bool group_failed = std::find(failed_groups.begin(), failed_groups.end(),
                                                              m.group_id) != failed_groups.end();
                          if (group_failed || m.body[0] == 'p' || hrng.bernoulli(0.002)) {
                            if (!group_failed) failed_groups.push_back(m.group_id);
                            r.fail(std::string{m.message_id()});
                          }
                        }
                        return r;
                      },
                      esm::batching{.batch_size = 10},
                      esm::queue_options{.report_batch_item_failures = true, .name = "m"}};

  const esm::time_point end = esm::time_point{} + std::chrono::hours{hours};
  auto prng = sim.rng("soak/producer");
  std::uint64_t produced = 0, resent = 0, redriven_back = 0;
  std::string last_body, last_group;
  auto send = [&](const std::string& body, const std::string& group) {
    q.send(body, {.group_id = group, .deduplication_id = body});
    pending[group].push_back(number(body));
  };
  every(sim, 1s, end, [&] {
    const auto n = prng.uniform_int(0, 10);
    for (std::int64_t i = 0; i < n; ++i) {
      if (!last_body.empty() && prng.bernoulli(0.01)) {
        q.send(last_body, {.group_id = last_group, .deduplication_id = last_body}); // within 5 min: dropped
        ++resent;
        continue;
      }
      last_group = "g" + std::to_string(prng.uniform_int(0, 19));
      last_body = (prng.bernoulli(0.005) ? "p" : "m") + std::to_string(produced++);
      send(last_body, last_group);
    }
  });
  auto arng = sim.rng("soak/actions");
  int pauses = 0;
  every(sim, 1h, end, [&] {
    if (arng.bernoulli(0.5)) {
      p.disable();
      ++pauses;
      sim.schedule_after(10min, [&] { p.enable(); });
    }
    // A user's redrive after fixing the handler: what the DLQ holds goes back to the queue with a
    // new deduplication id and now succeeds ('r'), so the poison population stays bounded.
    for (auto got = dlq.receive(10); !got.empty(); got = dlq.receive(10)) {
      for (auto& m : got) {
        send("r" + std::to_string(produced++), m.group_id);
        dlq.delete_message(m.receipt);
        ++redriven_back;
      }
    }
  });

  std::uint64_t samples = 0, violations = 0;
  std::string first_violation;
  auto check = [&] {
    const auto& a = q.metrics();
    const auto& d = dlq.metrics();
    ++samples;
    const bool ok = a.sent + a.redriven_in == q.size() + a.deleted + a.redriven_out + a.expired &&
                    d.sent + d.redriven_in == dlq.size() + d.deleted + d.redriven_out + d.expired &&
                    a.sent == produced && a.deduplicated == resent && a.redriven_out == d.redriven_in;
    if (!ok && violations++ == 0) {
      first_violation = esm::to_string(sim.now()) + ": q sent " + std::to_string(a.sent) + " size " +
                        std::to_string(q.size()) + " deleted " + std::to_string(a.deleted) + " to dlq " +
                        std::to_string(a.redriven_out) + "; dlq in " + std::to_string(d.redriven_in) + " size " +
                        std::to_string(dlq.size()) + " deleted " + std::to_string(d.deleted);
    }
  };
  every(sim, 1min, end, check);
  sim.run_until(end + 1ns);
  sim.run_for(1h);
  check();
  INFO(first_violation);
  CHECK(violations == 0);
  CHECK(order_violations == 0);
  CHECK(samples >= static_cast<std::uint64_t>(hours) * 60);
  CHECK(q.size() == 0);
  std::uint64_t undelivered = 0;
  for (const auto& [group, d] : pending) undelivered += d.size();
  CHECK(undelivered == 0);
  CHECK(redeliveries > 0);
  CHECK(resent > 0);
  CHECK(q.metrics().redriven_out > 0);
  CHECK(redriven_back > 0);
  CHECK(pauses > 0);
  std::printf("soak fifo: %d virtual h, %llu messages, %llu deduplicated, %llu redriven back, %llu samples, %d pauses, "
              "%llu events\n",
              hours, static_cast<unsigned long long>(produced), static_cast<unsigned long long>(resent),
              static_cast<unsigned long long>(redriven_back), static_cast<unsigned long long>(samples), pauses,
              static_cast<unsigned long long>(sim.events_run()));
}
