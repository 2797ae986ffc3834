// PKCS#11 URIs: parsing through p11-kit, object matching, PINs from pin-value and pin-source,
// and the pin-value never reaching a message.
#include "pkcs11/p11_api.hpp"
#include "pkcs11/pkcs11_detail.hpp"
#include "test_identity_fixtures.hpp"
#include "test_temp_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace rolesanywhere;
using namespace rolesanywhere::pkcs11_detail;

namespace {

Error uri_error(const std::string& text) {
  try {
    Uri uri(text, "--certificate");
  } catch (const Error& error) {
    return error;
  }
  FAIL("no error for " << text);
  return Error(Error::Kind::kInternal, "unreachable");
}

const unsigned char kId01[] = {0x01};
const unsigned char kIdAB[] = {0xab, 0xcd};

}  // namespace

TEST_CASE("pkcs11 uri: the scheme is recognised in any case and nothing else is a URI") {
  CHECK(is_pkcs11_uri("pkcs11:token=x"));
  CHECK(is_pkcs11_uri("PKCS11:token=x"));
  CHECK(is_pkcs11_uri("pkcs11:"));
  CHECK_FALSE(is_pkcs11_uri("/etc/pkcs11:token"));
  CHECK_FALSE(is_pkcs11_uri("pkcs11"));
  CHECK_FALSE(is_pkcs11_uri("handle:0x81000001"));
  CHECK_FALSE(is_pkcs11_uri(""));
}

TEST_CASE("pkcs11 uri: pin-value is hidden wherever it appears") {
  CHECK(hide_pkcs11_uri_secrets("pkcs11:token=a?pin-value=1234") ==
        "pkcs11:token=a?pin-value=<hidden>");
  CHECK(hide_pkcs11_uri_secrets("pkcs11:token=a?pin-value=12&module-path=/m.so") ==
        "pkcs11:token=a?pin-value=<hidden>&module-path=/m.so");
  CHECK(hide_pkcs11_uri_secrets("pkcs11:token=a;pin-value=99;object=b") ==
        "pkcs11:token=a;pin-value=<hidden>;object=b");
  CHECK(hide_pkcs11_uri_secrets("pkcs11:token=a") == "pkcs11:token=a");
  // A misspelt or upper-case name must not reveal the PIN either.
  CHECK(hide_pkcs11_uri_secrets("pkcs11:token=a?pin-vale=1234") ==
        "pkcs11:token=a?pin-vale=<hidden>");
  CHECK(hide_pkcs11_uri_secrets("pkcs11:token=a?PIN-VALUE=1234&pin-source=file:/p") ==
        "pkcs11:token=a?PIN-VALUE=<hidden>&pin-source=file:/p");
  // In the path too, where p11-kit refuses the URI and the message repeats it.
  CHECK(hide_pkcs11_uri_secrets("pkcs11:token=a;pin-vale=1234") ==
        "pkcs11:token=a;pin-vale=<hidden>");
  // What names things stays, to tell URIs apart.
  const std::string naming =
      "pkcs11:model=m;manufacturer=f;serial=1;token=t;slot-id=2;slot-description=d;"
      "slot-manufacturer=s;library-description=l;library-manufacturer=lm;library-version=1.2;"
      "id=%01;object=o;type=cert?pin-source=file:/p&module-name=n&module-path=/m.so";
  CHECK(hide_pkcs11_uri_secrets(naming) == naming);
}

TEST_CASE("pkcs11 uri: the parts to hide are found where the text has them") {
  const std::string uri = "pkcs11:object=x;pin-va lue=S3 CR\nET;token=t?pin-value=%41&x";
  const std::vector<Pkcs11UriSpan> spans = pkcs11_uri_secret_spans(uri);
  REQUIRE(spans.size() == 3);
  CHECK(uri.substr(spans[0].offset, spans[0].length) == "S3 CR\nET");
  CHECK(uri.substr(spans[1].offset, spans[1].length) == "%41");
  CHECK(uri.substr(spans[2].offset, spans[2].length) == "x");  // no '=': refused, maybe a PIN
  CHECK(pkcs11_uri_secret_spans("pkcs11:token=t;object=o").empty());
  CHECK(pkcs11_uri_secret_spans("pkcs11:pin-value=").empty());  // nothing to hide
  CHECK(pkcs11_uri_secret_spans("no scheme here pin-value=1").empty());
}

TEST_CASE("pkcs11 uri: whitespace p11-kit removes does not hide the scheme") {
  CHECK(is_pkcs11_uri(" pkcs11:token=x"));
  CHECK(is_pkcs11_uri("pk cs11:token=x"));
  CHECK(is_pkcs11_uri("pkcs11\n:token=x"));
  CHECK(is_pkcs11_uri("Pkcs11:"));
  CHECK_FALSE(is_pkcs11_uri("\tpkcs11:token=x"));  // p11-kit keeps tabs: a file name
  CHECK_FALSE(is_pkcs11_uri("pkcs1 1"));
  CHECK_FALSE(is_pkcs11_uri("   "));
}

namespace {

std::string percent_decoded(const std::string& value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%' && i + 2 < value.size()) {
      out += static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += value[i];
    }
  }
  return out;
}

// The last value p11-kit keeps for one of `names`, as uri_attributes() splits the URI.
std::optional<std::string> mirrored(const std::string& uri,
                                    std::initializer_list<std::string_view> names,
                                    bool query_only = false) {
  std::optional<std::string> found;
  for (const UriAttribute& attribute : uri_attributes(uri))
    if (attribute.has_value && (attribute.in_query || !query_only) &&
        std::find(names.begin(), names.end(), attribute.name) != names.end())
      found = percent_decoded(attribute.value);
  return found;
}

std::optional<std::string> text_or_none(const char* text) {
  return text ? std::optional<std::string>(text) : std::nullopt;
}

}  // namespace

TEST_CASE("pkcs11 uri: the attributes are split as p11-kit splits them") {
  // Compared with the p11-kit this machine has: every URI it reads, it reads into the same PIN,
  // pin-source and module path as uri_attributes() finds.
  const std::vector<std::string> uris = {
      "pkcs11:object=x;pin-value=S3CRET",
      "pkcs11:object=x;pin-va lue=S3CRET",
      "pkcs11:object=x;pin-va\nlue=S3 C\rR\vET",
      "pkcs11:object=x;pin-va\tlue=S3CRET",
      "pkcs11:object=x;pin-va\flue=S3CRET",
      "pkcs11:object=x;pin%2Dvalue=S3CRET",
      "pkcs11:object=x;PIN-VALUE=S3CRET",
      "pkcs11:object=x;;pin-value=S3CRET",
      "pkcs11:object=x;;pin-value=S3;CRET&module-path=/m;x.so",
      "pkcs11:;pin-value=S3CRET",
      "pkcs11:?pin-value=S3CRET",
      "pkcs11:object=x?pin-value=S3;CRET",
      "pkcs11:object=x?pin-value=S3?CRET",
      "pkcs11:object=x?pin-value=S3?CRET&module-path=/a?b",
      "pkcs11:object=x&pin-value=S3CRET",
      "pkcs11:pin-value=A;pin-value=B?pin-value=C",
      "pkcs11:pin-value=A?pin-source=file:/p",
      "pkcs11:pinfile=/p;object=o",
      "pkcs11:object=x?module-path=/m.so;pin-value=S3CRET",
      "pkcs11:object=x;pin-value=%53%33CRET",
      "PKCS11:object=x;pin-value=S3CRET",
      " pk cs11 :object=x;pin-value=S3CRET",
      "pkcs11:object=x?pin-value=1&&pin-value=2",
      "pkcs11:object=x;pin-value=S3?CRET",
      "pkcs11:object=x;pin-value=S3CRET;=x",
  };
  for (const std::string& text : uris) {
    CAPTURE(text);
    std::unique_ptr<p11_kit_uri, void (*)(p11_kit_uri*)> uri(p11_kit().uri_new(),
                                                             p11_kit().uri_free);
    if (p11_kit().uri_parse(text.c_str(), P11_KIT_URI_FOR_ANY, uri.get()) != P11_KIT_URI_OK) {
      // Refused: the message shows the URI with every possible piece of the PIN hidden.
      CHECK(hide_pkcs11_uri_secrets(text).find("CRET") == std::string::npos);
      continue;
    }
    const std::optional<std::string> pin = text_or_none(p11_kit().uri_get_pin_value(uri.get()));
    CHECK(mirrored(text, {"pin-value"}) == pin);
    CHECK(mirrored(text, {"pin-source", "pinfile"}) ==
          text_or_none(p11_kit().uri_get_pin_source(uri.get())));
    CHECK(mirrored(text, {"module-path"}, true) ==
          text_or_none(p11_kit().uri_get_module_path(uri.get())));
    if (pin) CHECK(hide_pkcs11_uri_secrets(text).find(pin->substr(0, 2)) == std::string::npos);
  }
}

// What a message shows for `text` given to --certificate: the URI as Uri::shown() has it, or the
// error the URI is refused with.
std::string shown_or_refused(const std::string& text) {
  try {
    return Uri(text, "--certificate").shown();
  } catch (const Error& error) {
    return error.what();
  }
}

TEST_CASE("pkcs11 uri: the PIN is hidden wherever p11-kit would read one, however it is spelt") {
  // p11-kit removes spaces, line feeds, carriage returns and vertical tabs from the whole URI
  // before reading it (RFC 7512 allows them), so each of these sets the PIN; its value must
  // not be shown, nor any piece of it.
  struct Case {
    std::string uri;
    std::string shown;
  };
  const std::vector<Case> accepted = {
      {"pkcs11:object=x;pin-va lue=S3CRET", "pkcs11:object=x;pin-va lue=<hidden>"},
      {"pkcs11:object=x;pin-va\nlue=S3CRET", "pkcs11:object=x;pin-va\nlue=<hidden>"},
      {"pkcs11:object=x;pin-va\rlue=S3CRET", "pkcs11:object=x;pin-va\rlue=<hidden>"},
      {"pkcs11:object=x;pin-va\vlue=S3CRET", "pkcs11:object=x;pin-va\vlue=<hidden>"},
      {"pkcs11:object=x;pin-value =S3CRET", "pkcs11:object=x;pin-value =<hidden>"},
      {"pkcs11:object=x;pin-value= S3 CR\nET", "pkcs11:object=x;pin-value= <hidden>"},
      {"pkcs11:object=x?pin-va lue=S3CRET", "pkcs11:object=x?pin-va lue=<hidden>"},
      {"pkcs11:object=x?pin-value=S3;CRET", "pkcs11:object=x?pin-value=<hidden>"},
      {"pkcs11:object=x?pin-value=S3?CRET", "pkcs11:object=x?pin-value=<hidden>"},
      // An empty path attribute ends the path: what follows is read as the query.
      {"pkcs11:object=x;;pin-value=S3CRET", "pkcs11:object=x;;pin-value=<hidden>"},
      {"pkcs11:object=x;pin-value=%53%33CRET", "pkcs11:object=x;pin-value=<hidden>"},
      {"PKCS11:object=x;pin-value=S3CRET", "PKCS11:object=x;pin-value=<hidden>"},
      // The PIN given for another attribute with the wrong separator: p11-kit reads a label or a
      // module path holding it, and that is shown nowhere either.
      {"pkcs11:object=x&pin-value=S3CRET", "pkcs11:object=<hidden>"},
      {"pkcs11:object=x?module-path=/m.so;pin-value=S3CRET",
       "pkcs11:object=x?module-path=<hidden>"},
  };
  for (const Case& c : accepted) {
    CAPTURE(c.uri);
    const std::string shown = shown_or_refused(c.uri);
    CHECK(shown == "--certificate " + c.shown);
  }
  // Names p11-kit does not take for pin-value (a tab or form feed is not removed, names are not
  // percent-decoded, case counts): the URI is refused, and the value, meant as a PIN, is hidden.
  const std::vector<std::string> refused = {
      "pkcs11:object=x;pin-va\tlue=S3CRET", "pkcs11:object=x;pin-va\flue=S3CRET",
      "pkcs11:object=x;pin%2Dvalue=S3CRET", "pkcs11:object=x?pin%2Dvalue=S3CRET",
      "pkcs11:object=x;PIN-VALUE=S3CRET",   "pkcs11:object=x;pin-value=S3?CRET",
      "pkcs11:object=x;pin-valu=S3CRET",    "pkcs11:object=x;pin-value=S3CRET;=x",
  };
  for (const std::string& uri : refused) {
    CAPTURE(uri);
    const std::string message = shown_or_refused(uri);
    CHECK(message.find("--certificate pkcs11:object=") == 0);
    CHECK(message.find("S3") == std::string::npos);
    CHECK(message.find("CRET") == std::string::npos);
  }
  CHECK(shown_or_refused("pkcs11:object=x;pin-va\tlue=S3CRET") ==
        "--certificate pkcs11:object=x;pin-va\tlue=<hidden>: 'pin-va\tlue' is not an attribute "
        "this tool knows; the supported ones are token, manufacturer, model, serial, slot-id, "
        "slot-description, slot-manufacturer, object, id, type, module-name, module-path, "
        "pin-value, pin-source");
}

TEST_CASE("pkcs11 uri: no token matches a URI whose pin-value is spelt with a space") {
  if (!identity_test::softhsm_token_ready()) return;
  try {
    list_pkcs11_certificates("pkcs11:token=no-such-token;object=x;pin-va lue=S3CRET",
                             identity_test::kSoftHsmModule, {}, identity_test::cli_labels());
    FAIL("a token matched");
  } catch (const Error& error) {
    CHECK(std::string(error.what())
              .starts_with("no PKCS#11 token matches --certificate "
                           "pkcs11:token=no-such-token;object=x;pin-va lue=<hidden> in module "));
    CHECK(std::string(error.what()).find("S3CRET") == std::string::npos);
  }
}

TEST_CASE("pkcs11 uri: parse errors name the flag and hide the PIN") {
  const Error unknown = uri_error("pkcs11:token=a;colour=blue?pin-value=s3cret-pin");
  CHECK(unknown.kind() == Error::Kind::kInvalidArgument);
  // The value of a name p11-kit does not know may be a misspelt pin-value: hidden too.
  CHECK(std::string(unknown.what()).find("--certificate pkcs11:token=a;colour=<hidden>") == 0);
  CHECK(std::string(unknown.what()).find("'colour' is not an attribute this tool knows") !=
        std::string::npos);
  CHECK(std::string(unknown.what()).find("s3cret-pin") == std::string::npos);

  const Error bad_encoding = uri_error("pkcs11:token=%zz");
  CHECK(std::string(bad_encoding.what()).find("not a valid PKCS#11 URI") != std::string::npos);

  const Error both = uri_error("pkcs11:token=a?pin-value=1&pin-source=file:/p");
  CHECK(std::string(both.what()).find("not both") != std::string::npos);
}

TEST_CASE("pkcs11 uri: object attributes select by label id and type") {
  const Uri uri("pkcs11:token=t;object=my%20key;id=%ab%cd;type=private", "--private-key");
  CHECK(uri.names_object());
  CHECK(uri.type() == ObjectType::kPrivateKey);
  CHECK(uri.matches_object("my key", kIdAB, 2, ObjectType::kPrivateKey));
  CHECK_FALSE(uri.matches_object("my key", kIdAB, 2, ObjectType::kCertificate));
  CHECK_FALSE(uri.matches_object("my key", kId01, 1, ObjectType::kPrivateKey));
  CHECK_FALSE(uri.matches_object("other", kIdAB, 2, ObjectType::kPrivateKey));
  CHECK_FALSE(uri.matches_object(nullptr, kIdAB, 2, ObjectType::kPrivateKey));

  const Uri token_only("pkcs11:token=t", "--certificate");
  CHECK_FALSE(token_only.names_object());
  CHECK(token_only.type() == ObjectType::kAny);
  CHECK(token_only.matches_object("anything", kId01, 1, ObjectType::kCertificate));
  CHECK(token_only.matches_object(nullptr, nullptr, 0, ObjectType::kPrivateKey));

  CHECK(Uri("pkcs11:type=cert", "--certificate").type() == ObjectType::kCertificate);
}

TEST_CASE("pkcs11 uri: module-path and module-name are read from the query") {
  const Uri uri("pkcs11:token=t?module-path=/usr/lib/x.so", "--certificate");
  CHECK(uri.module_path() == "/usr/lib/x.so");
  CHECK(uri.module_name().empty());
  CHECK(resolve_module_path("", &uri) == "/usr/lib/x.so");
  CHECK(resolve_module_path("/flag.so", &uri) == "/flag.so");  // --pkcs11-lib wins
  const Uri plain("pkcs11:token=t", "--certificate");
  CHECK(resolve_module_path("", &plain) == "p11-kit-proxy.so");
  CHECK(Uri("pkcs11:token=t?module-name=softhsm2", "--certificate").module_name() == "softhsm2");
}

TEST_CASE("pkcs11 uri: the PIN comes from pin-value or from the pin-source file") {
  CHECK(Uri("pkcs11:token=t?pin-value=12%2034", "--certificate").pin()->reveal() == "12 34");
  CHECK_FALSE(Uri("pkcs11:token=t", "--certificate").pin().has_value());

  const std::string file = identity_test::write_file("pin", "pin-from-file\n");
  CHECK(Uri("pkcs11:token=t?pin-source=file:" + file, "--certificate").pin()->reveal() ==
        "pin-from-file");
  CHECK(Uri("pkcs11:token=t?pin-source=" + file, "--certificate").pin()->reveal() ==
        "pin-from-file");
  CHECK(read_pin_source("file://" + file, "--certificate x").reveal() == "pin-from-file");
}

TEST_CASE("pkcs11 uri: pin-source problems are errors naming the file but not the PIN") {
  const std::string empty = identity_test::write_file("empty-pin", "\n");
  try {
    read_pin_source("file:" + empty, "--certificate u");
    FAIL("an empty PIN file was accepted");
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find(empty + " is empty") != std::string::npos);
  }
  try {
    read_pin_source("file:/nonexistent/pin", "--certificate u");
    FAIL("a missing PIN file was accepted");
  } catch (const Error& error) {
    CHECK(error.kind() == Error::Kind::kInput);
    CHECK(std::string(error.what()).find("the PIN file /nonexistent/pin does not exist") !=
          std::string::npos);
  }
  try {
    read_pin_source("relative/pin", "--certificate u");
    FAIL("a relative pin-source was accepted");
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("file:/absolute/path") != std::string::npos);
  }
}

TEST_CASE("pkcs11 uri: an unknown type= value is named with the ones that work") {
  const std::string certificate = uri_error("pkcs11:token=a;type=certificate").what();
  CHECK(certificate ==
        "--certificate pkcs11:token=a;type=certificate: type=certificate is not a PKCS#11 object "
        "type; use type=cert for a certificate and type=private for a private key");
  // p11-kit ignores query attributes it does not know (RFC 7512 lets vendors add some), so
  // only the describing function is asked here.
  const std::string query =
      pkcs11_detail::describe_unrecognized_attribute("pkcs11:token=a?pin-value=1234&colour=blue");
  CHECK(query.find("'colour' is not an attribute this tool knows") == 0);
  CHECK(query.find("1234") == std::string::npos);
  CHECK(pkcs11_detail::describe_unrecognized_attribute("pkcs11:token=a;type=cert")
            .find("does not know") != std::string::npos);  // nothing to name: the general message
}

TEST_CASE("pkcs11 uri: without labels messages show the URI and the module, and no flag") {
  try {
    Uri uri("pkcs11:token=a;colour=blue", "");
    FAIL("an unknown attribute was accepted");
  } catch (const Error& error) {
    CHECK(std::string(error.what()).find("pkcs11:token=a;colour=<hidden>") == 0);
    CHECK(std::string(error.what()).find("--") == std::string::npos);
  }
  // A module that cannot be loaded: the flag to name another one is offered only when named.
  const std::string uri = "pkcs11:token=a";
  const std::string missing_module = identity_test::scratch("no-such-module.so");
  auto listing_error = [&](const IdentityLabels& labels) {
    try {
      list_pkcs11_certificates(uri, missing_module, {}, labels);
    } catch (const Error& error) {
      return std::string(error.what());
    }
    FAIL("a missing module was loaded");
    return std::string();
  };
  const std::string unlabelled = listing_error({});
  CHECK(unlabelled.find("cannot load the PKCS#11 module " + missing_module) == 0);
  CHECK(unlabelled.find("--") == std::string::npos);
  CHECK(listing_error(identity_test::cli_labels())
            .find("name an installed module with --pkcs11-lib") != std::string::npos);
}

TEST_CASE("pkcs11 uri: a pin-source FIFO that never delivers gives up instead of hanging") {
  const test_support::TempDir directory;
  const std::string fifo = (directory.path / "pin.fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  try {
    read_pin_source("file:" + fifo, "--certificate u", std::chrono::milliseconds(200));
    FAIL("a FIFO with no writer was read");
  } catch (const Error& error) {
    CHECK(error.kind() == Error::Kind::kInput);
    CHECK(std::string(error.what()) == "--certificate u: the PIN file " + fifo +
                                           " delivered no data within 200 ms: is "
                                           "anything writing to it?");
  }
}
