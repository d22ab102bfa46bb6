// Tests of esm/aws/responses.hpp: reading a function's response as Lambda does.
// Spec: aws-esm-semantics.md §2.5 and §3.5 (what is complete success, partial failure and
// complete failure), §4.4 (the response shape), §4.5 and §2.7 (the tumbling-window response).
#include <esm/aws/responses.hpp>

#include <optional>
#include <string>
#include <vector>

#include "support/catch.hpp"

using esm::aws::parse_batch_response;
using esm::aws::parse_window_response;

namespace {

/// The identifiers a valid response lists.
std::vector<std::string> ids(const esm::batch_response& r) {
  std::vector<std::string> out;
  for (const auto& f : r.batch_item_failures) out.push_back(f.item_identifier.value_or("<null>"));
  return out;
}

/// True when the response fails the whole batch as the pollers read it: one null identifier.
bool whole_batch(const esm::aws::parsed_batch_response& r) {
  return !r.valid() && r.response.batch_item_failures.size() == 1 &&
         !r.response.batch_item_failures[0].item_identifier.has_value();
}

} // namespace

TEST_CASE("§2.5 §3.5 complete success: empty or null response, empty or null batchItemFailures, and a bare [] "
          "(AWS recorded [] as success)",
          "[aws][responses][spec-2.5][spec-3.5]") {
  for (const char* text : {"", "  \n", "null", "{}", R"({"batchItemFailures":[]})", R"({"batchItemFailures":null})",
                           R"( { "batchItemFailures" : [ ] } )", R"({"other":1,"batchItemFailures":[]})", "[]", " [ ] "}) {
    INFO(text);
    const auto r = parse_batch_response(text);
    CHECK(r.valid());
    CHECK(r.error.empty());
    CHECK(r.response.empty());
  }
}

TEST_CASE("§4.4 the listed itemIdentifiers are the failed items, in order", "[aws][responses][spec-4.4]") {
  const auto r = parse_batch_response(
      R"({"batchItemFailures":[{"itemIdentifier":"49590338271490256608559692538361571095921575989136588898"},
                               {"itemIdentifier":"059f36b4-87a3-44ab-83d2-661975830a7d","note":"ignored"}]})");
  CHECK(r.valid());
  CHECK(ids(r.response) == std::vector<std::string>{"49590338271490256608559692538361571095921575989136588898",
                                                    "059f36b4-87a3-44ab-83d2-661975830a7d"});
  // Duplicates are passed on as they are (the pollers count an item once).
  CHECK(ids(parse_batch_response(R"({"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"a"}]})").response) ==
        std::vector<std::string>{"a", "a"});
}

TEST_CASE("§2.5 §3.5 complete failure: invalid JSON, empty or null itemIdentifier, a wrong key name",
          "[aws][responses][spec-2.5][spec-3.5]") {
  const std::vector<std::pair<const char*, const char*>> cases{
      {"not json", "not valid JSON"},
      {"{", "not valid JSON"},
      {R"({"batchItemFailures":[{"itemIdentifier":"a"}]} trailing)", "not valid JSON"},
      {R"({"batchItemFailures":[{"itemIdentifier":""}]})", "empty"},
      {R"({"batchItemFailures":[{"itemIdentifier":null}]})", "null"},
      {R"({"batchItemFailures":[{"itemIdentifer":"a"}]})", "no itemIdentifier"}, // misspelt key
      {R"({"batchItemFailures":[{"ItemIdentifier":"a"}]})", "no itemIdentifier"}, // keys are case-sensitive
      {R"({"batchItemFailures":[{}]})", "no itemIdentifier"},
      {R"({"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":""}]})", "empty"}, // one bad entry
  };
  for (const auto& [text, reason] : cases) {
    INFO(text);
    const auto r = parse_batch_response(text);
    CHECK(whole_batch(r));
    CHECK_THAT(r.error, Catch::Contains(reason));
  }
  // Trailing bytes after a NUL are trailing bytes too (nlohmann alone stops reading at the NUL).
  const std::string nul{"{\"batchItemFailures\":[]}\0{", 26};
  CHECK_THAT(parse_batch_response(nul).error, Catch::Contains("not valid JSON"));
  CHECK_THAT(parse_window_response(std::string{"{\"state\":{}}\0x", 14}).error, Catch::Contains("not valid JSON"));
}

TEST_CASE("§2.5 §3.5 responses that cannot be read as a response object fail the whole batch",
          "[aws][responses][spec-2.5][spec-3.5]") {
  // Decision (the docs list only "invalid JSON"): JSON that is neither an object, null nor the
  // empty array AWS recorded as success cannot be a StreamsEventResponse / SQSBatchResponse
  // either; malformed lists and entries likewise.
  for (const char* text : {R"("OK")", "42", "true", "[null]", "[{}]", R"([{"itemIdentifier":"a"}])",
                           R"({"batchItemFailures":{}})", R"({"batchItemFailures":"a"})",
                           R"({"batchItemFailures":["a"]})", R"({"batchItemFailures":[{"itemIdentifier":42}]})",
                           R"({"batchItemFailures":[{"itemIdentifier":["a"]}]})"}) {
    INFO(text);
    CHECK(whole_batch(parse_batch_response(text)));
  }
}

TEST_CASE("§2.5 a wrong top-level key is not a failure list: the response reads as complete success",
          "[aws][responses][spec-2.5][spec-3.5]") {
  // Lambda reads `batchItemFailures` only; an object without it is a response with a null list,
  // which the docs call complete success. (The "wrong key name" failure is the item's key.)
  for (const char* text : {R"({"batchItemFailure":[{"itemIdentifier":"a"}]})",
                           R"({"BatchItemFailures":[{"itemIdentifier":"a"}]})", R"({"statusCode":200})"}) {
    INFO(text);
    const auto r = parse_batch_response(text);
    CHECK(r.valid());
    CHECK(r.response.empty());
  }
}

TEST_CASE("§4.4 a response given as a JSON value follows the same rules", "[aws][responses][spec-4.4]") {
  CHECK(parse_batch_response(nlohmann::json(nullptr)).response.empty());
  CHECK(parse_batch_response(nlohmann::json::object()).response.empty());
  CHECK(parse_batch_response(nlohmann::json::array()).valid());
  CHECK(whole_batch(parse_batch_response(nlohmann::json::array({1}))));
  CHECK(ids(parse_batch_response(nlohmann::json{{"batchItemFailures", {{{"itemIdentifier", "x"}}}}}).response) ==
        std::vector<std::string>{"x"});
  CHECK(whole_batch(parse_batch_response(nlohmann::json("text"))));
  CHECK(whole_batch(parse_batch_response(nlohmann::json{{"batchItemFailures", {{{"itemIdentifier", ""}}}}})));
  CHECK(ids(parse_batch_response(nlohmann::ordered_json::parse(R"({"batchItemFailures":[{"itemIdentifier":"y"}]})"))
                .response) == std::vector<std::string>{"y"});
}

TEST_CASE("§4.5 tumbling-window response: state and batchItemFailures", "[aws][responses][spec-4.5]") {
  const auto r = parse_window_response(R"({"state":{"1":282,"2":715},"batchItemFailures":[]})");
  CHECK(r.valid());
  REQUIRE(r.response.state.has_value());
  CHECK(nlohmann::json::parse(*r.response.state) == nlohmann::json::parse(R"({"1":282,"2":715})"));
  CHECK(r.response.batch_item_failures.empty());

  const auto empty_state = parse_window_response(R"({"state":{}})");
  CHECK(empty_state.valid());
  CHECK(empty_state.response.state == std::optional<std::string>{"{}"});

  const auto with_failures = parse_window_response(R"({"state":{"n":1},"batchItemFailures":[{"itemIdentifier":"7"}]})");
  CHECK(with_failures.valid());
  CHECK(ids({with_failures.response.batch_item_failures}) == std::vector<std::string>{"7"});
}

TEST_CASE("§2.7 a window response without state counts as failed", "[aws][responses][spec-2.7]") {
  for (const char* text : {"", "null", "{}", R"({"batchItemFailures":[]})", R"({"state":null})", "not json", "[]",
                           R"({"State":{}})"}) {
    INFO(text);
    const auto r = parse_window_response(text);
    CHECK_FALSE(r.valid());
    CHECK_FALSE(r.response.state.has_value());
  }
  // A state with a malformed failure list: the state is kept, the list fails the whole batch.
  const auto bad_list = parse_window_response(R"({"state":{"n":1},"batchItemFailures":[{"itemIdentifier":""}]})");
  CHECK_FALSE(bad_list.valid());
  CHECK(bad_list.response.state == std::optional<std::string>{R"({"n":1})"});
  REQUIRE(bad_list.response.batch_item_failures.size() == 1);
  CHECK_FALSE(bad_list.response.batch_item_failures[0].item_identifier.has_value());
  // Any JSON value but null is a state (AWS documents objects; the value is passed back as is).
  CHECK(parse_window_response(R"({"state":42})").response.state == std::optional<std::string>{"42"});
  CHECK(parse_window_response(nlohmann::json{{"state", {{"a", 1}}}}).response.state ==
        std::optional<std::string>{R"({"a":1})"});
}
