// serve --config FILE read into arguments: the example, [defaults] and a binding's own
// keys, the value types, and every mistake named by file, line and key (values never quoted).
#include "cli/serve_config_file.hpp"

#include "rolesanywhere/error.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include <string>
#include <vector>

using namespace rolesanywhere;
using namespace rolesanywhere::cli;

namespace {

const std::string kPath = "/etc/rolesanywhere/serve.toml";

FlagSpec value_flag(const std::string& name, const std::string& value_name) {
  FlagSpec flag;
  flag.name = name;
  flag.value_name = value_name;
  return flag;
}

FlagSpec switch_flag(const std::string& name) {
  FlagSpec flag;
  flag.name = name;
  return flag;
}

// serve's own flags, as the CLI passes them for the top level.
ConfigFlagSet serve_flags() {
  ConfigFlagSet set;
  set.flags = {value_flag("port", "PORT"),   value_flag("bind", "ADDRESS"),
               value_flag("hop-limit", "N"), switch_flag("allow-non-loopback"),
               switch_flag("metrics"),       switch_flag("debug")};
  return set;
}

// A part of credential-process's flags, as the CLI passes them for [defaults] and bindings.
ConfigFlagSet binding_flags() {
  ConfigFlagSet set;
  set.flags = {value_flag("certificate", "FILE"),
               value_flag("private-key", "FILE"),
               value_flag("intermediates", "FILE"),
               value_flag("pkcs8-password", "PASSWORD"),
               value_flag("trust-anchor-arn", "ARN"),
               value_flag("profile-arn", "ARN"),
               value_flag("role-arn", "ARN"),
               value_flag("session-duration", "SECONDS"),
               value_flag("instance-property", "KEY=VALUE"),
               switch_flag("no-verify-ssl"),
               switch_flag("reuse-pin"),
               switch_flag("debug")};
  set.repeatable = {"instance-property"};
  return set;
}

ServeConfigFile parse(const std::string& text) {
  return parse_serve_config(kPath, text, serve_flags(), binding_flags());
}

// The message parse throws, or "" when it does not throw.
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& error) {
    CHECK(error.kind() == Error::Kind::kInvalidArgument);
    return error.what();
  }
  return "";
}

// A binding that is complete, to add keys to.
const std::string kWeb =
    "[[binding]]\n"
    "name = \"web\"\n"
    "container-token-file = \"/run/secrets/web-token\"\n";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("serve config: the issue's example gives each binding [defaults] and its own flags") {
  const std::string text =
      "port = 9911\n"                                                                         // 1
      "[defaults]                       # applies to every binding\n"                         // 2
      "trust-anchor-arn = \"arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/a\"\n"  // 3
      "profile-arn = \"arn:aws:rolesanywhere:eu-west-1:111122223333:profile/p\"\n"            // 4
      "\n"                                                                                    // 5
      "[[binding]]\n"                                                                         // 6
      "name = \"web\"\n"                                                                      // 7
      "certificate = \"/etc/pki/web.pem\"\n"                                                  // 8
      "private-key = \"/etc/pki/web.key\"\n"                                                  // 9
      "role-arn = \"arn:aws:iam::111122223333:role/web\"\n"                                   // 10
      "container-token-file = \"/run/secrets/web-token\"\n"                                   // 11
      "# container-path defaults to \"/v1/credentials/<name>\"\n"                             // 12
      "\n"                                                                                    // 13
      "[[binding]]\n"                                                                         // 14
      "name = \"batch\"\n"                                                                    // 15
      "certificate = \"/etc/pki/batch.pem\"\n"                                                // 16
      "private-key = \"/etc/pki/batch.key\"\n"                                                // 17
      "role-arn = \"arn:aws:iam::111122223333:role/batch\"\n"                                 // 18
      "container-token-file = \"/run/secrets/batch-token\"\n"                                 // 19
      "imds = true                      # at most one binding\n";                             // 20
  const ServeConfigFile file = parse(text);
  CHECK(file.path == kPath);
  CHECK(file.serve_arguments == std::vector<std::string>{"--port=9911"});
  CHECK(file.serve_key_lines == std::map<std::string, int>{{"port", 1}});
  REQUIRE(file.bindings.size() == 2);

  const ConfigBinding& web = file.bindings[0];
  CHECK(web.name == "web");
  CHECK(web.line == 6);
  CHECK(web.arguments ==
        std::vector<std::string>{
            "--trust-anchor-arn=arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/a",
            "--profile-arn=arn:aws:rolesanywhere:eu-west-1:111122223333:profile/p",
            "--certificate=/etc/pki/web.pem", "--private-key=/etc/pki/web.key",
            "--role-arn=arn:aws:iam::111122223333:role/web"});
  CHECK(web.key_lines == std::map<std::string, int>{{"trust-anchor-arn", 3},
                                                    {"profile-arn", 4},
                                                    {"certificate", 8},
                                                    {"private-key", 9},
                                                    {"role-arn", 10}});
  CHECK(web.container_path == "/v1/credentials/web");
  CHECK(web.container_token_file == "/run/secrets/web-token");
  CHECK_FALSE(web.imds);

  const ConfigBinding& batch = file.bindings[1];
  CHECK(batch.name == "batch");
  CHECK(batch.line == 14);
  CHECK(batch.arguments ==
        std::vector<std::string>{
            "--trust-anchor-arn=arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/a",
            "--profile-arn=arn:aws:rolesanywhere:eu-west-1:111122223333:profile/p",
            "--certificate=/etc/pki/batch.pem", "--private-key=/etc/pki/batch.key",
            "--role-arn=arn:aws:iam::111122223333:role/batch"});
  CHECK(batch.container_path == "/v1/credentials/batch");
  CHECK(batch.container_token_file == "/run/secrets/batch-token");
  CHECK(batch.imds);
}

TEST_CASE("serve config: a binding's key replaces the same key of [defaults], arrays whole") {
  const std::string text =
      "[defaults]\n"                                             // 1
      "role-arn = \"arn:aws:iam::111122223333:role/default\"\n"  // 2
      "session-duration = 900\n"                                 // 3
      "instance-property = [\"team=a\", \"env=prod\"]\n"         // 4
      "no-verify-ssl = true\n"                                   // 5
      "debug = true\n"                                           // 6
      + kWeb +                                                   // 7-9
      "role-arn = \"arn:aws:iam::111122223333:role/web\"\n"      // 10
      "instance-property = [\"team=b\"]\n"                       // 11
      "no-verify-ssl = false\n"                                  // 12
      "container-path = \"/creds/web\"\n"                        // 13
      "[[binding]]\n"                                            // 14
      "name = \"other\"\n"                                       // 15
      "container-token-file = \"/run/secrets/other-token\"\n"    // 16
      "instance-property = []\n"                                 // 17
      "reuse-pin = false\n";                                     // 18
  const ServeConfigFile file = parse(text);
  REQUIRE(file.bindings.size() == 2);
  const ConfigBinding& web = file.bindings[0];
  CHECK(web.arguments == std::vector<std::string>{"--session-duration=900", "--debug",
                                                  "--role-arn=arn:aws:iam::111122223333:role/web",
                                                  "--instance-property=team=b"});
  CHECK(web.key_lines.at("role-arn") == 10);
  CHECK(web.key_lines.at("session-duration") == 3);
  CHECK(web.key_lines.at("no-verify-ssl") == 12);
  CHECK(web.container_path == "/creds/web");

  const ConfigBinding& other = file.bindings[1];
  CHECK(other.arguments ==
        std::vector<std::string>{"--role-arn=arn:aws:iam::111122223333:role/default",
                                 "--session-duration=900", "--no-verify-ssl", "--debug"});
  CHECK(other.key_lines.at("instance-property") == 17);
  CHECK(other.key_lines.at("role-arn") == 2);
}

TEST_CASE("serve config: the top level's switches, integers and strings") {
  const ServeConfigFile file = parse(
      "bind = \"::1\"\nhop-limit = 1\nmetrics = true\nallow-non-loopback = false\ndebug = true\n" +
      kWeb);
  CHECK(file.serve_arguments ==
        std::vector<std::string>{"--bind=::1", "--hop-limit=1", "--metrics", "--debug"});
  CHECK(file.serve_key_lines.at("metrics") == 3);
  CHECK(file.serve_key_lines.at("allow-non-loopback") == 4);
  REQUIRE(file.bindings.size() == 1);
  CHECK(file.bindings[0].arguments.empty());
}

TEST_CASE("serve config: env: and fd: identity sources are refused, paths and pkcs11: are not") {
  std::string message = error_of(kWeb + "certificate = \"env:WEB_CERT\"\n");
  CHECK(contains(message, kPath + ":4: key 'certificate' in binding 'web'"));
  CHECK(contains(message, "SIGHUP"));
  CHECK_FALSE(contains(message, "WEB_CERT"));
  message = error_of("[defaults]\nprivate-key = \"fd:3\"\n" + kWeb);
  CHECK(contains(message, kPath + ":2: key 'private-key' in [defaults]"));
  message = error_of(kWeb + "intermediates = \"env:CHAIN\"\n");
  CHECK(contains(message, kPath + ":4: key 'intermediates' in binding 'web'"));

  const ServeConfigFile file = parse(kWeb +
                                     "certificate = \"pkcs11:token=t;object=c?pin-value=1234\"\n"
                                     "private-key = \"/etc/pki/env:odd.key\"\n");
  CHECK(file.bindings[0].arguments ==
        std::vector<std::string>{"--certificate=pkcs11:token=t;object=c?pin-value=1234",
                                 "--private-key=/etc/pki/env:odd.key"});
}

TEST_CASE("serve config: a TOML syntax error gives the file, line and column") {
  const std::string message = error_of(kWeb + "role-arn = \"unterminated\n");
  CHECK(message.starts_with(kPath + ":4:"));
  CHECK(message.size() > (kPath + ":4:1: ").size());
  // A key given twice is TOML's own error.
  CHECK(error_of(kWeb + "role-arn = \"a\"\nrole-arn = \"b\"\n").starts_with(kPath + ":5:"));
}

TEST_CASE("serve config: a stray non-ASCII character is a syntax error, not undefined behaviour") {
  // toml++ 3.3.0 reached __builtin_unreachable() classifying these (its issue #295); the sanitizer
  // builds (scripts/sanitize.sh address) report that as UBSan's "unreachable program point".
  for (const std::string& text : {kWeb + "role-arn = \"a\"\xd1\x8c\n",
                                  kWeb + "role-arn = 1\xc3\xa9\n", kWeb + "\xc2\xa1 = 1\n"}) {
    CAPTURE(text);
    const std::string message = error_of(text);
    CHECK(message.starts_with(kPath + ":"));
  }
  // Non-ASCII inside a string is fine, after a line-ending backslash too (the issue's own case).
  CHECK(error_of(kWeb + "certificate = \"/etc/pki/caf\xc3\xa9.pem\"\n").empty());
  const ServeConfigFile file = parse(kWeb + "role-arn = \"\"\"\\\n\xc2\xa7\"\"\"\n");
  CHECK(file.bindings.at(0).arguments == std::vector<std::string>{"--role-arn=\xc2\xa7"});
}

TEST_CASE("serve config: unknown keys and tables, and binding-only keys in [defaults]") {
  CHECK(contains(error_of("colour = \"blue\"\n" + kWeb), kPath + ":1: unknown key 'colour'"));
  CHECK(contains(error_of("role-arn = \"x\"\n" + kWeb),
                 kPath + ":1: unknown key 'role-arn' at the top level: it belongs in [defaults]"));
  CHECK(contains(error_of(kWeb + "[extras]\nport = 1\n"), kPath + ":4: unknown key 'extras'"));
  CHECK(contains(error_of(kWeb + "colour = \"blue\"\n"),
                 kPath + ":4: unknown key 'colour' in binding 'web'"));
  // A serve flag is not a binding's.
  CHECK(contains(error_of(kWeb + "port = 1\n"), kPath + ":4: unknown key 'port' in binding 'web'"));
  CHECK(contains(error_of("[defaults]\ncolour = 1\n" + kWeb),
                 kPath + ":2: unknown key 'colour' in [defaults]"));
  for (const std::string key : {"name", "container-token-file", "container-path"}) {
    CAPTURE(key);
    const std::string message = error_of("[defaults]\n" + key + " = \"/x\"\n" + kWeb);
    CHECK(contains(message, kPath + ":2: key '" + key + "' in [defaults]"));
    CHECK(contains(message, "binding-only key"));
  }
  CHECK(contains(error_of("[defaults]\nimds = true\n" + kWeb),
                 kPath + ":2: key 'imds' in [defaults]: a binding-only key"));
}

TEST_CASE("serve config: binding and defaults must be tables of the right kind") {
  CHECK(contains(error_of("[binding]\nname = \"web\"\n"),
                 kPath + ":1: 'binding' must be an array of tables ([[binding]])"));
  CHECK(contains(error_of("binding = \"web\"\n"), kPath + ":1: 'binding' must be an array"));
  CHECK(contains(error_of("binding = [1, 2]\n"), kPath + ":1: 'binding' must be an array"));
  CHECK(contains(error_of("defaults = 3\n" + kWeb), kPath + ":1: 'defaults' must be a table"));
  CHECK(contains(error_of("port = 9911\n"), kPath + ":1: no [[binding]]"));
  CHECK(contains(error_of(""), kPath + ":1: no [[binding]]"));
  CHECK(contains(error_of("port = 1\nbinding = []\n"), kPath + ":2: no [[binding]]"));
}

TEST_CASE("serve config: a value of the wrong type names the type expected") {
  std::string message = error_of(kWeb + "role-arn = true\n");
  CHECK(contains(message, kPath + ":4: key 'role-arn' in binding 'web': expects a string or an "
                                  "integer (ARN)"));
  CHECK(contains(message, "not a boolean"));
  message = error_of(kWeb + "session-duration = 900.5\n");
  CHECK(contains(message, kPath + ":4: key 'session-duration' in binding 'web'"));
  CHECK(contains(message, "not a floating-point number"));
  CHECK(contains(error_of(kWeb + "role-arn = 2026-12-05\n"), "not a date"));
  CHECK(contains(error_of(kWeb + "role-arn = [\"a\"]\n"),
                 kPath + ":4: key 'role-arn' in binding 'web': expects a string or an integer"));
  CHECK(contains(error_of(kWeb + "role-arn = { a = 1 }\n"), "not a table"));
  message = error_of(kWeb + "no-verify-ssl = \"yes\"\n");
  CHECK(
      contains(message, kPath + ":4: key 'no-verify-ssl' in binding 'web': expects true or false"));
  CHECK(contains(message, "not a string"));
  CHECK(contains(error_of("metrics = 1\n" + kWeb),
                 kPath + ":1: key 'metrics' at the top level: expects true or false"));
  message = error_of(kWeb + "instance-property = [\n  \"a=b\",\n  3,\n]\n");
  CHECK(contains(message, kPath + ":6: key 'instance-property' in binding 'web': expects an array "
                                  "of strings"));
  CHECK(contains(error_of(kWeb + "role-arn = \"a\\u0000b\"\n"),
                 kPath + ":4: key 'role-arn' in binding 'web': holds a NUL character"));
  CHECK(contains(error_of(kWeb + "imds = \"yes\"\n"),
                 kPath + ":4: key 'imds' in binding 'web': expects true or false"));
  CHECK(contains(error_of(kWeb + "container-path = 3\n"),
                 kPath + ":4: key 'container-path' in binding 'web': expects a string"));
}

TEST_CASE("serve config: a binding's name is required, well-formed and unique") {
  std::string message =
      error_of("[[binding]]\ncontainer-token-file = \"/run/t\"\nrole-arn = \"x\"\n");
  CHECK(contains(message, kPath + ":1: [[binding]] number 1 has no key 'name'"));
  message = error_of(kWeb + "\n[[binding]]\nname = \"web/2\"\ncontainer-token-file = \"/run/u\"\n");
  CHECK(contains(message, kPath + ":6: key 'name' in [[binding]] number 2: must be made of"));
  CHECK_FALSE(contains(message, "web/2"));
  CHECK(contains(error_of("[[binding]]\nname = \"\"\ncontainer-token-file = \"/run/t\"\n"),
                 kPath + ":2: key 'name' in [[binding]] number 1"));
  CHECK(contains(error_of("[[binding]]\nname = 7\ncontainer-token-file = \"/run/t\"\n"),
                 kPath + ":2: key 'name' in [[binding]] number 1: expects a string"));
  message = error_of(kWeb + "[[binding]]\ncontainer-token-file = \"/run/u\"\nname = \"web\"\n");
  CHECK(contains(message, kPath + ":6: key 'name': binding 'web' is defined twice, at line 2"));
}

TEST_CASE("serve config: container-token-file is required and each binding's own") {
  CHECK(contains(error_of("[[binding]]\nname = \"web\"\n"),
                 kPath + ":1: binding 'web' has no key 'container-token-file'"));
  CHECK(contains(error_of("[[binding]]\nname = \"web\"\ncontainer-token-file = \"\"\n"),
                 kPath + ":3: key 'container-token-file' in binding 'web': is empty"));
  const std::string message = error_of(
      kWeb + "[[binding]]\nname = \"api\"\ncontainer-token-file = \"/run/secrets//web-token\"\n");
  CHECK(contains(message, kPath + ":6: key 'container-token-file' in binding 'api'"));
  CHECK(contains(message, "binding 'web' gives at line 3"));
  CHECK_FALSE(contains(message, "/run/secrets"));
  // A relative path and the absolute one it stands for (serve reads it from the working
  // directory) are one file too.
  const std::string absolute = (std::filesystem::current_path() / "web-token").string();
  CHECK(contains(error_of("[[binding]]\nname = \"web\"\ncontainer-token-file = \"web-token\"\n"
                          "[[binding]]\nname = \"api\"\ncontainer-token-file = \"" +
                          absolute + "\"\n"),
                 kPath + ":6: key 'container-token-file' in binding 'api'"));
}

TEST_CASE("serve config: container-path starts with '/', stays off /latest/, and is unique") {
  CHECK(contains(error_of(kWeb + "container-path = \"v1/web\"\n"),
                 kPath + ":4: key 'container-path' in binding 'web': must start with '/'"));
  CHECK(contains(error_of(kWeb + "container-path = \"/latest/meta-data/x\"\n"),
                 kPath + ":4: key 'container-path' in binding 'web': must not lie under /latest/"));
  CHECK(contains(error_of(kWeb + "container-path = \"/latest\"\n"), "must not lie under /latest/"));
  for (const char* status_page : {"/healthz", "/metrics/"})
    CHECK(contains(error_of(kWeb + "container-path = \"" + status_page + "\"\n"),
                   kPath + ":4: key 'container-path' in binding 'web': /healthz and /metrics are "
                           "serve's status pages"));
  // One trailing slash makes no difference to serve, so none here either.
  CHECK(contains(error_of(kWeb + "container-path = \"/creds/\"\n" +
                          "[[binding]]\nname = \"api\"\ncontainer-token-file = \"/run/u\"\n"
                          "container-path = \"/creds\"\n"),
                 kPath + ":8: key 'container-path' in binding 'api': the same path as"));
  // Given twice.
  std::string message = error_of(kWeb + "container-path = \"/creds\"\n" +
                                 "[[binding]]\nname = \"api\"\ncontainer-token-file = \"/run/u\"\n"
                                 "container-path = \"/creds\"\n");
  CHECK(contains(message, kPath + ":8: key 'container-path' in binding 'api': the same path as "
                                  "binding 'web' gives at line 4"));
  // The default of one is the path given to another: the defaulted one points at its header.
  message = error_of(kWeb + "container-path = \"/v1/credentials/api\"\n" +
                     "[[binding]]\nname = \"api\"\ncontainer-token-file = \"/run/u\"\n");
  CHECK(contains(message, kPath + ":5: key 'container-path' in binding 'api'"));
  CHECK(contains(message, "the same path as binding 'web' gives at line 4"));
  // And the other way round: a path given that another binding has by default.
  message = error_of(kWeb + "[[binding]]\nname = \"api\"\ncontainer-token-file = \"/run/u\"\n" +
                     "container-path = \"/v1/credentials/web\"\n");
  CHECK(contains(message, kPath + ":7: key 'container-path' in binding 'api'"));
  CHECK(contains(message, "binding 'web' has by default (its [[binding]] at line 1)"));
}

TEST_CASE("serve config: at most one binding answers on the IMDS paths") {
  const std::string message =
      error_of(kWeb +
               "imds = true\n"                                                       // 4
               "[[binding]]\nname = \"api\"\ncontainer-token-file = \"/run/u\"\n"    // 5-7
               "imds = false\n"                                                      // 8
               "[[binding]]\nname = \"batch\"\ncontainer-token-file = \"/run/v\"\n"  // 9-11
               "imds = true\n");                                                     // 12
  CHECK(contains(message, kPath + ":12: key 'imds' in binding 'batch': binding 'web' already "
                                  "answers on the IMDS paths (imds = true at line 4)"));
}

TEST_CASE("serve config: no value reaches a message, secrets least of all") {
  const std::string secret = "s3cr3t-p4ssw0rd";
  for (const std::string& text : {kWeb + "pkcs8-password = [\"" + secret + "\"]\n",
                                  kWeb + "certificate = \"env:" + secret + "\"\n",
                                  kWeb + "no-verify-ssl = \"" + secret + "\"\n",
                                  "[defaults]\nname = \"" + secret + "\"\n" + kWeb,
                                  kWeb + "pkcs8-password = \"" + secret + "\\u0000\"\n"}) {
    const std::string message = error_of(text);
    CAPTURE(message);
    CHECK_FALSE(message.empty());
    CHECK_FALSE(contains(message, secret));
  }
}

TEST_CASE("serve config: position_of_message finds the key a flag error is about") {
  const ServeConfigFile file = parse("[defaults]\nrole-arn = \"a\"\n" + kWeb +
                                     "session-duration = 99\nprofile-arn = \"p\"\n");
  REQUIRE(file.bindings.size() == 1);
  const ConfigBinding& web = file.bindings[0];
  ConfigPosition position =
      position_of_message(web, "--session-duration 99: must be between 900 and 43200");
  CHECK(position.key == "session-duration");
  CHECK(position.line == 6);
  // The flag named first wins; a longer flag that starts the same is not it.
  position = position_of_message(web, "--role-arn a: not an ARN; see --session-duration");
  CHECK(position.key == "role-arn");
  CHECK(position.line == 2);
  position = position_of_message(web, "--role-arn-free: nothing of ours");
  CHECK(position.key.empty());
  CHECK(position.line == 3);
  position = position_of_message(web, "no flag named here");
  CHECK(position.key.empty());
  CHECK(position.line == 3);
}

TEST_CASE("serve config: position_of_message over the top level's keys") {
  const ServeConfigFile file = parse("metrics = true\nport = 70000\n" + kWeb);
  ConfigPosition position =
      position_of_message(file.serve_key_lines, "--port 70000: must be 0 (any free port) to 65535");
  CHECK(position.key == "port");
  CHECK(position.line == 2);
  position = position_of_message(file.serve_key_lines, "--bind: not given here");
  CHECK(position.key.empty());
  CHECK(position.line == 0);
}
