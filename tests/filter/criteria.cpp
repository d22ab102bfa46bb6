// Tests of esm/filter/criteria.hpp: Lambda event filtering (spec §5). Each §5 example of the
// syntax table is checked verbatim, every operator positive and negative, the format rules of
// SQS bodies and stream data, malformed patterns by their messages, the limits, and a model
// check against a slow reference evaluator over a test-local DOM.
#include <esm/filter/criteria.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/catch.hpp"
#include "support/errors.hpp"

#if defined(ESM_CATCH_V3)
using Catch::Matchers::ContainsSubstring;
#define ESM_CONTAINS(s) ContainsSubstring(s)
#else
#define ESM_CONTAINS(s) Catch::Matchers::Contains(s)
#endif

using esm::filter_criteria;
using esm::filter::field;
using esm::filter::field_kind;
using esm::filter::key_use;

namespace {

/// True when `pattern` keeps a record whose only field is `body` (an SQS body: text or JSON).
bool keeps(std::string_view pattern, std::string_view body, field_kind kind = field_kind::text_or_json) {
  const filter_criteria c{pattern};
  const field f[] = {{"body", kind, body}};
  return c.matches(f);
}

/// True when `pattern` keeps the record {body: <json>}, the pattern written relative to body.
bool body_keeps(std::string_view body_pattern, std::string_view body_json) {
  return keeps(std::string{R"({"body":)"} + std::string{body_pattern} + "}", body_json);
}

std::string pattern_error(std::string_view pattern) {
  return esm_test::config_error_of([&] { filter_criteria c{pattern}; });
}

} // namespace

// ---- §5 syntax table, verbatim ---------------------------------------------------------------

TEST_CASE("§5 null: \"UserID\":[null] keeps a null UserID, not a missing one nor the string \"null\"",
          "[filter][criteria]") {
  const char* p = R"({"UserID":[null]})";
  CHECK(body_keeps(p, R"({"UserID":null})"));
  CHECK_FALSE(body_keeps(p, R"({"Name":"x"})"));
  CHECK_FALSE(body_keeps(p, R"({"UserID":"null"})"));
  CHECK_FALSE(body_keeps(p, R"({"UserID":""})"));
  CHECK_FALSE(body_keeps(p, R"({"UserID":0})"));
}

TEST_CASE("§5 empty string: \"LastName\":[\"\"] keeps an empty LastName only", "[filter][criteria]") {
  const char* p = R"({"LastName":[""]})";
  CHECK(body_keeps(p, R"({"LastName":""})"));
  CHECK_FALSE(body_keeps(p, R"({"LastName":" "})"));
  CHECK_FALSE(body_keeps(p, R"({"LastName":null})"));
  CHECK_FALSE(body_keeps(p, R"({"FirstName":""})"));
}

TEST_CASE("§5 equals: \"Name\":[\"Alice\"] is exact, character by character, no case folding", "[filter][criteria]") {
  const char* p = R"({"Name":["Alice"]})";
  CHECK(body_keeps(p, R"({"Name":"Alice"})"));
  CHECK_FALSE(body_keeps(p, R"({"Name":"alice"})"));
  CHECK_FALSE(body_keeps(p, R"({"Name":"Alice "})"));
  CHECK_FALSE(body_keeps(p, R"({"Name":"Alic"})"));
  CHECK_FALSE(body_keeps(p, R"({"Name":["Bob"]})"));
  CHECK(body_keeps(p, R"({"Name":["Bob","Alice"]})")); // an array matches when an element does
}

TEST_CASE("§5 equals-ignore-case: {\"equals-ignore-case\":\"alice\"} keeps ALICE and Alice, not Alicia",
          "[filter][criteria]") {
  const char* p = R"({"Name":[{"equals-ignore-case":"alice"}]})";
  CHECK(body_keeps(p, R"({"Name":"alice"})"));
  CHECK(body_keeps(p, R"({"Name":"ALICE"})"));
  CHECK(body_keeps(p, R"({"Name":"AlIcE"})"));
  CHECK_FALSE(body_keeps(p, R"({"Name":"Alicia"})"));
  CHECK_FALSE(body_keeps(p, R"({"Name":"alic"})"));
  CHECK_FALSE(body_keeps(p, R"({"Name":1})"));
  // Beyond ASCII: Latin-1 letters fold too (É = \u00c9, é = \u00e9).
  CHECK(body_keeps(R"({"Name":[{"equals-ignore-case":"\u00e9t\u00e9"}]})", "{\"Name\":\"\xC3\x89T\xC3\x89\"}"));
  CHECK_FALSE(body_keeps(R"({"Name":[{"equals-ignore-case":"\u00e9t\u00e9"}]})", R"({"Name":"ete"})"));
}

TEST_CASE("§5 AND: \"A\":[\"x\"],\"B\":[\"y\"] needs both fields to match", "[filter][criteria]") {
  const char* p = R"({"A":["x"],"B":["y"]})";
  CHECK(body_keeps(p, R"({"A":"x","B":"y"})"));
  CHECK(body_keeps(p, R"({"B":"y","C":"unnamed fields are ignored","A":"x"})"));
  CHECK_FALSE(body_keeps(p, R"({"A":"x"})"));
  CHECK_FALSE(body_keeps(p, R"({"A":"x","B":"x"})"));
  CHECK_FALSE(body_keeps(p, R"({"B":"y"})"));
}

TEST_CASE("§5 OR of values: \"A\":[\"x\",\"y\"] keeps either value", "[filter][criteria]") {
  const char* p = R"({"A":["x","y"]})";
  CHECK(body_keeps(p, R"({"A":"x"})"));
  CHECK(body_keeps(p, R"({"A":"y"})"));
  CHECK_FALSE(body_keeps(p, R"({"A":"z"})"));
  CHECK_FALSE(body_keeps(p, R"({"B":"x"})"));
}

TEST_CASE("§5 OR of fields: \"$or\":[{\"A\":[\"x\"]},{\"B\":[\"y\"]}] keeps either field", "[filter][criteria]") {
  const char* p = R"({"$or":[{"A":["x"]},{"B":["y"]}]})";
  CHECK(body_keeps(p, R"({"A":"x"})"));
  CHECK(body_keeps(p, R"({"B":"y"})"));
  CHECK(body_keeps(p, R"({"A":"x","B":"y"})"));
  CHECK_FALSE(body_keeps(p, R"({"A":"y","B":"x"})"));
  CHECK_FALSE(body_keeps(p, R"({})"));
}

TEST_CASE("§5 anything-but: \"Weather\":[{\"anything-but\":[\"Raining\"]}] keeps other weather, not Raining",
          "[filter][criteria]") {
  const char* p = R"({"Weather":[{"anything-but":["Raining"]}]})";
  CHECK(body_keeps(p, R"({"Weather":"Sunny"})"));
  CHECK(body_keeps(p, R"({"Weather":"raining"})")); // exact comparison
  CHECK_FALSE(body_keeps(p, R"({"Weather":"Raining"})"));
  CHECK_FALSE(body_keeps(p, R"({"Other":"Sunny"})")); // anything-but needs the field
  CHECK(body_keeps(p, R"({"Weather":["Raining","Sunny"]})"));
  CHECK_FALSE(body_keeps(p, R"({"Weather":["Raining"]})"));
  CHECK(body_keeps(p, R"({"Weather":7})")); // only the listed strings are excluded
}

TEST_CASE("§5 numeric equals: [{\"numeric\":[\"=\",100]}] keeps 100 and 100.0, not 101 nor the string \"100\"",
          "[filter][criteria]") {
  const char* p = R"({"n":[{"numeric":["=",100]}]})";
  CHECK(body_keeps(p, R"({"n":100})"));
  CHECK(body_keeps(p, R"({"n":100.0})"));
  CHECK(body_keeps(p, R"({"n":1e2})"));
  CHECK_FALSE(body_keeps(p, R"({"n":101})"));
  CHECK_FALSE(body_keeps(p, R"({"n":99.999})"));
  CHECK_FALSE(body_keeps(p, R"({"n":"100"})"));
  CHECK_FALSE(body_keeps(p, R"({"m":100})"));
}

TEST_CASE("§5 numeric range: [\">\",10,\"<=\",20] keeps 15 and 20, not 10 or 21", "[filter][criteria]") {
  const char* p = R"({"n":[{"numeric":[">",10,"<=",20]}]})";
  CHECK(body_keeps(p, R"({"n":15})"));
  CHECK(body_keeps(p, R"({"n":20})"));
  CHECK(body_keeps(p, R"({"n":10.5})"));
  CHECK(body_keeps(p, R"({"n":1.1e1})"));
  CHECK_FALSE(body_keeps(p, R"({"n":10})"));
  CHECK_FALSE(body_keeps(p, R"({"n":21})"));
  CHECK_FALSE(body_keeps(p, R"({"n":20.000001})"));
  CHECK_FALSE(body_keeps(p, R"({"n":-15})"));
  CHECK_FALSE(body_keeps(p, R"({"n":"15"})"));
  CHECK(body_keeps(R"({"n":[{"numeric":[">=",10,"<",20]}]})", R"({"n":10})"));
  CHECK_FALSE(body_keeps(R"({"n":[{"numeric":[">=",10,"<",20]}]})", R"({"n":20})"));
}

TEST_CASE("§5 numeric single comparisons: <, <=, >, >= on numbers only", "[filter][criteria]") {
  CHECK(body_keeps(R"({"n":[{"numeric":["<",0]}]})", R"({"n":-0.5})"));
  CHECK_FALSE(body_keeps(R"({"n":[{"numeric":["<",0]}]})", R"({"n":0})"));
  CHECK(body_keeps(R"({"n":[{"numeric":["<=",0]}]})", R"({"n":0})"));
  CHECK_FALSE(body_keeps(R"({"n":[{"numeric":["<=",0]}]})", R"({"n":0.001})"));
  CHECK(body_keeps(R"({"n":[{"numeric":[">",1.5]}]})", R"({"n":2})"));
  CHECK_FALSE(body_keeps(R"({"n":[{"numeric":[">",1.5]}]})", R"({"n":1.5})"));
  CHECK(body_keeps(R"({"n":[{"numeric":[">=",1.5]}]})", R"({"n":15e-1})"));
  CHECK_FALSE(body_keeps(R"({"n":[{"numeric":[">=",1.5]}]})", R"({"n":1.49})"));
  CHECK_FALSE(body_keeps(R"({"n":[{"numeric":[">=",0]}]})", R"({"n":true})"));
  CHECK_FALSE(body_keeps(R"({"n":[{"numeric":[">=",0]}]})", R"({"n":null})"));
  CHECK(body_keeps(R"({"n":[{"numeric":[">=",0]}]})", R"({"n":["a",3]})"));
}

TEST_CASE("§5 exists: [{\"exists\":true}] keeps a present leaf value, not a missing field", "[filter][criteria]") {
  const char* p = R"({"f":[{"exists":true}]})";
  CHECK(body_keeps(p, R"({"f":"x"})"));
  CHECK(body_keeps(p, R"({"f":0})"));
  CHECK(body_keeps(p, R"({"f":null})"));
  CHECK(body_keeps(p, R"({"f":false})"));
  CHECK(body_keeps(p, R"({"f":["x"]})"));
  CHECK_FALSE(body_keeps(p, R"({"g":"x"})"));
  CHECK_FALSE(body_keeps(p, R"({"f":[]})"));
}

TEST_CASE("§5 does not exist: [{\"exists\":false}] keeps a record without the field", "[filter][criteria]") {
  const char* p = R"({"f":[{"exists":false}]})";
  CHECK(body_keeps(p, R"({"g":"x"})"));
  CHECK(body_keeps(p, R"({})"));
  CHECK_FALSE(body_keeps(p, R"({"f":"x"})"));
  CHECK_FALSE(body_keeps(p, R"({"f":null})"));
  CHECK_FALSE(body_keeps(p, R"({"f":[1]})"));
  CHECK(body_keeps(p, R"({"f":[]})")); // no value there
  // Combined with a value: absent or equal.
  const char* q = R"({"f":[{"exists":false},"x"]})";
  CHECK(body_keeps(q, R"({})"));
  CHECK(body_keeps(q, R"({"f":"x"})"));
  CHECK_FALSE(body_keeps(q, R"({"f":"y"})"));
}

TEST_CASE("§5 matching: exists works only on leaf nodes", "[filter][criteria]") {
  // An object is not a leaf: exists:true does not see it, exists:false does not mind it.
  CHECK_FALSE(body_keeps(R"({"f":[{"exists":true}]})", R"({"f":{"g":1}})"));
  CHECK(body_keeps(R"({"f":[{"exists":false}]})", R"({"f":{"g":1}})"));
  // exists below a missing object: the leaf is missing too.
  CHECK(body_keeps(R"({"o":{"f":[{"exists":false}]}})", R"({"x":1})"));
  CHECK_FALSE(body_keeps(R"({"o":{"f":[{"exists":true}]}})", R"({"x":1})"));
  CHECK(body_keeps(R"({"o":{"f":[{"exists":true}]}})", R"({"o":{"f":1}})"));
  CHECK_FALSE(body_keeps(R"({"o":{"f":[{"exists":false}]}})", R"({"o":{"f":1}})"));
}

TEST_CASE("§5 prefix / suffix: [{\"prefix\":\"us-\"}] / [{\"suffix\":\".png\"}]", "[filter][criteria]") {
  const char* p = R"({"region":[{"prefix":"us-"}]})";
  CHECK(body_keeps(p, R"({"region":"us-east-1"})"));
  CHECK(body_keeps(p, R"({"region":"us-"})"));
  CHECK_FALSE(body_keeps(p, R"({"region":"eu-west-1"})"));
  CHECK_FALSE(body_keeps(p, R"({"region":"US-east-1"})"));
  CHECK_FALSE(body_keeps(p, R"({"region":"us"})"));
  const char* s = R"({"file":[{"suffix":".png"}]})";
  CHECK(body_keeps(s, R"({"file":"cat.png"})"));
  CHECK(body_keeps(s, R"({"file":".png"})"));
  CHECK_FALSE(body_keeps(s, R"({"file":"cat.PNG"})"));
  CHECK_FALSE(body_keeps(s, R"({"file":"cat.png.txt"})"));
  CHECK_FALSE(body_keeps(s, R"({"file":7})"));
}

TEST_CASE("§5 prefix and suffix with equals-ignore-case (EventBridge forms)", "[filter][criteria]") {
  const char* p = R"({"service":[{"prefix":{"equals-ignore-case":"EventB"}}]})";
  CHECK(body_keeps(p, R"({"service":"eventbridge"})"));
  CHECK(body_keeps(p, R"({"service":"EVENTBus"})"));
  CHECK_FALSE(body_keeps(p, R"({"service":"event"})"));
  CHECK_FALSE(body_keeps(p, R"({"service":"xeventb"})"));
  const char* s = R"({"file":[{"suffix":{"equals-ignore-case":".png"}}]})";
  CHECK(body_keeps(s, R"({"file":"CAT.PNG"})"));
  CHECK(body_keeps(s, R"({"file":"cat.Png"})"));
  CHECK_FALSE(body_keeps(s, R"({"file":"cat.jpg"})"));
}

TEST_CASE("§5 $or at any object level, nested, and with other keys ANDed", "[filter][criteria]") {
  const char* p = R"({"body":{"source":["shop"],"$or":[{"price":[{"numeric":[">",100]}]},)"
                  R"({"vip":[true]},{"$or":[{"a":["1"]},{"b":["2"]}]}]}})";
  CHECK(keeps(p, R"({"source":"shop","price":150})"));
  CHECK(keeps(p, R"({"source":"shop","vip":true})"));
  CHECK(keeps(p, R"({"source":"shop","b":"2"})"));
  CHECK_FALSE(keeps(p, R"({"source":"shop","price":50})"));
  CHECK_FALSE(keeps(p, R"({"source":"web","price":150})"));
  // $or at the top level, across fields.
  const filter_criteria c{R"({"$or":[{"messageId":["m-1"]},{"body":{"k":["v"]}}]})"};
  const field a[] = {{"messageId", field_kind::string, "m-1"}, {"body", field_kind::text_or_json, "text"}};
  const field b[] = {{"messageId", field_kind::string, "m-2"}, {"body", field_kind::text_or_json, R"({"k":"v"})"}};
  const field n[] = {{"messageId", field_kind::string, "m-2"}, {"body", field_kind::text_or_json, R"({"k":"w"})"}};
  CHECK(c.matches(a));
  CHECK(c.matches(b));
  CHECK_FALSE(c.matches(n));
}

TEST_CASE("§5 matching: \"300, 300.0 and 3.0e2 are not equal\" (exact numbers compare by text)", "[filter][criteria]") {
  const char* p300 = R"({"n":[300]})";
  CHECK(body_keeps(p300, R"({"n":300})"));
  CHECK_FALSE(body_keeps(p300, R"({"n":300.0})"));
  CHECK_FALSE(body_keeps(p300, R"({"n":3.0e2})"));
  CHECK_FALSE(body_keeps(p300, R"({"n":"300"})")); // a number never equals a string
  CHECK(body_keeps(R"({"n":[300.0]})", R"({"n":300.0})"));
  CHECK_FALSE(body_keeps(R"({"n":[300.0]})", R"({"n":300})"));
  CHECK(body_keeps(R"({"n":[3.0e2]})", R"({"n":3.0e2})"));
  CHECK_FALSE(body_keeps(R"({"n":[3.0e2]})", R"({"n":3.0E2})"));
  CHECK_FALSE(body_keeps(R"({"n":["300"]})", R"({"n":300})"));
  CHECK(body_keeps(R"({"n":["300"]})", R"({"n":"300"})"));
  // ...whereas numeric compares values.
  CHECK(body_keeps(R"({"n":[{"numeric":["=",300]}]})", R"({"n":3.0e2})"));
}

TEST_CASE("§5 true and false match JSON booleans only", "[filter][criteria]") {
  CHECK(body_keeps(R"({"f":[true]})", R"({"f":true})"));
  CHECK_FALSE(body_keeps(R"({"f":[true]})", R"({"f":"true"})"));
  CHECK_FALSE(body_keeps(R"({"f":[true]})", R"({"f":false})"));
  CHECK(body_keeps(R"({"f":[false]})", R"({"f":false})"));
  CHECK_FALSE(body_keeps(R"({"f":[false]})", R"({"f":0})"));
}

TEST_CASE("§5 anything-but forms: number, number list, prefix, suffix, equals-ignore-case", "[filter][criteria]") {
  CHECK(body_keeps(R"({"f":[{"anything-but":"x"}]})", R"({"f":"y"})"));
  CHECK_FALSE(body_keeps(R"({"f":[{"anything-but":"x"}]})", R"({"f":"x"})"));
  CHECK(body_keeps(R"({"f":[{"anything-but":123}]})", R"({"f":124})"));
  CHECK_FALSE(body_keeps(R"({"f":[{"anything-but":123}]})", R"({"f":123})"));
  CHECK_FALSE(body_keeps(R"({"f":[{"anything-but":123}]})", R"({"f":1.23e2})")); // by value
  CHECK(body_keeps(R"({"f":[{"anything-but":123}]})", R"({"f":"123"})"));        // a string is not 123
  CHECK(body_keeps(R"({"f":[{"anything-but":[1,2]}]})", R"({"f":3})"));
  CHECK_FALSE(body_keeps(R"({"f":[{"anything-but":[1,2]}]})", R"({"f":2})"));
  CHECK(body_keeps(R"({"f":[{"anything-but":{"prefix":"us-"}}]})", R"({"f":"eu-west-1"})"));
  CHECK_FALSE(body_keeps(R"({"f":[{"anything-but":{"prefix":"us-"}}]})", R"({"f":"us-east-1"})"));
  CHECK(body_keeps(R"({"f":[{"anything-but":{"suffix":".png"}}]})", R"({"f":"a.jpg"})"));
  CHECK_FALSE(body_keeps(R"({"f":[{"anything-but":{"suffix":".png"}}]})", R"({"f":"a.png"})"));
  CHECK(body_keeps(R"({"f":[{"anything-but":{"equals-ignore-case":"init"}}]})", R"({"f":"run"})"));
  CHECK_FALSE(body_keeps(R"({"f":[{"anything-but":{"equals-ignore-case":"init"}}]})", R"({"f":"INIT"})"));
  CHECK(body_keeps(R"({"f":[{"anything-but":{"equals-ignore-case":["a","b"]}}]})", R"({"f":"c"})"));
  CHECK_FALSE(body_keeps(R"({"f":[{"anything-but":{"equals-ignore-case":["a","b"]}}]})", R"({"f":"B"})"));
  // Every form requires the field.
  for (const char* p : {R"({"f":[{"anything-but":"x"}]})", R"({"f":[{"anything-but":[1]}]})",
                        R"({"f":[{"anything-but":{"prefix":"p"}}]})", R"({"f":[{"anything-but":{"suffix":"s"}}]})",
                        R"({"f":[{"anything-but":{"equals-ignore-case":"e"}}]})"}) {
    INFO(p);
    CHECK_FALSE(body_keeps(p, R"({"g":"y"})"));
    CHECK_FALSE(body_keeps(p, R"({"f":{"g":"y"}})")); // an object is not a value
  }
}

// ---- structure: nesting, arrays, duplicates ----------------------------------------------------

TEST_CASE("§5 nested objects: keys ANDed at every level", "[filter][criteria]") {
  const char* p = R"({"body":{"order":{"status":["paid"],"total":[{"numeric":[">=",10]}]}}})";
  CHECK(keeps(p, R"({"order":{"status":"paid","total":12,"id":"x"}})"));
  CHECK_FALSE(keeps(p, R"({"order":{"status":"paid","total":9}})"));
  CHECK_FALSE(keeps(p, R"({"order":{"status":"paid"}})"));
  CHECK_FALSE(keeps(p, R"({"status":"paid","total":12})"));
  CHECK_FALSE(keeps(p, R"({"order":"paid"})"));
}

TEST_CASE("§5 arrays in records: a sub-pattern matches one element as a whole", "[filter][criteria]") {
  // Choice (EventBridge's current behaviour): fields of an object sub-pattern must match within
  // the same array element.
  const char* p = R"({"body":{"items":{"sku":["A"],"qty":[{"numeric":[">",5]}]}}})";
  CHECK(keeps(p, R"({"items":[{"sku":"B","qty":9},{"sku":"A","qty":6}]})"));
  CHECK(keeps(p, R"({"items":[{"sku":"A","qty":6},{"sku":"B","qty":9}]})"));
  CHECK_FALSE(keeps(p, R"({"items":[{"sku":"A","qty":1},{"sku":"B","qty":9}]})"));
  CHECK(keeps(p, R"({"items":[[{"sku":"A","qty":6}]]})")); // nested arrays
  CHECK_FALSE(keeps(p, R"({"items":[]})"));
  // Leaves see every scalar of an array, nested arrays flattened.
  CHECK(body_keeps(R"({"tags":["red"]})", R"({"tags":["blue",["green","red"]]})"));
  CHECK_FALSE(body_keeps(R"({"tags":["red"]})", R"({"tags":["blue",{"x":"red"}]})"));
}

TEST_CASE("§5 duplicate keys: in a pattern only the last counts; in a record every occurrence is a value",
          "[filter][criteria]") {
  CHECK(body_keeps(R"({"a":["1"],"a":["2"]})", R"({"a":"2"})"));
  CHECK_FALSE(body_keeps(R"({"a":["1"],"a":["2"]})", R"({"a":"1"})"));
  CHECK(body_keeps(R"({"a":{"x":["1"]},"a":["2"]})", R"({"a":"2"})"));
  const filter_criteria c{R"({"body":{"a":["1"]},"body":{"b":["2"]}})"};
  CHECK(c.use_of("body") == key_use::object);
  CHECK(body_keeps(R"({"a":["2"]})", R"({"a":"1","a":"2"})"));
}

TEST_CASE("§5 filters are ORed; with no filters every record is kept", "[filter][criteria]") {
  const filter_criteria c{R"({"body":{"a":["1"]}})", R"({"body":{"b":["2"]}})"};
  CHECK(c.size() == 2);
  CHECK(c.pattern(1) == R"({"body":{"b":["2"]}})");
  const field a[] = {{"body", field_kind::text_or_json, R"({"a":"1"})"}};
  const field b[] = {{"body", field_kind::text_or_json, R"({"b":"2"})"}};
  const field n[] = {{"body", field_kind::text_or_json, R"({"c":"3"})"}};
  CHECK(c.matches(a));
  CHECK(c.matches(b));
  CHECK_FALSE(c.matches(n));
  const filter_criteria none;
  CHECK(none.empty());
  CHECK(none.matches(n));
  CHECK(none.matches({}));
  CHECK(none.use_of("body") == key_use::none);
  CHECK(none.top_level_keys().empty());
}

// ---- §5 format rules ---------------------------------------------------------------------------

TEST_CASE("§5 format rules (SQS): a JSON body pattern never matches a text body", "[filter][criteria]") {
  CHECK_FALSE(keeps(R"({"body":{"a":["1"]}})", "plain text"));
  CHECK_FALSE(keeps(R"({"body":{"a":[{"exists":false}]}})", "plain text")); // even one that holds for {}
  CHECK_FALSE(keeps(R"({"body":{"a":["1"]}})", R"({"a":"1")"));             // invalid JSON is text
  CHECK_FALSE(keeps(R"({"body":{"a":["1"]}})", "123"));                     // a bare scalar is text
  CHECK_FALSE(keeps(R"({"body":{"a":["1"]}})", ""));
  CHECK(keeps(R"({"body":{"a":["1"]}})", " \n{\"a\":\"1\"}\t ")); // whitespace around JSON is fine
}

TEST_CASE("§5 format rules (SQS): a text body pattern never matches a JSON body", "[filter][criteria]") {
  CHECK_FALSE(keeps(R"({"body":[{"prefix":"{"}]})", R"({"a":"1"})"));
  CHECK_FALSE(keeps(R"({"body":[{"exists":true}]})", R"({"a":"1"})"));
  CHECK_FALSE(keeps(R"({"body":[{"exists":false}]})", R"({"a":"1"})"));
  CHECK_FALSE(keeps(R"({"body":[{"anything-but":"x"}]})", R"([1,2])"));
}

TEST_CASE("§5 format rules (SQS): text pattern and text body: the conditions apply to the text", "[filter][criteria]") {
  CHECK(keeps(R"({"body":["hello"]})", "hello"));
  CHECK_FALSE(keeps(R"({"body":["hello"]})", "hello!"));
  CHECK(keeps(R"({"body":[{"prefix":"ERROR"}]})", "ERROR: disk full"));
  CHECK(keeps(R"({"body":["123"]})", "123"));               // a bare JSON number is text
  CHECK_FALSE(keeps(R"({"body":[123]})", "123"));           // ... so it is not the number 123
  CHECK(keeps(R"({"body":["\"x\""]})", R"("x")"));          // a bare JSON string is its raw text
  CHECK(keeps(R"({"body":[{"prefix":"{"}]})", R"({"a":)")); // invalid JSON is text
  CHECK(keeps(R"({"body":[""]})", ""));
  CHECK(keeps(R"({"body":[{"exists":true}]})", "x"));
}

TEST_CASE("§5 format rules: with no body pattern only the other (metadata) filters apply", "[filter][criteria]") {
  const filter_criteria c{R"({"messageId":[{"prefix":"m-"}]})"};
  const field json_body[] = {{"messageId", field_kind::string, "m-1"}, {"body", field_kind::text_or_json, "{}"}};
  const field text_body[] = {{"messageId", field_kind::string, "m-1"}, {"body", field_kind::text_or_json, "x"}};
  const field bad_body[] = {{"messageId", field_kind::string, "m-1"}, {"body", field_kind::text_or_json, "{"}};
  const field other[] = {{"messageId", field_kind::string, "x-1"}, {"body", field_kind::text_or_json, "{}"}};
  CHECK(c.matches(json_body));
  CHECK(c.matches(text_body));
  CHECK(c.matches(bad_body));
  CHECK_FALSE(c.matches(other));
}

TEST_CASE("§5 format rules (streams): non-JSON data against a JSON data pattern is dropped", "[filter][criteria]") {
  const filter_criteria c{R"({"data":{"temp":[{"numeric":[">",30]}]}})"};
  const field hot[] = {{"data", field_kind::text_or_json, R"({"temp":31.5})"}};
  const field cold[] = {{"data", field_kind::text_or_json, R"({"temp":20})"}};
  const field binary[] = {{"data", field_kind::text_or_json, std::string_view{"\x00\xff\x10{", 4}}};
  CHECK(c.matches(hot));
  CHECK_FALSE(c.matches(cold));
  CHECK_FALSE(c.matches(binary));
}

TEST_CASE("§5 field kinds: string, number and json fields", "[filter][criteria]") {
  const filter_criteria c{R"({"eventName":["INSERT"],"ts":[{"numeric":[">",1545084650]}],)"
                          R"("dynamodb":{"Keys":{"Id":{"N":["101"]}}}})"};
  const field ok[] = {{"eventName", field_kind::string, "INSERT"},
                      {"ts", field_kind::number, "1545084650.987"},
                      {"dynamodb", field_kind::json, R"({"Keys":{"Id":{"N":"101"}},"SizeBytes":26})"}};
  CHECK(c.matches(ok));
  const field wrong_name[] = {ok[0], ok[1], {"dynamodb", field_kind::json, R"({"Keys":{"Id":{"N":"102"}}})"}};
  CHECK_FALSE(c.matches(wrong_name));
  const field early[] = {ok[0], {"ts", field_kind::number, "1545084650"}, ok[2]};
  CHECK_FALSE(c.matches(early));
  // A string field is a string even when it looks like a number; a number field is a number.
  const filter_criteria s{R"({"f":["1"]})"};
  const field as_string[] = {{"f", field_kind::string, "1"}};
  const field as_number[] = {{"f", field_kind::number, "1"}};
  CHECK(s.matches(as_string));
  CHECK_FALSE(s.matches(as_number));
  const filter_criteria n{R"({"f":[1]})"};
  CHECK(n.matches(as_number));
  CHECK_FALSE(n.matches(as_string));
  // A number field that is not a number literal, or a json field that is not JSON, matches nothing.
  const field bad_number[] = {{"f", field_kind::number, "1x"}};
  CHECK_FALSE(n.matches(bad_number));
  CHECK_FALSE(filter_criteria{R"({"f":[{"exists":false}]})"}.matches(bad_number));
  const filter_criteria j{R"({"f":[{"exists":false}]})"};
  const field bad_json[] = {{"f", field_kind::json, "{\"a\":"}};
  const field object_json[] = {{"f", field_kind::json, "{\"a\":1}"}};
  const field scalar_json[] = {{"f", field_kind::json, " \"x\" "}};
  CHECK_FALSE(j.matches(bad_json));
  CHECK(j.matches(object_json)); // generic rule: an object is not a leaf value
  CHECK_FALSE(j.matches(scalar_json));
  CHECK(filter_criteria{R"({"f":["x"]})"}.matches(scalar_json));
  CHECK(j.matches({})); // absent field
}

// ---- records that are large, deep, odd or invalid ----------------------------------------------

TEST_CASE("§5 records: invalid JSON never matches an object pattern and never crashes", "[filter][criteria]") {
  const filter_criteria c{R"({"body":{"a":[{"exists":false}]}})"};
  const filter_criteria leaf{R"({"body":[{"prefix":""}]})"};
  const char* invalid[] = {
      "{",          "{\"a\":1",        "{\"a\":1,}",  "{\"a\" 1}",   "{a:1}",           "[1,]",
      "{\"a\":01}", "{\"a\":1.}",      "{\"a\":-}",   "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
      "{\"a\":\"x", "{\"a\":1}}",      "{\"a\":1} x", "{\"a\":NaN}", "[\"\t\"]",        "{\"a\":1}//",
      "{\"a\":[}",  "{\"a\":{\"b\":}", "[1 2]",       "{\"a\":1e}",  "{\"a\":+1}",      "{\"a\":.5}",
  };
  for (const char* body : invalid) {
    INFO(body);
    const field f[] = {{"body", field_kind::text_or_json, body}};
    CHECK_FALSE(c.matches(f));
    CHECK(leaf.matches(f)); // it is text
    const field j[] = {{"body", field_kind::json, body}};
    CHECK_FALSE(c.matches(j));
  }
}

TEST_CASE("§5 records: nesting deeper than 256 levels is not JSON", "[filter][criteria]") {
  const filter_criteria c{R"({"body":{"a":[{"exists":false}]}})"};
  auto nested = [](int levels) {
    std::string s = "{\"x\":";
    for (int i = 1; i < levels; ++i) s += "[";
    s += "1";
    for (int i = 1; i < levels; ++i) s += "]";
    return s + "}";
  };
  const std::string ok = nested(256);
  const std::string too_deep = nested(257);
  const field f_ok[] = {{"body", field_kind::text_or_json, ok}};
  const field f_deep[] = {{"body", field_kind::text_or_json, too_deep}};
  CHECK(c.matches(f_ok));
  CHECK_FALSE(c.matches(f_deep));
  // Deep inside a named path too.
  const filter_criteria d{R"({"body":{"x":[1]}})"};
  CHECK(d.matches(f_ok));
  CHECK_FALSE(d.matches(f_deep));
  // A million open brackets: rejected without recursion.
  const std::string brackets(1'000'000, '[');
  const field f_brackets[] = {{"body", field_kind::text_or_json, brackets}};
  CHECK_FALSE(c.matches(f_brackets));
  CHECK(filter_criteria{R"({"body":[{"prefix":"[["}]})"}.matches(f_brackets));
}

TEST_CASE("§5 records: huge numbers, long strings and unicode escapes", "[filter][criteria]") {
  // Numbers beyond the double range compare as +/-infinity (or 0) in numeric conditions.
  CHECK(body_keeps(R"({"n":[{"numeric":[">",1e300]}]})", R"({"n":1e400})"));
  CHECK(body_keeps(R"({"n":[{"numeric":["<",-1e300]}]})", R"({"n":-1e400})"));
  CHECK(body_keeps(R"({"n":[{"numeric":["=",0]}]})", R"({"n":1e-400})"));
  const std::string digits(400, '9');
  CHECK(body_keeps(R"({"n":[{"numeric":[">",1e300]}]})", "{\"n\":" + digits + "}"));
  CHECK(body_keeps("{\"n\":[" + digits + "]}", "{\"n\":" + digits + "}"));
  CHECK(body_keeps(R"({"n":[12345678901234567890123]})", R"({"n":12345678901234567890123})"));
  CHECK_FALSE(body_keeps(R"({"n":[12345678901234567890123]})", R"({"n":12345678901234567890124})"));
  // "\u00e9" equals the UTF-8 bytes of é, in patterns and records, in keys and values.
  CHECK(body_keeps(R"({"caf\u00e9":["\u00e9t\u00e9"]})", "{\"caf\xC3\xA9\":\"\xC3\xA9t\xC3\xA9\"}"));
  CHECK(body_keeps("{\"caf\xC3\xA9\":[\"\xC3\xA9t\xC3\xA9\"]}", R"({"caf\u00E9":"\u00e9t\u00e9"})"));
  CHECK(body_keeps(R"({"s":["\ud83d\ude00"]})", "{\"s\":\"\xF0\x9F\x98\x80\"}")); // surrogate pair
  CHECK(body_keeps(R"({"s":["a\"b\\c/d\n"]})", R"({"s":"a\u0022b\\c\/d\u000a"})"));
  CHECK(body_keeps(R"({"s":["\ud800"]})", "{\"s\":\"\xEF\xBF\xBD\"}")); // lone surrogate: U+FFFD
  // Strings longer than any pattern string, with and without escapes.
  const std::string long_text(10'000, 'x');
  const std::string body = "{\"s\":\"ab" + long_text + "\\u0041yz\"}"; // "ab" + x... + "Ayz"
  CHECK(body_keeps(R"({"s":[{"prefix":"abx"}]})", body));
  CHECK(body_keeps(R"({"s":[{"suffix":"xAyz"}]})", body));
  CHECK(body_keeps(R"({"s":[{"suffix":{"equals-ignore-case":"XAYZ"}}]})", body));
  CHECK_FALSE(body_keeps(R"({"s":["abxAyz"]})", body));
  CHECK(body_keeps(R"({"s":[{"anything-but":"abxAyz"}]})", body));
  CHECK_FALSE(body_keeps(R"({"s":[{"anything-but":{"prefix":"ab"}}]})", body));
  const std::string plain = "{\"s\":\"ab" + long_text + "yz\"}";
  CHECK(body_keeps(R"({"s":[{"prefix":"abx"}]})", plain));
  CHECK(body_keeps(R"({"s":[{"suffix":"xyz"}]})", plain));
  // A long escaped key is not any pattern key.
  const std::string long_key = "{\"\\u0061" + long_text + "\":1,\"a\":2}";
  CHECK(body_keeps(R"({"a":[2]})", long_key));
}

TEST_CASE("§5 records: a deeply nested pattern path is followed", "[filter][criteria]") {
  std::string pattern = R"({"body":)";
  std::string record;
  for (int i = 0; i < 100; ++i) {
    pattern += "{\"k\":";
    record += "{\"k\":";
  }
  pattern += "[\"leaf\"]";
  record += "\"leaf\"";
  for (int i = 0; i < 100; ++i) {
    pattern += "}";
    record += "}";
  }
  pattern += "}";
  CHECK(keeps(pattern, record));
  record[record.find("leaf")] = 'L';
  CHECK_FALSE(keeps(pattern, record));
}

// ---- malformed patterns --------------------------------------------------------------------------

TEST_CASE("§5 malformed patterns throw config_error saying which filter, what and where", "[filter][criteria]") {
  CHECK_THAT(esm_test::config_error_of([] {
               filter_criteria c{R"({"a":["x"]})", R"({"body":{"price":[{"numeric":[">","x"]}]}})"};
             }),
             ESM_CONTAINS("filter 2: numeric operator expects a number after '>' at body.price"));
  CHECK_THAT(pattern_error(R"({"body":{"a" 1}})"), ESM_CONTAINS("filter 1: invalid JSON at offset 13: expected ':'"));
  CHECK_THAT(esm_test::config_error_of([] {
               filter_criteria c{R"({"a":["x"]})", R"({"b":["y"]})", R"({"data":{"name":[{"wildcard":"*x"}]}})"};
             }),
             ESM_CONTAINS("filter 3: unsupported operator 'wildcard' at data.name"));
  CHECK_THAT(pattern_error(R"({"body":{"x":"y"}})"),
             ESM_CONTAINS("filter 1: a pattern leaf must be an array at body.x"));
  CHECK_THAT(pattern_error(R"({"body":{"x":5}})"), ESM_CONTAINS("a pattern leaf must be an array at body.x"));
  CHECK_THAT(pattern_error(R"({"x":[{"exists":"yes"}]})"), ESM_CONTAINS("filter 1: exists takes true or false at x"));
  CHECK_THAT(pattern_error(R"({"body":{"$or":[{"a":["1"]}]}})"),
             ESM_CONTAINS("filter 1: $or needs an array of at least 2 patterns at body.$or"));
  CHECK_THAT(pattern_error(R"({"$or":{"a":["1"]}})"), ESM_CONTAINS("$or needs an array of at least 2 patterns"));
  CHECK_THAT(pattern_error(R"({"$or":[{"a":["1"]},"b"]})"), ESM_CONTAINS("$or needs an array of at least 2 patterns"));
  CHECK_THAT(pattern_error(R"({"n":[{"numeric":["<",20,">",10]}]})"),
             ESM_CONTAINS("filter 1: numeric range needs a lower bound then an upper bound"));
  CHECK_THAT(pattern_error(R"({"n":[{"numeric":["=",1,"<",2]}]})"),
             ESM_CONTAINS("numeric range needs a lower bound then an upper bound"));
  CHECK_THAT(pattern_error(R"({"n":[{"numeric":[">",20,"<",10]}]})"),
             ESM_CONTAINS("numeric range needs its lower bound below its upper bound at n"));
  CHECK_THAT(pattern_error(R"({"n":[{"numeric":["!=",1]}]})"), ESM_CONTAINS("unsupported numeric operator '!=' at n"));
  CHECK_THAT(pattern_error(R"({"n":[{"numeric":[">"]}]})"),
             ESM_CONTAINS("numeric operator expects a number after '>' at n"));
  CHECK_THAT(pattern_error(R"({"n":[{"numeric":[">",1,"<",2,"<",3]}]})"), ESM_CONTAINS("numeric takes"));
  CHECK_THAT(pattern_error(R"({"n":[{"numeric":">"}]})"), ESM_CONTAINS("numeric takes"));
  CHECK_THAT(pattern_error(R"({"n":[{"numeric":[">",1e999]}]})"), ESM_CONTAINS("out of the double range at n"));
}

TEST_CASE("§5 malformed patterns: every unsupported or misused operator is rejected", "[filter][criteria]") {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"a":[{"cidr":"10.0.0.0/24"}]})", "unsupported operator 'cidr' at a"},
      {R"({"a":[{"contains":"x"}]})", "unsupported operator 'contains' at a"},
      {R"({"a":[{"prefix":"x","suffix":"y"}]})", "an operator object must have exactly one key, got 2 at a"},
      {R"({"a":[{}]})", "an operator object must not be empty at a"},
      {R"({"a":[{"prefix":1}]})", "prefix takes a string or {\"equals-ignore-case\": string} at a"},
      {R"({"a":[{"suffix":{"equals-ignore-case":1}}]})", "suffix takes a string"},
      {R"({"a":[{"prefix":{"wildcard":"x"}}]})", "prefix takes a string"},
      {R"({"a":[{"equals-ignore-case":["x"]}]})", "equals-ignore-case takes a string at a"},
      {R"({"a":[{"anything-but":null}]})", "anything-but takes a string, a number"},
      {R"({"a":[{"anything-but":[]}]})", "anything-but takes a string, a number"},
      {R"({"a":[{"anything-but":["x",1]}]})", "anything-but lists hold only strings or only numbers at a"},
      {R"({"a":[{"anything-but":[true]}]})", "anything-but lists hold only strings or only numbers"},
      {R"({"a":[{"anything-but":{"wildcard":"x*"}}]})", "unsupported operator 'anything-but/wildcard' at a"},
      {R"({"a":[{"anything-but":{"prefix":""}}]})", "anything-but prefix must not be empty at a"},
      {R"({"a":[{"anything-but":{"suffix":2}}]})", "anything-but suffix takes a string at a"},
      {R"({"a":[{"anything-but":{"equals-ignore-case":[]}}]})", "anything-but equals-ignore-case takes a string"},
      {R"({"a":[{"anything-but":{"prefix":"x","suffix":"y"}}]})", "an anything-but object must have exactly one key"},
      {R"({"a":[{"exists":null}]})", "exists takes true or false at a"},
      {R"({"a":[]})", "a pattern leaf must not be an empty array at a"},
      {R"({"a":[["x"]]})", "not arrays at a"},
      {R"({"a":{}})", "an object in a pattern must not be empty at a"},
      {R"({"a":{"b":{"c":[1]},"d":null}})", "a pattern leaf must be an array at a.d"},
      {R"({"$or":[{"a":["1"]},{"b":{"c":"x"}}]})", "a pattern leaf must be an array at $or[1].b.c"},
      {R"({"$or":[{"a":["1"]},{}]})", "an object in a pattern must not be empty at $or[1]"},
      {R"({})", "filter 1: a pattern must name at least one field"},
      {R"(["a"])", "filter 1: a pattern must be a JSON object at the top level"},
      {R"("x")", "a pattern must be a JSON object"},
      {"", "filter 1: invalid JSON at offset 0: unexpected end of input"},
      {R"({"a":["x"]} x)", "invalid JSON at offset 12: unexpected characters after the JSON value"},
      {R"({"a":["x\q"]})", "invalid JSON at offset 8: invalid escape"},
      {R"({"a":[01]})", "invalid JSON at offset 7: expected ',' or ']'"},
      {R"({"a":["x",]})", "invalid JSON at offset 10: expected a value"},
  };
  for (const auto& [pattern, message] : cases) {
    INFO(pattern);
    CHECK_THAT(pattern_error(pattern), ESM_CONTAINS(message));
  }
  // Too deep a pattern is not JSON.
  std::string deep = "{\"a\":";
  for (int i = 0; i < 300; ++i) deep += "{\"a\":";
  deep += "[1]";
  for (int i = 0; i < 301; ++i) deep += "}";
  CHECK_THAT(pattern_error(deep), ESM_CONTAINS("invalid JSON at offset"));
  CHECK_THAT(pattern_error(deep), ESM_CONTAINS("nesting deeper than 256 levels"));
  // The thrown type is a config_error carrying the subject.
  try {
    filter_criteria c{R"({"a":[{"wildcard":"x"}]})"};
    FAIL("no exception");
  } catch (const esm::filter::pattern_error& e) {
    CHECK(e.parameter() == "filter 1");
    CHECK(e.given() == "unsupported operator 'wildcard' at a");
  }
}

TEST_CASE("§5 limits: at most max_filters patterns; max_filters in [1, 10]; patterns up to 4,096 characters",
          "[filter][criteria]") {
  const std::string p = R"({"a":["x"]})";
  const std::vector<std::string> five(5, p);
  const std::vector<std::string> six(6, p);
  const std::vector<std::string> eleven(11, p);
  CHECK(filter_criteria{std::span<const std::string>{five}}.size() == 5);
  CHECK_THAT(esm_test::config_error_of([&] { filter_criteria c{std::span<const std::string>{six}}; }),
             ESM_CONTAINS("filters must be in [0, 5], got 6"));
  CHECK(filter_criteria{std::span<const std::string>{six}, 10}.max_filters() == 10);
  CHECK_THAT(esm_test::config_error_of([&] {
               filter_criteria c{std::span<const std::string>{eleven}, 10};
             }),
             ESM_CONTAINS("filters must be in [0, 10], got 11"));
  CHECK_THAT(esm_test::config_error_of([&] { filter_criteria c({p}, 11); }), ESM_CONTAINS("max_filters must be in [1, 10], got 11"));
  CHECK_THAT(esm_test::config_error_of([&] { filter_criteria c({p}, 0); }), ESM_CONTAINS("max_filters must be in [1, 10], got 0"));
  CHECK_THAT(esm_test::config_error_of([&] { (void)filter_criteria::from_json("{}", 0); }), ESM_CONTAINS("max_filters must be in"));
  // 4,096 characters (not bytes: é is one character) pass, 4,097 do not.
  const std::string base = R"({"a":[""]})";
  auto padded = [&](std::size_t chars, const std::string& unit) {
    std::string s = R"({"a":[")";
    const std::size_t fill = chars - base.size();
    for (std::size_t i = 0; i < fill; ++i) s += unit;
    return s + R"("]})";
  };
  CHECK(filter_criteria{padded(4096, "x")}.size() == 1);
  CHECK(filter_criteria{padded(4096, "\xC3\xA9")}.size() == 1);
  CHECK_THAT(esm_test::config_error_of([&] {
               filter_criteria c{p, padded(4097, "x")};
             }),
             ESM_CONTAINS("pattern must be at most 4096 characters for filter 2, got 4097 characters"));
}

TEST_CASE("§5 FilterCriteria JSON: {\"Filters\":[{\"Pattern\":...}]}; {} removes filters", "[filter][criteria]") {
  const auto c = filter_criteria::from_json(
      R"({"Filters":[{"Pattern":"{\"body\":{\"a\":[\"1\"]}}"},{"Pattern":"{\"messageId\":[\"m\"]}"}]})");
  REQUIRE(c.size() == 2);
  CHECK(c.pattern(0) == R"({"body":{"a":["1"]}})");
  CHECK(c.top_level_keys() == std::vector<std::string>{"body", "messageId"});
  const field f[] = {{"body", field_kind::text_or_json, R"({"a":"1"})"}};
  CHECK(c.matches(f));
  CHECK(filter_criteria::from_json("{}").empty());
  CHECK(filter_criteria::from_json(R"({"Filters":[]})").empty());
  CHECK(filter_criteria::from_json(R"( {"Filters":null} )").empty());
  CHECK(filter_criteria::from_json(R"({"Filters":[]})", 10).max_filters() == 10);
  CHECK_THAT(esm_test::config_error_of([] { (void)filter_criteria::from_json(R"({"Filters":[{"Pattern":"{\"a\":5}"}]})"); }),
             ESM_CONTAINS("filter 1: a pattern leaf must be an array at a"));
  CHECK_THAT(esm_test::config_error_of([] { (void)filter_criteria::from_json(R"({"Filters":[{"Pattern":"{\"a\""}]})"); }),
             ESM_CONTAINS("filter 1: invalid JSON at offset 4"));
  CHECK_THAT(esm_test::config_error_of([] { (void)filter_criteria::from_json(R"({"Filters":{}})"); }),
             ESM_CONTAINS("FilterCriteria: Filters must be an array"));
  CHECK_THAT(esm_test::config_error_of([] { (void)filter_criteria::from_json(R"({"Filters":[{"Pattern":{"a":["1"]}}]})"); }),
             ESM_CONTAINS("FilterCriteria: Filters[0].Pattern must be a string"));
  CHECK_THAT(esm_test::config_error_of([] { (void)filter_criteria::from_json(R"({"Filters":[{}]})"); }),
             ESM_CONTAINS("FilterCriteria: Filters[0] has no Pattern"));
  CHECK_THAT(esm_test::config_error_of([] { (void)filter_criteria::from_json(R"({"Filter":[]})"); }),
             ESM_CONTAINS("FilterCriteria: unknown key 'Filter'"));
  CHECK_THAT(esm_test::config_error_of([] { (void)filter_criteria::from_json(R"({"Filters":[})"); }),
             ESM_CONTAINS("FilterCriteria: invalid JSON at offset 12"));
  CHECK_THAT(esm_test::config_error_of([] { (void)filter_criteria::from_json(R"([])"); }),
             ESM_CONTAINS("FilterCriteria: must be a JSON object"));
  const std::string six = R"({"Filters":[)" + std::string{R"({"Pattern":"{\"a\":[1]}"},)"} +
                          R"({"Pattern":"{\"a\":[1]}"},)"
                          R"({"Pattern":"{\"a\":[1]}"},)"
                          R"({"Pattern":"{\"a\":[1]}"},)"
                          R"({"Pattern":"{\"a\":[1]}"},)"
                          R"({"Pattern":"{\"a\":[1]}"}]})";
  CHECK_THAT(esm_test::config_error_of([&] { (void)filter_criteria::from_json(six); }),
             ESM_CONTAINS("filters must be in [0, 5], got 6"));
  CHECK(filter_criteria::from_json(six, 6).size() == 6);
}

// ---- API ---------------------------------------------------------------------------------------

TEST_CASE("§5 use_of and top_level_keys report the top-level keys, $or included, in first-seen order",
          "[filter][criteria]") {
  const filter_criteria c{R"({"body":{"a":["1"]},"$or":[{"messageId":["m"]},{"body":["text"]}]})",
                          R"({"attributes":{"x":["1"]},"eventSource":["aws:sqs"],"body":{"b":["2"]}})"};
  CHECK(c.top_level_keys() == std::vector<std::string>{"body", "messageId", "attributes", "eventSource"});
  CHECK(c.use_of("body") == key_use::both);
  CHECK(c.use_of("messageId") == key_use::leaf);
  CHECK(c.use_of("attributes") == key_use::object);
  CHECK(c.use_of("eventSource") == key_use::leaf);
  CHECK(c.use_of("a") == key_use::none);
  CHECK(c.use_of("$or") == key_use::none);
}

TEST_CASE("§5 criteria are copyable and movable; copies are independent", "[filter][criteria]") {
  filter_criteria a{R"({"body":{"s":[{"suffix":"\u00e9"}]}})"};
  const field yes[] = {{"body", field_kind::text_or_json, R"({"s":"caf\u00e9"})"}};
  const field no[] = {{"body", field_kind::text_or_json, R"({"s":"cafe"})"}};
  filter_criteria b = a;
  CHECK(b.matches(yes));
  CHECK_FALSE(b.matches(no));
  filter_criteria c = std::move(a);
  CHECK(c.matches(yes));
  CHECK_FALSE(c.matches(no));
  a = filter_criteria{R"({"body":{"s":["cafe"]}})"};
  CHECK(a.matches(no));
  CHECK(b.matches(yes)); // untouched by the reassignment
  b = c;
  CHECK(b.pattern(0) == c.pattern(0));
  CHECK(b.matches(yes));
}

TEST_CASE("§5 matches allocates nothing once built", "[filter][criteria]") {
  const filter_criteria c{R"({"body":{"type":["order"],"price":[{"numeric":[">",100]}],"region":[{"prefix":"eu-"}]}})",
                          R"({"$or":[{"messageId":[{"anything-but":["x"]}]},{"body":{"tags":{"k":["v"]}}}]})"};
  const std::string long_escaped = "{\"type\":\"ord\\u0065r\",\"note\":\"" + std::string(5000, 'n') +
                                   "\\n\",\"price\":120,\"region\":\"eu-west-1\",\"tags\":[{\"k\":\"v\"}]}";
  const field f[] = {{"messageId", field_kind::string, "x"}, {"body", field_kind::text_or_json, long_escaped}};
  const field g[] = {{"body", field_kind::text_or_json, "not json"}, {"body", field_kind::json, "[1,{\"a\":2}]"}};
  const esm_test::allocation_scope scope;
  bool r = true;
  for (int i = 0; i < 100; ++i) r = r && c.matches(f) && !c.matches(g);
  CHECK(r);
  CHECK(scope.count() == 0);
}

// ---- model check: the matcher against a slow reference evaluator -------------------------------

namespace model {

struct member;

/// A JSON value of the test's own (no sharing with the library).
struct value {
  enum kind_t { null_v, true_v, false_v, number, string, array, object } kind = null_v;
  std::string text; // number literal or string
  std::vector<value> items;
  std::vector<member> members;
};

/// An object member.
struct member {
  std::string first;
  value second;
};

value str(std::string s) { return value{value::string, std::move(s), {}, {}}; }
value num(std::string s) { return value{value::number, std::move(s), {}, {}}; }
value arr(std::vector<value> v) { return value{value::array, {}, std::move(v), {}}; }
value obj(std::vector<member> m) { return value{value::object, {}, {}, std::move(m)}; }

/// Serialises, escaping some characters as \u00XX when `rng` says so.
void write_string(std::string& out, const std::string& s, std::mt19937& rng) {
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\' || rng() % 8 == 0) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      out += hex[static_cast<unsigned char>(c) & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

void write(std::string& out, const value& v, std::mt19937& rng) {
  const char* ws = rng() % 4 == 0 ? " " : "";
  switch (v.kind) {
  case value::null_v:
    out += "null";
    break;
  case value::true_v:
    out += "true";
    break;
  case value::false_v:
    out += "false";
    break;
  case value::number:
    out += v.text;
    break;
  case value::string:
    write_string(out, v.text, rng);
    break;
  case value::array:
    out += '[';
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      if (i != 0) out += ',';
      out += ws;
      write(out, v.items[i], rng);
    }
    out += ']';
    break;
  case value::object:
    out += '{';
    for (std::size_t i = 0; i < v.members.size(); ++i) {
      if (i != 0) out += ',';
      write_string(out, v.members[i].first, rng);
      out += ':';
      out += ws;
      write(out, v.members[i].second, rng);
    }
    out += '}';
    break;
  }
}

std::string to_json(const value& v, std::mt19937& rng) {
  std::string s;
  write(s, v, rng);
  return s;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool starts(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}
bool ends(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}
double number_of(const std::string& literal) { return std::strtod(literal.c_str(), nullptr); }

/// One condition (an element of a leaf array) against one scalar.
bool test(const value& cond, const value& v) {
  switch (cond.kind) {
  case value::string:
    return v.kind == value::string && v.text == cond.text;
  case value::number:
    return v.kind == value::number && v.text == cond.text;
  case value::null_v:
  case value::true_v:
  case value::false_v:
    return v.kind == cond.kind;
  case value::array:
    return false;
  case value::object:
    break;
  }
  const std::string& op = cond.members[0].first;
  const value& arg = cond.members[0].second;
  const bool is_str = v.kind == value::string;
  if (op == "exists") return true; // exists:true (exists:false is handled by the caller)
  if (op == "equals-ignore-case") return is_str && lower(v.text) == lower(arg.text);
  if (op == "prefix" || op == "suffix") {
    if (!is_str) return false;
    const bool ic = arg.kind == value::object;
    const std::string p = ic ? lower(arg.members[0].second.text) : arg.text;
    const std::string s = ic ? lower(v.text) : v.text;
    return op == "prefix" ? starts(s, p) : ends(s, p);
  }
  if (op == "numeric") {
    if (v.kind != value::number) return false;
    const double d = number_of(v.text);
    bool ok = true;
    for (std::size_t i = 0; i + 1 < arg.items.size(); i += 2) {
      const std::string& o = arg.items[i].text;
      const double b = number_of(arg.items[i + 1].text);
      if (o == "=") ok = ok && d == b;
      if (o == "<") ok = ok && d < b;
      if (o == "<=") ok = ok && d <= b;
      if (o == ">") ok = ok && d > b;
      if (o == ">=") ok = ok && d >= b;
    }
    return ok;
  }
  if (op == "anything-but") {
    std::vector<value> excluded;
    if (arg.kind == value::array) {
      excluded = arg.items;
    } else if (arg.kind != value::object) {
      excluded.push_back(arg);
    }
    if (arg.kind == value::object) {
      const std::string& sub = arg.members[0].first;
      const value& s = arg.members[0].second;
      if (!is_str) return true;
      if (sub == "prefix") return !starts(v.text, s.text);
      if (sub == "suffix") return !ends(v.text, s.text);
      const std::vector<value> list = s.kind == value::array ? s.items : std::vector<value>{s};
      for (const value& e : list) {
        if (lower(e.text) == lower(v.text)) return false;
      }
      return true;
    }
    for (const value& e : excluded) {
      if (e.kind == value::string && is_str && e.text == v.text) return false;
      if (e.kind == value::number && v.kind == value::number && number_of(e.text) == number_of(v.text)) return false;
    }
    return true;
  }
  return false;
}

/// Collects, from the values `at` a key, the scalars (arrays flattened) and the objects.
void collect(const value& v, std::vector<const value*>& scalars, std::vector<const value*>& objects) {
  if (v.kind == value::array) {
    for (const value& e : v.items) collect(e, scalars, objects);
  } else if (v.kind == value::object) {
    objects.push_back(&v);
  } else {
    scalars.push_back(&v);
  }
}

/// The pattern members that count (the last of duplicate keys).
std::vector<const member*> counted(const value& pattern) {
  std::vector<const member*> out;
  for (std::size_t i = 0; i < pattern.members.size(); ++i) {
    bool later = false;
    for (std::size_t j = i + 1; j < pattern.members.size(); ++j)
      later = later || pattern.members[j].first == pattern.members[i].first;
    if (!later) out.push_back(&pattern.members[i]);
  }
  return out;
}

bool match_object(const value& pattern, const value* object);

/// A pattern member's value against the values a record has at that key.
bool match_member(const value& pattern_value, const std::vector<const value*>& values) {
  std::vector<const value*> scalars;
  std::vector<const value*> objects;
  for (const value* v : values) collect(*v, scalars, objects);
  if (pattern_value.kind == value::object) {
    if (objects.empty()) return match_object(pattern_value, nullptr);
    for (const value* o : objects) {
      if (match_object(pattern_value, o)) return true;
    }
    return false;
  }
  for (const value& cond : pattern_value.items) {
    const bool exists_false = cond.kind == value::object && cond.members[0].first == "exists" &&
                              cond.members[0].second.kind == value::false_v;
    if (exists_false) {
      if (scalars.empty()) return true;
      continue;
    }
    for (const value* s : scalars) {
      if (test(cond, *s)) return true;
    }
  }
  return false;
}

/// A pattern object against a record object (nullptr: no object there).
bool match_object(const value& pattern, const value* object) {
  for (const auto* m : counted(pattern)) {
    if (m->first == "$or") {
      bool any = false;
      for (const value& branch : m->second.items) any = any || match_object(branch, object);
      if (!any) return false;
      continue;
    }
    std::vector<const value*> values;
    if (object != nullptr) {
      for (const auto& [k, v] : object->members) {
        if (k == m->first) values.push_back(&v);
      }
    }
    if (!match_member(m->second, values)) return false;
  }
  return true;
}

/// A record field for the model: its presentation and what it means.
struct record_field {
  std::string name;
  field_kind kind;
  std::string text;
  bool json = false; // text is valid JSON (json / text_or_json kinds)
  value parsed;      // the JSON value, when json
};

/// A top-level pattern against the record's fields (unique names).
bool match_top(const value& pattern, const std::vector<record_field>& record) {
  for (const auto* m : counted(pattern)) {
    if (m->first == "$or") {
      bool any = false;
      for (const value& branch : m->second.items) any = any || match_top(branch, record);
      if (!any) return false;
      continue;
    }
    const record_field* f = nullptr;
    for (const auto& r : record) {
      if (r.name == m->first) f = &r;
    }
    const bool object_pattern = m->second.kind == value::object;
    bool ok = false;
    if (f == nullptr) {
      ok = match_member(m->second, {});
    } else if (f->kind == field_kind::string) {
      const value v = str(f->text);
      ok = match_member(m->second, {&v});
    } else if (f->kind == field_kind::number) {
      const value v = num(f->text);
      ok = match_member(m->second, {&v});
    } else if (f->kind == field_kind::json) {
      ok = f->json && match_member(m->second, {&f->parsed});
    } else { // text_or_json
      const bool container = f->json && (f->parsed.kind == value::object || f->parsed.kind == value::array);
      if (container) {
        ok = object_pattern && match_member(m->second, {&f->parsed});
      } else {
        const value v = str(f->text);
        ok = !object_pattern && match_member(m->second, {&v});
      }
    }
    if (!ok) return false;
  }
  return true;
}

/// Random patterns and documents over a small vocabulary, so they often meet.
class generator {
public:
  explicit generator(std::uint32_t seed) : rng(seed) {}

  std::mt19937 rng;

  std::size_t pick(std::size_t n) { return rng() % n; }
  bool chance(int percent) { return static_cast<int>(rng() % 100) < percent; }

  std::string key() { return keys_[pick(std::size(keys_))]; }
  std::string text() { return strings_[pick(std::size(strings_))]; }
  std::string number() { return numbers_[pick(std::size(numbers_))]; }

  value scalar() {
    switch (pick(6)) {
    case 0:
      return str(text());
    case 1:
      return num(number());
    case 2:
      return value{value::true_v, {}, {}, {}};
    case 3:
      return value{value::false_v, {}, {}, {}};
    case 4:
      return value{value::null_v, {}, {}, {}};
    default:
      return str(text());
    }
  }

  value document(int depth) {
    std::vector<member> members;
    const std::size_t n = pick(4);
    for (std::size_t i = 0; i < n; ++i) members.push_back({key(), member_value(depth)});
    return obj(std::move(members));
  }

  value member_value(int depth) {
    const std::size_t r = pick(10);
    if (r < 4 || depth >= 3) return scalar();
    if (r < 7) return document(depth + 1);
    std::vector<value> items;
    const std::size_t n = pick(4);
    for (std::size_t i = 0; i < n; ++i) {
      items.push_back(chance(15) ? arr({scalar()}) : chance(50) ? document(depth + 1) : member_value(depth + 1));
    }
    return arr(std::move(items));
  }

  value condition() {
    const auto op = [](const char* name, value v) { return obj({{name, std::move(v)}}); };
    switch (pick(17)) {
    case 0:
      return str(text());
    case 1:
      return num(number());
    case 2:
      return scalar();
    case 3:
      return op("equals-ignore-case", str(text()));
    case 4:
      return op("prefix", str(text()));
    case 5:
      return op("suffix", str(text()));
    case 6:
      return op("prefix", op("equals-ignore-case", str(text())));
    case 7:
      return op("suffix", op("equals-ignore-case", str(text())));
    case 8:
      return op("anything-but", chance(50) ? str(text()) : arr({str(text()), str(text())}));
    case 9:
      return op("anything-but", chance(50) ? num(number()) : arr({num(number()), num(number())}));
    case 10: {
      const char* which = chance(50) ? "prefix" : "suffix"; // (draws in a fixed order on every compiler)
      return op("anything-but", op(which, str(nonempty_text())));
    }
    case 11:
      return op("anything-but", op("equals-ignore-case", chance(50) ? str(text()) : arr({str(text()), str(text())})));
    case 12: {
      static const char* ops[] = {"=", "<", "<=", ">", ">="};
      return op("numeric", arr({str(ops[pick(5)]), num(number())}));
    }
    case 13: {
      static const std::pair<const char*, const char*> ranges[] = {
          {"-5", "10"}, {"1", "2.5e1"}, {"0", "300"}, {"1.0", "10"}};
      const auto& [lo, hi] = ranges[pick(std::size(ranges))];
      return op("numeric", arr({str(chance(50) ? ">" : ">="), num(lo), str(chance(50) ? "<" : "<="), num(hi)}));
    }
    case 14:
      return op("exists", value{value::true_v, {}, {}, {}});
    case 15:
      return op("exists", value{value::false_v, {}, {}, {}});
    default:
      return str(text());
    }
  }

  std::string nonempty_text() {
    std::string t;
    while (t.empty()) t = text();
    return t;
  }

  value leaf() {
    std::vector<value> conds;
    const std::size_t n = 1 + pick(3);
    for (std::size_t i = 0; i < n; ++i) conds.push_back(condition());
    return arr(std::move(conds));
  }

  /// A pattern object over the document vocabulary.
  value pattern(int depth) {
    std::vector<member> members;
    const std::size_t n = 1 + pick(depth == 0 ? 2 : 3);
    for (std::size_t i = 0; i < n; ++i) {
      if (depth < 3 && chance(12)) {
        std::vector<value> branches;
        const std::size_t b = 2 + pick(2);
        for (std::size_t j = 0; j < b; ++j) branches.push_back(pattern(depth + 1));
        members.push_back({"$or", arr(std::move(branches))});
      } else if (depth < 3 && chance(30)) {
        members.push_back({key(), pattern(depth + 1)});
      } else {
        members.push_back({key(), leaf()});
      }
    }
    return obj(std::move(members));
  }

  /// A top-level pattern over the record's fields.
  value top_pattern() {
    std::vector<member> members;
    const std::size_t n = 1 + pick(2);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string name = fields_[pick(std::size(fields_))];
      if (chance(8)) {
        members.push_back({"$or", arr({top_pattern(), top_pattern()})});
      } else if ((name == "body" || name == "doc") && chance(75)) {
        members.push_back({name, pattern(1)});
      } else {
        members.push_back({name, leaf()});
      }
    }
    return obj(std::move(members));
  }

  std::vector<record_field> record() {
    std::vector<record_field> fields;
    if (chance(85)) { // body: JSON object, JSON array, invalid JSON, or text
      record_field f{"body", field_kind::text_or_json, {}, false, {}};
      const std::size_t r = pick(10);
      if (r < 6) {
        f.parsed = document(0);
        f.json = true;
        f.text = to_json(f.parsed, rng);
      } else if (r < 7) {
        f.parsed = arr({document(1), scalar()});
        f.json = true;
        f.text = to_json(f.parsed, rng);
      } else if (r < 9) {
        std::string t = to_json(document(0), rng);
        t.resize(1 + pick(t.size() - 1)); // a proper prefix of an object: never JSON
        f.text = t;
      } else {
        f.text = text();
      }
      fields.push_back(std::move(f));
    }
    if (chance(60)) fields.push_back({"id", field_kind::string, text(), false, {}});
    if (chance(60)) fields.push_back({"n", field_kind::number, number(), false, {}});
    if (chance(60)) {
      record_field f{"doc", field_kind::json, {}, true, {}};
      f.parsed = chance(80) ? document(0) : member_value(1);
      f.text = to_json(f.parsed, rng);
      if (chance(10)) {
        f.text += ",";
        f.json = false;
      }
      fields.push_back(std::move(f));
    }
    return fields;
  }

private:
  const char* keys_[4] = {"a", "b", "c", "B"};
  const char* strings_[8] = {"x", "X", "xy", "Xy", "", "1", "yx", "a\"b\\"};
  const char* numbers_[8] = {"1", "1.0", "10", "-5", "2.5e1", "300", "0", "25"};
  const char* fields_[5] = {"body", "id", "n", "doc", "body"};
};

} // namespace model

TEST_CASE("§5 model check: the one-pass matcher agrees with a reference evaluator on random patterns and records",
          "[filter][criteria]") {
  model::generator gen{20241127};
  int checked = 0;
  int kept = 0;
  for (int p = 0; p < 400; ++p) {
    // One to three patterns, ORed.
    std::vector<model::value> patterns;
    std::vector<std::string> texts;
    const std::size_t n = 1 + gen.pick(p % 4 == 0 ? 3 : 1);
    for (std::size_t i = 0; i < n; ++i) {
      do { // (rarely, the recursion makes a pattern longer than AWS allows)
        patterns.push_back(gen.top_pattern());
        texts.push_back(model::to_json(patterns.back(), gen.rng));
        if (texts.back().size() <= 2000) break;
        patterns.pop_back();
        texts.pop_back();
      } while (true);
    }
    const filter_criteria criteria{std::span<const std::string>{texts}};
    for (int d = 0; d < 60; ++d) {
      const std::vector<model::record_field> record = gen.record();
      std::vector<field> fields;
      for (const auto& f : record) fields.push_back({f.name, f.kind, f.text});
      bool expected = false;
      for (const auto& pattern : patterns) expected = expected || model::match_top(pattern, record);
      const bool actual = criteria.matches(fields);
      if (actual != expected) {
        std::string shown;
        for (const auto& f : record) shown += f.name + "=" + f.text + "  ";
        INFO("patterns: " << texts[0] << (texts.size() > 1 ? " | " + texts[1] : std::string{}));
        INFO("record: " << shown);
        CHECK(actual == expected);
      }
      ++checked;
      kept += expected ? 1 : 0;
    }
  }
  CHECK(checked == 24'000);
  // The vocabulary makes both outcomes common (a check that the test tests something).
  CHECK(kept > 2'000);
  CHECK(kept < 22'000);
}
