// Tests of esm/aws/attribute_value.hpp: DynamoDB's AttributeValue encoding (spec §4.2: "Values
// use AttributeValue encoding (numbers are strings)") and nlohmann::json items of a
// dynamodb_stream.
#include <esm/aws/attribute_value.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

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

// Inputs the fuzz target found (tests/fuzz/regressions/attribute_value/): each once escaped as
// an exception the API does not document, or broke a round trip.

TEST_CASE("fuzz regression: NaN and infinities have no AttributeValue encoding",
          "[aws][attribute_value][fuzz-regression]") {
  // CBOR {"n": NaN} (half-precision): the NaN once became {"N":"null"}, which does not read back.
  const json nan_item = json::from_cbor(std::vector<std::uint8_t>{0xa1, 0x61, 0x6e, 0xf9, 0x7e, 0x00});
  CHECK(esm_test::error_of<esm::input_error>([&] { (void)to_attribute_map(nan_item); }) ==
        "to_attribute_value: NaN is not a number DynamoDB can hold");
  CHECK(esm_test::error_of<esm::input_error>([] {
          (void)to_attribute_value(std::numeric_limits<double>::infinity());
        }) == "to_attribute_value: infinity is outside DynamoDB's number range (magnitudes 1E-130 to "
              "9.9999999999999999999999999999999999999E+125)");
  CHECK(esm_test::error_of<esm::input_error>([] {
          (void)to_attribute_value(-std::numeric_limits<double>::infinity());
        }) == "to_attribute_value: -infinity is outside DynamoDB's number range (magnitudes 1E-130 to "
              "9.9999999999999999999999999999999999999E+125)");
  CHECK_THROWS_AS(to_attribute_value(1e-200), esm::input_error);
  CHECK_THROWS_AS(to_attribute_value(-1e127), esm::input_error);
  // DynamoDB's own bounds are numbers.
  CHECK(to_attribute_value(1e-130) == json::parse(R"({"N":"1e-130"})"));
  CHECK(to_attribute_value(-9.9e125) == json::parse(R"({"N":"-9.9e+125"})"));
  CHECK(to_attribute_value(0.0) == json::parse(R"({"N":"0.0"})"));
}

TEST_CASE("§4.2 an N text outside DynamoDB's number range is rejected, as the number is by to_attribute_value",
          "[aws][attribute_value][spec-4.2]") {
  // Without this, {"N":"1e200"} read as 1e200, which to_attribute_value rejects: no round trip.
  CHECK(esm_test::error_of<esm::input_error>([] { (void)from_attribute_value(json::parse(R"({"N":"1e200"})")); }) ==
        "from_attribute_value: '1e200' is outside DynamoDB's number range (magnitudes 1E-130 to "
        "9.9999999999999999999999999999999999999E+125)");
  CHECK_THROWS_AS(from_attribute_value(json::parse(R"({"NS":["1","-1e127"]})")), esm::input_error);
  CHECK_THROWS_AS(from_attribute_value(json::parse(R"({"N":"1e-131"})")), esm::input_error);
  CHECK(esm_test::error_of<esm::input_error>([] { (void)from_attribute_value(json::parse(R"({"N":"1e400"})")); }) ==
        "from_attribute_value: '1e400' is not a number"); // beyond a double: not JSON's number either
  CHECK_THROWS_AS(from_attribute_value(json{{"N", std::string{"1\0x", 3}}}), esm::input_error); // "1", then a NUL
  CHECK(from_attribute_value(json::parse(R"({"N":"9.9999999999999999999999999999999999999E+125"})")) ==
        json(9.9999999999999999999999999999999999999E+125));
  CHECK(from_attribute_value(json::parse(R"({"N":"-1E-130"})")) == json(-1e-130));
  CHECK(from_attribute_value(json::parse(R"({"N":"12345678901234567890123456789012345678"})")) ==
        json(12345678901234567890123456789012345678.0)); // 38 digits: a double, as documented
}

TEST_CASE("fuzz regression: strings and attribute names must be UTF-8", "[aws][attribute_value][fuzz-regression]") {
  // CBOR {"\xff": h'0001ff'}: the key was converted, and the AttributeValue map could not be
  // written as JSON (nlohmann's type_error 316 escaped from dump()).
  const json bad_key = json::from_cbor(std::vector<std::uint8_t>{0xa1, 0x61, 0xff, 0x43, 0x00, 0x01, 0xff});
  CHECK(esm_test::error_of<esm::input_error>([&] { (void)to_attribute_map(bad_key); }) ==
        "to_attribute_map: an attribute name is not valid UTF-8 (byte 0xff at offset 0)");
  CHECK(esm_test::error_of<esm::input_error>([&] { (void)to_attribute_value(bad_key); }) ==
        "to_attribute_value: an attribute name is not valid UTF-8 (byte 0xff at offset 0)");
  CHECK(esm_test::error_of<esm::input_error>([] { (void)to_attribute_value(std::string{"ok\xc3("}); }) ==
        "to_attribute_value: a string is not valid UTF-8 (byte 0xc3 at offset 2)");
  json av_bad_s = json::object();
  av_bad_s["S"] = std::string{"\xed\xa0\x80"}; // a UTF-16 surrogate, encoded
  CHECK(esm_test::error_of<esm::input_error>([&] { (void)from_attribute_value(av_bad_s); }) ==
        "from_attribute_value: an S value is not valid UTF-8 (byte 0xed at offset 0)");
  json av_bad_ss = json::object();
  av_bad_ss["SS"] = json::array({std::string{"a"}, std::string{"\xc0\x80"}}); // an overlong NUL
  CHECK_THROWS_AS(from_attribute_value(av_bad_ss), esm::input_error);
  json map_bad_key = json::object();
  map_bad_key[std::string{"\x80"}] = json::parse(R"({"S":"x"})");
  CHECK(esm_test::error_of<esm::input_error>([&] { (void)from_attribute_map(map_bad_key); }) ==
        "from_attribute_map: an attribute name is not valid UTF-8 (byte 0x80 at offset 0)");
  CHECK_THROWS_AS(from_attribute_value(json{{"M", map_bad_key}}), esm::input_error);
  // UTF-8 in any script, and NUL, are fine.
  const json fine = json::parse(R"({"k\u00e9y":"\u65e5\u672c \ud83d\ude00","nul\u0000":"a\u0000b"})");
  CHECK(from_attribute_map(to_attribute_map(fine)) == fine);
}

TEST_CASE("fuzz regression: a malformed AttributeValue holding bytes that are not UTF-8 is reported, not a type_error",
          "[aws][attribute_value][fuzz-regression]") {
  // CBOR text "a\xa1...": the message quoted the value with dump(), which threw
  // nlohmann's type_error 316 instead of the input_error.
  const json not_av = std::string{"a\xa1z"};
  CHECK(esm_test::error_of<esm::input_error>([&] { (void)from_attribute_value(not_av); }) ==
        "from_attribute_value: an AttributeValue is an object with one type key, got \"a\xef\xbf\xbdz\"");
}
