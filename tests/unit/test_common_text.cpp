// The small string helpers every module shares.
#include "rolesanywhere/text.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rolesanywhere;

TEST_CASE("text: trim removes HTTP header whitespace at both ends only") {
  CHECK(trim(" \t a b \r\n") == "a b");
  CHECK(trim("") == "");
  CHECK(trim(" \r\n\t") == "");
}

TEST_CASE("text: to_lower lowers ASCII letters and leaves other bytes alone") {
  CHECK(to_lower("X-Amz-Date\xC3\x84") == "x-amz-date\xC3\x84");
}

TEST_CASE("text: append_wiping appends across many growths") {
  std::string text;
  for (int i = 0; i < 1000; ++i) append_wiping(text, "ab");
  CHECK(text.size() == 2000);
  CHECK(text.substr(0, 4) == "abab");
}

TEST_CASE("text: log_safe keeps a client's text on one line and bounded") {
  // A request path that tries to forge a line of its own in serve's --debug output.
  CHECK(log_safe("/fake\nrolesanywhere-helper: credentials refreshed") ==
        "/fake\\x0arolesanywhere-helper: credentials refreshed");
  CHECK(log_safe(std::string("a\0b\r\x1b[31m\xff\\", 11)) == "a\\x00b\\x0d\\x1b[31m\\xff\\x5c");
  CHECK(log_safe("/latest/api/token") == "/latest/api/token");
  CHECK(log_safe(std::string(300, 'x')) == std::string(200, 'x') + "...");
  CHECK(log_safe("abcdef", 3) == "abc...");
}
