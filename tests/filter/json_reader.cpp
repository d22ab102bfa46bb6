// Tests of esm/filter/detail/json.hpp: the strict JSON (RFC 8259) reader behind filtering —
// validation (RFC 8259 grammar, depth limit), string decoding, number values, case folding and
// the pattern DOM parser's error offsets.
#include <esm/filter/detail/json.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include "support/catch.hpp"

namespace json = esm::filter::detail;

namespace {
std::string decoded(std::string_view quoted) {
  // `quoted` is a whole JSON string, quotes included.
  std::string out;
  bool escaped = false;
  const char* end = quoted.data() + quoted.size();
  const char* after = json::scan_string(quoted.data() + 1, end, escaped);
  REQUIRE(after == end);
  json::decode_string(quoted.data() + 1, end, [&](const char* b, std::size_t n) { out.append(b, n); });
  return out;
}
} // namespace

TEST_CASE("§5 JSON reader: valid RFC 8259 texts are accepted", "[filter][criteria]") {
  const char* valid[] = {
      "{}",
      "[]",
      " {} ",
      "0",
      "-0",
      "1.5",
      "-1.5e10",
      "1E+2",
      "1e-2",
      "\"\"",
      "\"a\"",
      "true",
      "false",
      "null",
      "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}",
      "[[[[]]]]",
      "\t\r\n[1 , 2 ]\n",
      "{\"a\":{},\"a\":[]}",
      "\"\x7f\xff\xfe\"",
      "123456789012345678901234567890",
      "\"\\ud800\"",
      "{\"\":\"\"}",
  };
  for (const char* text : valid) {
    INFO(text);
    CHECK(json::is_valid_json(text));
    json::json_value v;
    json::json_error e;
    CHECK(json::parse_json(text, v, e));
  }
}

TEST_CASE("§5 JSON reader: invalid texts are rejected (trailing garbage, bad escapes, bad numbers...)",
          "[filter][criteria]") {
  const char* invalid[] = {
      "",         " ",         "{",           "}",      "[",          "]",        "{]",        "[}",     "{\"a\"}",
      "{\"a\":}", "{,}",       "[,]",         "[1,]",   "{\"a\":1,}", "{a:1}",    "{'a':1}",   "\"",     "\"\\\"",
      "\"\\x\"",  "\"\\u12\"", "\"\\u12g4\"", "\"\t\"", "\"\n\"",     "01",       "-",         "1.",     ".1",
      "1e",       "1e+",       "+1",          "0x1",    "NaN",        "Infinity", "-Infinity", "tru",    "nul",
      "falsey",   "{} {}",     "[1] x",       "1 2",    "//",         "/**/1",    "[1]//x",    "\"a\"b", "{\"a\":1}}",
  };
  for (const char* text : invalid) {
    INFO(text);
    CHECK_FALSE(json::is_valid_json(text));
    json::json_value v;
    json::json_error e;
    CHECK_FALSE(json::parse_json(text, v, e));
  }
  // A NUL byte inside a string is a control character; after the value it is garbage.
  CHECK_FALSE(json::is_valid_json(std::string_view{"\"a\0b\"", 5}));
  CHECK_FALSE(json::is_valid_json(std::string_view{"{}\0", 3}));
}

TEST_CASE("§5 JSON reader: 256 nested containers are JSON, 257 are not, without recursion", "[filter][criteria]") {
  const auto nested = [](int n, char open, char close) {
    return std::string(static_cast<std::size_t>(n), open) + std::string(static_cast<std::size_t>(n), close);
  };
  CHECK(json::is_valid_json(nested(256, '[', ']')));
  CHECK_FALSE(json::is_valid_json(nested(257, '[', ']')));
  std::string objects;
  for (int i = 0; i < 256; ++i) objects += "{\"a\":";
  objects += "1";
  objects += std::string(256, '}');
  CHECK(json::is_valid_json(objects));
  json::json_value v;
  json::json_error e;
  CHECK(json::parse_json(objects, v, e));
  CHECK_FALSE(json::parse_json(nested(257, '[', ']'), v, e));
  CHECK(e.message == "nesting deeper than 256 levels");
  CHECK(e.offset == 256);
  CHECK_FALSE(json::is_valid_json(std::string(5'000'000, '[')));
}

TEST_CASE("§5 JSON reader: strings decode escapes to UTF-8; unpaired surrogates become U+FFFD", "[filter][criteria]") {
  CHECK(decoded(R"("plain")") == "plain");
  CHECK(decoded(R"("\u00e9")") == "\xC3\xA9");
  CHECK(decoded(R"("\u20AC")") == "\xE2\x82\xAC");
  CHECK(decoded(R"("\uD83D\uDE00")") == "\xF0\x9F\x98\x80");
  CHECK(decoded(R"("\ud800x")") == "\xEF\xBF\xBDx");
  CHECK(decoded(R"("\udc00")") == "\xEF\xBF\xBD");
  CHECK(decoded(R"("\ud800\u0041")") == "\xEF\xBF\xBD"
                                        "A");
  CHECK(decoded(R"("\"\\\/\b\f\n\r\t")") == "\"\\/\b\f\n\r\t");
  CHECK(decoded(R"("\u0000")") == std::string(1, '\0'));
  // Long strings take the 8-bytes-at-a-time path; specials at every offset are still found.
  for (std::size_t at = 0; at < 20; ++at) {
    std::string s(20, 'x');
    s[at] = '\n';
    bool escaped = false;
    const std::string quoted = "\"" + s + "\"";
    CHECK(json::scan_string(quoted.data() + 1, quoted.data() + quoted.size(), escaped) == nullptr);
    s[at] = '"';
    const std::string early = "\"" + s + "\"";
    CHECK(json::scan_string(early.data() + 1, early.data() + early.size(), escaped) == early.data() + at + 2);
  }
}

TEST_CASE("§5 JSON reader: number values, including literals beyond the double range", "[filter][criteria]") {
  constexpr double inf = std::numeric_limits<double>::infinity();
  CHECK(json::number_value("300") == 300.0);
  CHECK(json::number_value("3.0e2") == 300.0);
  CHECK(json::number_value("-0.5") == -0.5);
  CHECK(json::number_value("1e400") == inf);
  CHECK(json::number_value("-1e400") == -inf);
  CHECK(json::number_value("1e-400") == 0.0);
  CHECK(json::number_value("-1e-400") == 0.0);
  CHECK(std::signbit(json::number_value("-1e-400")));
  CHECK(json::number_value(std::string(400, '9')) == inf);
  CHECK(json::number_value("0.0000000000e99999999999999999999") == 0.0);
  CHECK(json::number_value("0." + std::string(400, '0') + "1") == 0.0);
  CHECK(json::number_value("1e99999999999999999999999") == inf);
  CHECK(json::number_value("10e-99999999999999999999") == 0.0);
}

TEST_CASE("§5 JSON reader: equals-ignore-case folding keeps byte lengths", "[filter][criteria]") {
  CHECK(json::fold("HeLLo") == "hello");
  CHECK(json::fold("\xC3\x89T\xC3\x89") == "\xC3\xA9t\xC3\xA9"); // ÉTÉ -> été
  CHECK(json::fold("\xCE\xA3\xCE\x9F") == "\xCF\x83\xCE\xBF");   // ΣΟ -> σο
  CHECK(json::fold("\xD0\x9F\xD0\x81") == "\xD0\xBF\xD1\x91");   // ПЁ -> пё
  CHECK(json::fold("\xC5\xB8") == "\xC3\xBF");                   // Ÿ -> ÿ
  CHECK(json::fold("\xE2\x82\xAC\xC3") == "\xE2\x82\xAC\xC3");   // others and a cut sequence unchanged
  CHECK(json::equals_folded("\xC3\x89t\xC3\xA9", "\xC3\xA9t\xC3\xA9"));
  CHECK_FALSE(json::equals_folded("ete", "\xC3\xA9t\xC3\xA9"));
}

TEST_CASE("§5 JSON reader: the pattern parser reports the offset and the reason", "[filter][criteria]") {
  const struct {
    const char* text;
    std::size_t offset;
    const char* message;
  } cases[] = {
      {R"({"a" 1})", 5, "expected ':'"},
      {R"({"a":1 "b":2})", 7, "expected ',' or '}'"},
      {R"([1 2])", 3, "expected ',' or ']'"},
      {R"({1:2})", 1, "expected a string key"},
      {R"({"a":})", 5, "expected a value"},
      {R"({"a":-x})", 5, "invalid number"},
      {R"({"a":tru})", 5, "invalid literal"},
      {"{\"a\":\"x\ty\"}", 7, "control character in a string"},
      {R"({"a":"\q"})", 6, "invalid escape in a string"},
      {R"({"a":"xy)", 8, "unterminated string"},
      {R"({"a":1} [)", 8, "unexpected characters after the JSON value"},
      {R"({"a":[1,)", 8, "unexpected end of input, expected a value"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    json::json_value v;
    json::json_error e;
    CHECK_FALSE(json::parse_json(c.text, v, e));
    CHECK(e.offset == c.offset);
    CHECK(e.message == c.message);
  }
  json::json_value v;
  json::json_error e;
  REQUIRE(json::parse_json(R"({"k\u00e9":[1.50,"s",true,null],"k\u00e9":{}})", v, e));
  REQUIRE(v.members.size() == 2); // duplicates kept, in order
  CHECK(v.members[0].key == "k\xC3\xA9");
  CHECK(v.members[0].value.elements[0].text == "1.50");
  CHECK(v.members[0].value.elements[1].text == "s");
  CHECK(v.members[1].value.is_object());
}
