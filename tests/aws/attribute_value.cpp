// Tests of esm/aws/attribute_value.hpp: DynamoDB's AttributeValue encoding (spec §4.2: "Values
// use AttributeValue encoding (numbers are strings)") and nlohmann::json items of a
// dynamodb_stream.
#include <esm/aws/attribute_value.hpp>

#include <string>

#include "support/catch.hpp"

using json = nlohmann::json;
using esm::aws::from_attribute_map;
using esm::aws::from_attribute_value;
using esm::aws::to_attribute_map;
using esm::aws::to_attribute_value;

TEST_CASE("§4.2 plain JSON to AttributeValue: S, N as text, BOOL, NULL, L, M, B", "[aws][attribute_value][spec-4.2]") {
  CHECK(to_attribute_value("hi") == json::parse(R"({"S":"hi"})"));
  CHECK(to_attribute_value(101) == json::parse(R"({"N":"101"})"));
  CHECK(to_attribute_value(-7) == json::parse(R"({"N":"-7"})"));
  CHECK(to_attribute_value(18446744073709551615ULL) == json::parse(R"({"N":"18446744073709551615"})"));
  CHECK(to_attribute_value(3.14159) == json::parse(R"({"N":"3.14159"})"));
  CHECK(to_attribute_value(true) == json::parse(R"({"BOOL":true})"));
  CHECK(to_attribute_value(nullptr) == json::parse(R"({"NULL":true})"));
  CHECK(to_attribute_value(json::parse(R"(["Cookies","Coffee",3.14159])")) ==
        json::parse(R"({"L":[{"S":"Cookies"},{"S":"Coffee"},{"N":"3.14159"}]})"));
  CHECK(to_attribute_value(json::parse(R"({"Name":"Joe","Age":35})")) ==
        json::parse(R"({"M":{"Name":{"S":"Joe"},"Age":{"N":"35"}}})"));
  CHECK(to_attribute_value(json::binary({0x00, 0x01, 0x2a, 0x41})) == json::parse(R"({"B":"AAEqQQ=="})"));
  CHECK(to_attribute_value(json::array()) == json::parse(R"({"L":[]})"));
}

TEST_CASE("§4.2 an item: a plain object becomes an AttributeValue map", "[aws][attribute_value][spec-4.2]") {
  // The §4.2 sample's NewImage.
  CHECK(to_attribute_map(json{{"Message", "This item has changed"}, {"Id", 101}}) ==
        json::parse(R"({"Message":{"S":"This item has changed"},"Id":{"N":"101"}})"));
  CHECK_THROWS_AS(to_attribute_map(json::array()), esm::input_error);
  CHECK_THROWS_AS(to_attribute_map(json("x")), esm::input_error);
}

TEST_CASE("§4.2 AttributeValue to plain JSON, including sets, and round trips", "[aws][attribute_value][spec-4.2]") {
  CHECK(from_attribute_value(json::parse(R"({"S":"Hello"})")) == "Hello");
  CHECK(from_attribute_value(json::parse(R"({"N":"123"})")) == 123);
  CHECK(from_attribute_value(json::parse(R"({"N":"123"})")).is_number_integer());
  CHECK(from_attribute_value(json::parse(R"({"N":"123.45"})")) == 123.45);
  CHECK(from_attribute_value(json::parse(R"({"BOOL":false})")) == false);
  CHECK(from_attribute_value(json::parse(R"({"NULL":true})")).is_null());
  CHECK(from_attribute_value(json::parse(R"({"SS":["Giraffe","Zebra"]})")) == json::parse(R"(["Giraffe","Zebra"])"));
  CHECK(from_attribute_value(json::parse(R"({"NS":["1234","567.8"]})")) == json::parse(R"([1234,567.8])"));
  CHECK(from_attribute_value(json::parse(R"({"BS":["AAEqQQ==","QSoBAA=="]})")) ==
        json::array({json::binary({0x00, 0x01, 0x2a, 0x41}), json::binary({0x41, 0x2a, 0x01, 0x00})}));
  CHECK(from_attribute_value(json::parse(R"({"B":"AAEqQQ=="})")) == json::binary({0x00, 0x01, 0x2a, 0x41}));

  const json doc = json::parse(R"({"id":"o-1","total":12.5,"qty":3,"paid":true,"note":null,
                                   "lines":[{"sku":"a","n":1},{"sku":"b","n":2}],"meta":{"tags":["x","y"],"empty":{}}})");
  CHECK(from_attribute_map(to_attribute_map(doc)) == doc);
  CHECK(from_attribute_value(to_attribute_value(doc)) == doc);
}

TEST_CASE("§4.2 malformed AttributeValues are rejected", "[aws][attribute_value][spec-4.2]") {
  for (const char* bad : {R"("x")", R"({})", R"({"S":"a","N":"1"})", R"({"X":"a"})", R"({"S":1})", R"({"N":1})",
                          R"({"N":"abc"})", R"({"N":" 1"})", R"({"N":""})", R"({"N":"\"1\""})", R"({"BOOL":"true"})",
                          R"({"NULL":false})", R"({"B":"not base64!"})", R"({"L":{}})", R"({"M":[]})",
                          R"({"SS":[1]})", R"({"NS":["x"]})", R"({"L":[{"Q":1}]})"}) {
    INFO(bad);
    CHECK_THROWS_AS(from_attribute_value(json::parse(bad)), esm::input_error);
  }
  CHECK_THROWS_AS(from_attribute_map(json::array()), esm::input_error);
}

TEST_CASE("§4.2 nlohmann::json items render through esm::dynamodb_item_json", "[aws][attribute_value][spec-4.2]") {
  STATIC_REQUIRE(esm::dynamodb_json_item<json>);
  STATIC_REQUIRE(esm::dynamodb_json_item<nlohmann::ordered_json>);
  std::string out = "x";
  esm::dynamodb_item_json<json>::write(to_attribute_map(json{{"a", 1}}), out);
  CHECK(out == R"(x{"a":{"N":"1"}})");
  out.clear();
  esm::dynamodb_item_json<nlohmann::ordered_json>::write(
      nlohmann::ordered_json::parse(R"({"z":{"S":"1"},"a":{"S":"2"}})"), out);
  CHECK(out == R"({"z":{"S":"1"},"a":{"S":"2"}})"); // insertion order kept
}
