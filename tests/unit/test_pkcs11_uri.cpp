// PKCS#11 URIs: parsing through p11-kit, object matching, PINs from pin-value and pin-source,
// and the pin-value never reaching a message.
#include "pkcs11/pkcs11_detail.hpp"
#include "test_identity_fixtures.hpp"

#include <doctest/doctest.h>

#include <string>

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
  CHECK(hide_pin_value("pkcs11:token=a?pin-value=1234") == "pkcs11:token=a?pin-value=<hidden>");
  CHECK(hide_pin_value("pkcs11:token=a?pin-value=12&module-path=/m.so") ==
        "pkcs11:token=a?pin-value=<hidden>&module-path=/m.so");
  CHECK(hide_pin_value("pkcs11:token=a;pin-value=99;object=b") ==
        "pkcs11:token=a;pin-value=<hidden>;object=b");
  CHECK(hide_pin_value("pkcs11:token=a") == "pkcs11:token=a");
  // A misspelt or upper-case name must not reveal the PIN either.
  CHECK(hide_pin_value("pkcs11:token=a?pin-vale=1234") == "pkcs11:token=a?pin-vale=<hidden>");
  CHECK(hide_pin_value("pkcs11:token=a?PIN-VALUE=1234&pin-source=file:/p") ==
        "pkcs11:token=a?PIN-VALUE=<hidden>&pin-source=file:/p");
}

TEST_CASE("pkcs11 uri: parse errors name the flag and hide the PIN") {
  const Error unknown = uri_error("pkcs11:token=a;colour=blue?pin-value=s3cret-pin");
  CHECK(unknown.kind() == Error::Kind::kInvalidArgument);
  CHECK(std::string(unknown.what()).find("--certificate pkcs11:token=a;colour=blue") == 0);
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
    CHECK(std::string(error.what()).find("cannot read the PIN file /nonexistent/pin") !=
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
    CHECK(std::string(error.what()).find("pkcs11:token=a;colour=blue") == 0);
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
