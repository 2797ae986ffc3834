// The INI edit of the shared credentials file: every byte that is not one of the profile's
// credential values survives, on many shapes of files.
#include <doctest/doctest.h>

#include "update/credentials_ini.hpp"

#include "rolesanywhere/error.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace rolesanywhere;
using namespace rolesanywhere::update;
using namespace std::chrono;

namespace {

Credentials make_credentials(const std::string& tag) {
  Credentials c;
  c.access_key_id = "ASIA" + tag;
  c.secret_access_key = SecretString("secret/" + tag + "+key");
  c.session_token = SecretString("token==" + tag);
  c.expiration = sys_days{year{2026} / 11 / 23} + hours{9} + minutes{30};
  return c;
}

const std::string kExpires = "x_security_token_expires = 2026-11-23T09:30:00Z";

std::string keys_block(const std::string& tag, const std::string& eol = "\n",
                       const std::string& indent = "") {
  return indent + "aws_access_key_id = ASIA" + tag + eol + indent +
         "aws_secret_access_key = secret/" + tag + "+key" + eol + indent +
         "aws_session_token = token==" + tag + eol + indent + kExpires + eol;
}

// What a reader sees for the profile after the edit.
void check_reads_back(const std::string& text, const std::string& profile, const std::string& tag) {
  CHECK(ini_value(text, profile, "aws_access_key_id") == "ASIA" + tag);
  CHECK(ini_value(text, profile, "aws_secret_access_key") == "secret/" + tag + "+key");
  CHECK(ini_value(text, profile, "aws_session_token") == "token==" + tag);
  CHECK(ini_value(text, profile, std::string(kExpirationKey)) == "2026-11-23T09:30:00Z");
}

}  // namespace

TEST_CASE("update ini: an empty file gets the profile and a final newline") {
  const std::string out = apply_credentials("", "default", make_credentials("A"));
  CHECK(out == "[default]\n" + keys_block("A"));
  check_reads_back(out, "default", "A");
}

TEST_CASE("update ini: existing keys are replaced in place and nothing else moves") {
  const std::string before =
      "# my credentials\n"
      "[default]\n"
      "aws_access_key_id = OLDKEY\n"
      "; a comment between keys\n"
      "aws_secret_access_key = oldsecret\n"
      "region = eu-west-1\n"
      "aws_session_token = oldtoken\n"
      "x_security_token_expires = 2020-01-01T00:00:00Z\n"
      "\n"
      "[work]\n"
      "aws_access_key_id = AKIAWORK\n"
      "aws_secret_access_key = worksecret\n";
  const std::string out = apply_credentials(before, "default", make_credentials("B"));
  CHECK(out ==
        "# my credentials\n"
        "[default]\n"
        "aws_access_key_id = ASIAB\n"
        "; a comment between keys\n"
        "aws_secret_access_key = secret/B+key\n"
        "region = eu-west-1\n"
        "aws_session_token = token==B\n"
        "x_security_token_expires = 2026-11-23T09:30:00Z\n"
        "\n"
        "[work]\n"
        "aws_access_key_id = AKIAWORK\n"
        "aws_secret_access_key = worksecret\n");
  check_reads_back(out, "default", "B");
}

TEST_CASE("update ini: a profile in the middle of many keeps its neighbours byte for byte") {
  std::string head, tail;
  for (int i = 0; i < 20; ++i)
    head += "[p" + std::to_string(i) + "]\naws_access_key_id = AKIA" + std::to_string(i) +
            "\naws_secret_access_key = s" + std::to_string(i) + "\n\n";
  for (int i = 20; i < 40; ++i)
    tail += "\n# profile " + std::to_string(i) + "\n[p" + std::to_string(i) +
            "]\nregion=us-west-2\naws_session_token=t" + std::to_string(i) + "\n";
  const std::string before = head + "[target]\naws_access_key_id = OLD\n" + tail;
  const std::string out = apply_credentials(before, "target", make_credentials("C"));
  // The three missing keys go right after the last key of the section, before the blank line
  // and the comment that belong to the next profile.
  CHECK(out == head + "[target]\naws_access_key_id = ASIAC\n" +
                   "aws_secret_access_key = secret/C+key\naws_session_token = token==C\n" +
                   kExpires + "\n" + tail);
  for (int i = 0; i < 40; ++i) {
    const std::string name = "p" + std::to_string(i);
    CHECK(ini_value(out, name, "aws_access_key_id") ==
          ini_value(before, name, "aws_access_key_id"));
    CHECK(ini_value(out, name, "aws_session_token") ==
          ini_value(before, name, "aws_session_token"));
  }
}

TEST_CASE("update ini: odd spacing and key case are kept up to the value") {
  const std::string before =
      "[default]\n"
      "  AWS_ACCESS_KEY_ID=OLD\n"
      "aws_secret_access_key   :\told   \n"
      "aws_session_token\t=   old\n"
      "X_Security_Token_Expires =\n";
  const std::string out = apply_credentials(before, "default", make_credentials("D"));
  CHECK(out ==
        "[default]\n"
        "  AWS_ACCESS_KEY_ID=ASIAD\n"
        "aws_secret_access_key   :\tsecret/D+key\n"
        "aws_session_token\t=   token==D\n"
        "X_Security_Token_Expires =2026-11-23T09:30:00Z\n");
  check_reads_back(out, "default", "D");
}

TEST_CASE("update ini: a profile at the end without a trailing newline") {
  SUBCASE("existing keys") {
    const std::string before = "[a]\nx = 1\n\n[default]\naws_access_key_id = OLD";
    const std::string out = apply_credentials(before, "default", make_credentials("E"));
    CHECK(out ==
          "[a]\nx = 1\n\n[default]\naws_access_key_id = ASIAE\n"
          "aws_secret_access_key = secret/E+key\naws_session_token = token==E\n" +
              kExpires);
    check_reads_back(out, "default", "E");
  }
  SUBCASE("a header only") {
    const std::string out =
        apply_credentials("[a]\nx = 1\n[default]", "default", make_credentials("E"));
    CHECK(out == "[a]\nx = 1\n[default]\n" + keys_block("E").substr(0, keys_block("E").size() - 1));
  }
  SUBCASE("a new profile appended after it") {
    const std::string out = apply_credentials("[a]\nx = 1", "new", make_credentials("E"));
    CHECK(out == "[a]\nx = 1\n\n[new]\n" + keys_block("E").substr(0, keys_block("E").size() - 1));
    CHECK(ini_value(out, "a", "x") == "1");
    check_reads_back(out, "new", "E");
  }
}

TEST_CASE("update ini: CRLF files stay CRLF") {
  const std::string before =
      "# windows\r\n[other]\r\nregion = us-east-1\r\n\r\n[default]\r\naws_access_key_id = OLD\r\n";
  const std::string out = apply_credentials(before, "default", make_credentials("F"));
  CHECK(out == "# windows\r\n[other]\r\nregion = us-east-1\r\n\r\n[default]\r\n" +
                   keys_block("F", "\r\n"));
  check_reads_back(out, "default", "F");

  const std::string appended = apply_credentials(before, "new", make_credentials("F"));
  CHECK(appended == before + "\r\n[new]\r\n" + keys_block("F", "\r\n"));
  CHECK(appended.find("\n\n") == std::string::npos);  // no bare LF crept in
}

TEST_CASE("update ini: a missing profile is appended after one blank line") {
  CHECK(apply_credentials("[a]\nx = 1\n", "b", make_credentials("G")) ==
        "[a]\nx = 1\n\n[b]\n" + keys_block("G"));
  // A file that already ends with a blank line gets no second one.
  CHECK(apply_credentials("[a]\nx = 1\n\n", "b", make_credentials("G")) ==
        "[a]\nx = 1\n\n[b]\n" + keys_block("G"));
  // Only comments: they stay on top.
  CHECK(apply_credentials("# nothing yet\n", "b", make_credentials("G")) ==
        "# nothing yet\n\n[b]\n" + keys_block("G"));
}

TEST_CASE("update ini: nested values and their continuation lines are left alone") {
  const std::string before =
      "[default]\n"
      "s3 =\n"
      "    aws_access_key_id = NOT_A_CREDENTIAL\n"
      "    max_concurrent_requests = 10\n"
      "region = us-east-1\n";
  const std::string out = apply_credentials(before, "default", make_credentials("H"));
  CHECK(out == before + keys_block("H"));
  CHECK(ini_value(out, "default", "s3") ==
        "\naws_access_key_id = NOT_A_CREDENTIAL\nmax_concurrent_requests = 10");
  check_reads_back(out, "default", "H");
}

TEST_CASE("update ini: a multi-line old value is replaced whole") {
  const std::string before =
      "[default]\n"
      "aws_session_token = first-part\n"
      "   second-part\n"
      "\n"
      "   third-part\n"
      "region = us-east-1\n";
  const std::string out = apply_credentials(before, "default", make_credentials("I"));
  CHECK(out ==
        "[default]\n"
        "aws_session_token = token==I\n"
        "\n"
        "region = us-east-1\n"
        "aws_access_key_id = ASIAI\n"
        "aws_secret_access_key = secret/I+key\n" +
            kExpires + "\n");
  check_reads_back(out, "default", "I");
}

TEST_CASE("update ini: sections are matched exactly as botocore names them") {
  const std::string before =
      "[ default ]\naws_access_key_id = SPACED\n"
      "[default-2]\naws_access_key_id = OTHER\n"
      "[Default]\naws_access_key_id = CASED\n"
      "[empty]\n"
      "  [default]\n"  // indented, but no key is open above it: still a header
      "region = eu-central-1\n";
  const std::string out = apply_credentials(before, "default", make_credentials("J"));
  CHECK(out == before + keys_block("J"));
  CHECK(ini_value(out, " default ", "aws_access_key_id") == "SPACED");
  CHECK(ini_value(out, "Default", "aws_access_key_id") == "CASED");
  check_reads_back(out, "default", "J");
  // A header-like line inside a value is not a header.
  const std::string nested = "[x]\nkey =\n  [default]\n";
  CHECK(apply_credentials(nested, "default", make_credentials("J")) ==
        nested + "\n[default]\n" + keys_block("J"));
}

TEST_CASE("update ini: a header with trailing text and a profile name with spaces") {
  CHECK(apply_credentials("[default] ; the main one\naws_access_key_id = OLD\n", "default",
                          make_credentials("K")) == "[default] ; the main one\n" + keys_block("K"));
  CHECK(apply_credentials("[my profile]\n", "my profile", make_credentials("K")) ==
        "[my profile]\n" + keys_block("K"));
}

TEST_CASE("update ini: comments that look like keys and values with delimiters") {
  const std::string before =
      "[default]\n"
      "# aws_access_key_id = commented out\n"
      "  ; aws_session_token = also commented\n"
      "aws_secret_access_key = old ; not a comment\n"
      "note = a=b:c\n";
  const std::string out = apply_credentials(before, "default", make_credentials("L"));
  CHECK(out ==
        "[default]\n"
        "# aws_access_key_id = commented out\n"
        "  ; aws_session_token = also commented\n"
        "aws_secret_access_key = secret/L+key\n"
        "note = a=b:c\n"
        "aws_access_key_id = ASIAL\n"
        "aws_session_token = token==L\n" +
            kExpires + "\n");
  CHECK(ini_value(out, "default", "note") == "a=b:c");
}

TEST_CASE("update ini: duplicate sections and keys all get the new value") {
  const std::string before =
      "[default]\naws_access_key_id = A1\n[x]\ny = 1\n[default]\naws_access_key_id = A2\n"
      "aws_access_key_id = A3\n";
  const std::string out = apply_credentials(before, "default", make_credentials("M"));
  CHECK(out ==
        "[default]\naws_access_key_id = ASIAM\n[x]\ny = 1\n[default]\naws_access_key_id = ASIAM\n"
        "aws_access_key_id = ASIAM\n"
        "aws_secret_access_key = secret/M+key\naws_session_token = token==M\n" +
            kExpires + "\n");
}

TEST_CASE("update ini: lines botocore would refuse are kept as they are") {
  const std::string before = "stray text before any section\n[default]\njust words\n";
  const std::string out = apply_credentials(before, "default", make_credentials("N"));
  // The new keys go after them: a key written before a refused line would stay open across it,
  // and a deeper line after it would then continue the new key.
  CHECK(out == "stray text before any section\n[default]\njust words\n" + keys_block("N"));
  const std::string open_across = "[p]\n junk\n  [q]\nk = v\n";
  CHECK(apply_credentials(open_across, "p", make_credentials("N")) ==
        "[p]\n junk\n" + keys_block("N", "\n", "  ") + "  [q]\nk = v\n");
}

TEST_CASE("update ini: applying twice is stable and a second refresh changes only values") {
  const std::vector<std::string> shapes = {
      "",
      "[default]\n",
      "[a]\nb = c",
      "# c\r\n[default]\r\naws_access_key_id=x\r\n\r\n[z]\r\nq=1\r\n",
      "[default]\naws_session_token = a\n  b\n[e]\n",
      "\n\n\n",
      "[default]",
  };
  for (const std::string& shape : shapes) {
    CAPTURE(shape);
    const std::string once = apply_credentials(shape, "default", make_credentials("P"));
    CHECK(apply_credentials(once, "default", make_credentials("P")) == once);
    const std::string refreshed = apply_credentials(once, "default", make_credentials("Q"));
    // Same tag length: the second refresh is a same-length value swap.
    CHECK(refreshed.size() == once.size());
    std::string expected = once;
    for (std::size_t at = 0; (at = expected.find("P", at)) != std::string::npos; ++at)
      if (at > 0 && (expected[at - 1] == 'A' || expected[at - 1] == '/' || expected[at - 1] == '='))
        expected[at] = 'Q';
    CHECK(refreshed == expected);
    check_reads_back(refreshed, "default", "Q");
    CHECK(refreshed.ends_with('\n') == (shape.empty() || shape.ends_with('\n')));
  }
}

TEST_CASE("update ini: bad profile names are refused naming them as the caller does") {
  for (std::string bad : {"", "a]b", "[a", "a\nb", " a", "a ", "a\r"}) {
    CAPTURE(bad);
    try {
      apply_credentials("", bad, make_credentials("R"));
      FAIL("accepted a bad profile name");
    } catch (const Error& e) {
      CHECK(e.kind() == Error::Kind::kInvalidArgument);
      // The library names no command-line flag of its own.
      CHECK(std::string(e.what()).starts_with("profile '" + bad + "' cannot name a section"));
    }
    CHECK_THROWS_WITH_AS(check_profile_name(bad, "--profile"),
                         ("--profile '" + bad +
                          "' cannot name a section of the credentials "
                          "file: use a non-empty name without brackets, "
                          "line breaks or surrounding spaces")
                             .c_str(),
                         Error);
  }
  CHECK_NOTHROW(check_profile_name("default", "--profile"));
}

TEST_CASE("update ini: DEFAULT is refused, it would give its keys to every profile") {
  CHECK_THROWS_WITH_AS(check_profile_name("DEFAULT", "--profile"),
                       "--profile 'DEFAULT' cannot be written: botocore reads a [DEFAULT] "
                       "section as defaults for every profile in the file; the default profile "
                       "is 'default'",
                       Error);
  CHECK_THROWS_AS(apply_credentials("[other]\nregion = x\n", "DEFAULT", make_credentials("R")),
                  Error);
  CHECK_NOTHROW(check_profile_name("Default", "--profile"));
  CHECK_NOTHROW(check_profile_name("default", "--profile"));
}

TEST_CASE("update ini: a credential with a line break is refused without showing it") {
  Credentials bad = make_credentials("S");
  bad.session_token = SecretString("tok\nen-secret-part");
  try {
    apply_credentials("[default]\n", "default", bad);
    FAIL("accepted a multi-line token");
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kInput);
    const std::string message = e.what();
    CHECK(message.find("aws_session_token") != std::string::npos);
    CHECK(message.find("secret-part") == std::string::npos);
  }
}

TEST_CASE("update ini: parse_ini classifies lines as configparser does") {
  const std::string text =
      "[s]\r\nk = v\r\n  more\r\n\r\n# c\r\n  ; c\r\nbad line\r\n[t]\r\n  indented = key";
  const IniDocument doc = parse_ini(text);
  REQUIRE(doc.lines.size() == 9);
  const std::vector<IniLineKind> kinds = {
      IniLineKind::kSection, IniLineKind::kKeyValue, IniLineKind::kContinuation,
      IniLineKind::kBlank,   IniLineKind::kComment,  IniLineKind::kComment,
      IniLineKind::kInvalid, IniLineKind::kSection,  IniLineKind::kKeyValue};
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    CAPTURE(i);
    CHECK(doc.lines[i].kind == kinds[i]);
  }
  CHECK(doc.line_ending == "\r\n");
  CHECK_FALSE(doc.ends_with_newline);
  CHECK(doc.lines[1].key == "k");
  CHECK(doc.lines[8].key == "indented");
  CHECK(doc.lines[8].section == 1);
  CHECK(ini_section_names(text) == std::vector<std::string>{"s", "t"});
  CHECK(ini_value(text, "s", "K") == "v\nmore");
}

TEST_CASE("update ini: an indented key under a key is part of its value as botocore reads it") {
  const std::string before =
      "[default]\naws_access_key_id = OLD\n  aws_secret_access_key = hidden\n";
  CHECK(ini_value(before, "default", "aws_access_key_id") == "OLD\naws_secret_access_key = hidden");
  CHECK_FALSE(ini_value(before, "default", "aws_secret_access_key").has_value());
  const std::string out = apply_credentials(before, "default", make_credentials("T"));
  CHECK(out == "[default]\n" + keys_block("T"));
  check_reads_back(out, "default", "T");
}

namespace {

using Profiles = std::map<std::string, std::map<std::string, std::string>>;

// Every section with every key as the model reads them: what botocore's raw_config_parse
// returns without parsing nested values.
Profiles read_profiles(const std::string& text) {
  Profiles profiles;
  const IniDocument document = parse_ini(text);
  for (const IniSection& section : document.sections) profiles[section.name];
  for (const IniLine& line : document.lines)
    if (line.kind == IniLineKind::kKeyValue) {
      const std::string& section = document.sections[line.section].name;
      profiles[section][line.key] = ini_value(text, section, line.key).value_or("<missing>");
    }
  return profiles;
}

// A file whose sections botocore reads as `read` (checked with botocore 1.43 and Python 3.11's
// configparser), edited for profile "p".
struct TrickyFile {
  std::string text;
  Profiles read;
};

const std::vector<TrickyFile>& tricky_files() {
  static const std::vector<TrickyFile> files = {
      // The two files of the review: an indented header after the profile's last key, and
      // right after its header.
      {"[p]\n i = X\n [q]\nk=v\n", {{"p", {{"i", "X"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\n [y]\nk=v", {{"p", {}}, {"y", {{"k", "v"}}}}},
      {"[p]\n\ti = X\n\t[q]\nk=v", {{"p", {{"i", "X"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\n i = X\n\n # c\n [q]\nk=v\n", {{"p", {{"i", "X"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\r\n i = X\r\n [q]\r\nk=v\r\n", {{"p", {{"i", "X"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\n i = X\n  more\n [q]\nk=v", {{"p", {{"i", "X\nmore"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\n  i = X\n [q]\n  k=v\n", {{"p", {{"i", "X"}}}, {"q", {{"k", "v"}}}}},
      {"[a]\nx=1\n[p]\n   [q]\n  k = v\n [r]\nz=2\n",
       {{"a", {{"x", "1"}}}, {"p", {}}, {"q", {{"k", "v"}}}, {"r", {{"z", "2"}}}}},
      // A header indented deeper than the key above it is part of that key's value.
      {"[q]\nk=v\n  [p]\n", {{"q", {{"k", "v\n[p]"}}}}},
      // Python reads a lone CR as a line break, and counts every character it calls a space
      // (form feed, U+001C..U+001F, no-break space...) as one column of indentation.
      {"[p]\r i = X\r [q]\rk=v\r", {{"p", {{"i", "X"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\ni=X\r\n  more\r[q]\nk=v", {{"p", {{"i", "X\nmore"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\n i = X\n\f[q]\nk=v\n", {{"p", {{"i", "X"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\n\x1ci = X\n\x1c[q]\nk=v\n", {{"p", {{"i", "X"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\n\x1c\n [q]\nk=v\n", {{"p", {}}, {"q", {{"k", "v"}}}}},
      {"[p]\n\u00a0i = X\n\u00a0[q]\nk=v\n", {{"p", {{"i", "X"}}}, {"q", {{"k", "v"}}}}},
      {"[p]\n\u00a0\u00a0k=v\n  [q]\na=b\n", {{"p", {{"k", "v"}}}, {"q", {{"a", "b"}}}}},
  };
  return files;
}

// The bytes before the profile's first header and from the first other header after its last
// one: what an edit of the profile must leave as they are.
std::pair<std::string, std::string> outside_profile(const std::string& text,
                                                    const std::string& profile) {
  const IniDocument document = parse_ini(text);
  constexpr std::size_t kNone = std::string::npos;
  std::size_t first = kNone, after = kNone;
  for (const IniLine& line : document.lines) {
    if (line.kind != IniLineKind::kSection) continue;
    if (document.sections[line.section].name == profile) {
      if (first == kNone) first = line.begin;
      after = kNone;
    } else if (first != kNone && after == kNone) {
      after = line.begin;
    }
  }
  if (first == kNone) return {text, ""};
  return {text.substr(0, first), after == kNone ? "" : text.substr(after)};
}

// "[p] i=X | [q] k=v" for the failure messages.
std::string describe(const Profiles& profiles) {
  std::string out;
  for (const auto& section : profiles) {
    out += (out.empty() ? "[" : " | [") + section.first + "]";
    for (const auto& key : section.second) out += " " + key.first + "=" + key.second;
  }
  return out;
}

}  // namespace

TEST_CASE("update ini: the model reads tricky files as botocore does") {
  for (const TrickyFile& file : tricky_files()) {
    CAPTURE(file.text);
    CHECK(describe(read_profiles(file.text)) == describe(file.read));
  }
}

TEST_CASE("update ini: an update keeps every other profile as botocore reads it") {
  for (const TrickyFile& file : tricky_files()) {
    CAPTURE(file.text);
    const std::string once = apply_credentials(file.text, "p", make_credentials("U"));
    Profiles expected = file.read;
    for (const auto& [key, value] :
         std::map<std::string, std::string>{{"aws_access_key_id", "ASIAU"},
                                            {"aws_secret_access_key", "secret/U+key"},
                                            {"aws_session_token", "token==U"},
                                            {std::string(kExpirationKey), "2026-11-23T09:30:00Z"}})
      expected["p"][key] = value;
    CHECK(describe(read_profiles(once)) == describe(expected));
    // Two updates in a row equal one, and a later one changes only the values.
    CHECK(apply_credentials(once, "p", make_credentials("U")) == once);
    CHECK(apply_credentials(once, "p", make_credentials("V")) ==
          apply_credentials(file.text, "p", make_credentials("V")));
    // Not a byte outside the profile moves.
    const std::pair<std::string, std::string> outside = outside_profile(file.text, "p");
    CHECK(once.starts_with(outside.first));
    CHECK(once.ends_with(outside.second));
  }
}

TEST_CASE("update ini: new keys take the indentation that keeps the next line what it was") {
  // The review's file: written at column 0, the keys made the indented [q] a continuation line,
  // so q's key moved into p; a second update then dropped the header as part of an old value.
  const std::string before = "[p]\n i = X\n [q]\nk=v\n";
  const std::string out = apply_credentials(before, "p", make_credentials("W"));
  CHECK(out == "[p]\n i = X\n" + keys_block("W", "\n", " ") + " [q]\nk=v\n");
  CHECK(apply_credentials(out, "p", make_credentials("W")) == out);
  // Right after the header the keys take the indentation of the header that follows.
  CHECK(apply_credentials("[p]\n [y]\nk=v", "p", make_credentials("W")) ==
        "[p]\n" + keys_block("W", "\n", " ") + " [y]\nk=v");
  // After a key, that key's: the next header is not deeper, or it would be part of the value.
  CHECK(apply_credentials("[p]\n\t\ti = X\n   more\n\t[q]\n", "p", make_credentials("W")) ==
        "[p]\n\t\ti = X\n   more\n" + keys_block("W", "\n", "\t\t") + "\t[q]\n");
  // Nothing indented: nothing new is either.
  CHECK(apply_credentials("[p]\ni = X\n\n[q]\n", "p", make_credentials("W")) ==
        "[p]\ni = X\n" + keys_block("W") + "\n[q]\n");
}
