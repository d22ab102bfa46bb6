// libFuzzer target for esm/aws/events.hpp: event JSON rendered from fuzzed records, read back.
// The input is split at each 0xFF byte into a Kinesis partition key, the record's data, an SQS
// body, a message attribute's name and value, and a tumbling window's state. Sources reject what
// AWS rejects with esm::input_error (nothing else); what they accept renders as an event that
// nlohmann::json reads back, field for field, to the inputs (when the text inputs are UTF-8, which
// JSON text must be): partitionKey, base64 data, body, md5OfBody, the attribute, the state.
// Rendering is deterministic. Any other exception or a field that does not read back aborts.
#include <esm/aws/events.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/golden.hpp"

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

void check(bool ok) {
  if (!ok) std::abort();
}

// True when `s` is UTF-8 (nlohmann's dump refuses anything else).
bool utf8(std::string_view s) {
  try {
    (void)json(std::string{s}).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

std::vector<std::string> split(std::string_view input) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  while (parts.size() < 5) {
    const auto cut = input.find('\xff', from);
    if (cut == std::string_view::npos) break;
    parts.emplace_back(input.substr(from, cut - from));
    from = cut + 1;
  }
  parts.emplace_back(input.substr(from));
  parts.resize(6);
  return parts;
}

void kinesis(const std::string& key, const std::string& data, const std::string& state) {
  esm::simulation sim;
  esm::kinesis_stream<std::string> s{sim, {.name = "fuzz-stream"}};
  try {
    s.put(key, data);
  } catch (const esm::input_error&) {
    return; // a key or data AWS rejects
  }
  esm::detail::ring<std::uint64_t> pos;
  const auto batch = esm_test::shard_batch(s, 0, pos, 1);
  const std::string text = esm::aws::event_json(s, batch);
  check(text == esm::aws::event_json(s, batch));
  const esm::window_context w{esm::time_point{}, esm::time_point{} + 60s, state, false, false, batch.shard_id()};
  const std::string window_text = esm::aws::event_json(s, batch, w);
  if (!utf8(key) || !utf8(state)) return;
  const json e = json::parse(text, nullptr, false);
  check(!e.is_discarded());
  const json& k = e.at("Records").at(0).at("kinesis");
  check(k.at("partitionKey") == key);
  const auto bytes = esm::detail::base64_decode(k.at("data").get<std::string>());
  check(bytes && *bytes == data);
  const json we = json::parse(window_text, nullptr, false);
  check(!we.is_discarded());
  check(we.at("Records") == e.at("Records"));
  if (state.empty())
    check(we.at("state") == json::object());
  else if (state.find('\0') == std::string::npos && json::accept(state)) // nlohmann stops at a NUL
    check(we.at("state") == json::parse(state));
  else
    check(we.at("state") == state);
}

// One queue for the process: a new queue allocates its first chunk of message slots (megabytes
// under ASan), which would make each input ten times slower. Each message is deleted once
// rendered, so the queue is empty between inputs (only message ids and receipts advance).
esm::sqs_queue<std::string>& queue() {
  static esm::simulation sim;
  static esm::sqs_queue<std::string> q{sim, "fuzz-queue"};
  return q;
}

void sqs(const std::string& body, const std::string& name, const std::string& value) {
  esm::sqs_queue<std::string>& q = queue();
  std::vector<esm::message_attribute> attributes;
  if (!name.empty()) attributes.push_back({name, "String", value});
  try {
    q.send(body, {.attributes = attributes});
  } catch (const esm::input_error&) {
    return; // a message AWS rejects
  }
  auto got = q.receive(10);
  check(got.size() == 1);
  std::vector<const esm::sqs_message<std::string>*> ptrs{&got.front()};
  const esm::queue_batch<esm::sqs_message<std::string>> batch{ptrs, q.name()};
  const std::string text = esm::aws::event_json(q, batch);
  check(text == esm::aws::event_json(q, batch));
  q.delete_message(got.front().receipt);
  check(q.approximate_number_of_messages() == 0 && q.approximate_number_of_messages_not_visible() == 0);
  if (!utf8(body) || !utf8(name) || !utf8(value)) return;
  const json e = json::parse(text, nullptr, false);
  check(!e.is_discarded());
  const json& r = e.at("Records").at(0);
  check(r.at("body") == body);
  check(r.at("md5OfBody") == esm::detail::to_hex(esm::detail::md5(body)));
  if (attributes.empty()) {
    check(r.at("messageAttributes") == json::object() && r.at("md5OfMessageAttributes").is_null());
  } else {
    check(r.at("messageAttributes").at(name).at("stringValue") == value);
    check(r.at("md5OfMessageAttributes") == esm::aws::md5_of_message_attributes(attributes));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = split({reinterpret_cast<const char*>(data), size});
  try {
    kinesis(parts[0], parts[1], parts[5]);
    sqs(parts[2], parts[3], parts[4]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::abort();
  }
  return 0;
}
