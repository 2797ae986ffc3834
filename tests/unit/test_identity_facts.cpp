// Certificate facts (serial, base64, names, dates) and validity checks with injected time.
#include "test_identity_fixtures.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include <openssl/x509.h>

using namespace rolesanywhere;
using namespace identity_test;
using namespace std::chrono_literals;

namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// A self-signed certificate with a serial chosen by the test, made by the openssl CLI.
X509Ptr certificate_with_serial(const std::string& name, const std::string& serial) {
  const std::string path = scratch(name);
  run("openssl req -x509 -new -key '" + pki("p256.key.pem") + "' -subj '/CN=fixed serial' -days 2" +
      " -set_serial " + serial + " -out '" + path + "'");
  return read_certificate(path);
}

// The date as messages print it, computed here with the C library rather than the module's code.
std::string utc_text(TimePoint time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// A self-signed P-256 certificate valid between two dates written as in a certificate
// (GeneralizedTime, "YYYYMMDDHHMMSSZ"), made with OpenSSL's API: the openssl CLI of Debian 12
// cannot set arbitrary dates.
X509Ptr certificate_valid(const char* from, const char* until) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key);
  X509Ptr certificate(X509_new());
  X509* cert = certificate.get();
  REQUIRE(X509_set_version(cert, X509_VERSION_3) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert), 4711) == 1);
  REQUIRE(ASN1_TIME_set_string(X509_getm_notBefore(cert), from) == 1);
  REQUIRE(ASN1_TIME_set_string(X509_getm_notAfter(cert), until) == 1);
  X509_NAME* name = X509_get_subject_name(cert);
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("forever"), -1, -1,
                                     0) == 1);
  REQUIRE(X509_set_issuer_name(cert, name) == 1);
  REQUIRE(X509_set_pubkey(cert, key.get()) == 1);
  REQUIRE(X509_sign(cert, key.get(), EVP_sha256()) > 0);
  return certificate;
}

}  // namespace

TEST_CASE("identity: serial numbers in decimal and hex") {
  // 0x0123456789ABCDEF0123456789ABCDEF, converted independently.
  const X509Ptr fixed =
      certificate_with_serial("serial-a.pem", "0x0123456789ABCDEF0123456789ABCDEF");
  CHECK(serial_decimal(fixed.get()) == "1512366075204170929049582354406559215");
  CHECK(serial_hex(fixed.get()) == "0123456789abcdef0123456789abcdef");

  const X509Ptr small = certificate_with_serial("serial-b.pem", "4096");
  CHECK(serial_decimal(small.get()) == "4096");
  CHECK(serial_hex(small.get()) == "1000");

  // The Identity carries the decimal serial for the Credential scope.
  const std::string fixed_path = scratch("serial-a.pem");
  const Identity identity = load(fixed_path, pki("p256.key.pem"));
  CHECK(identity.serial_decimal() == "1512366075204170929049582354406559215");

  // The hex form agrees with `openssl x509 -serial` on a CA-issued certificate.
  const std::string out = scratch("serial.txt");
  run("openssl x509 -in '" + pki("rsa2048.crt.pem") + "' -noout -serial > '" + out + "'");
  std::string printed = read_file(out);  // "serial=7A...\n"
  printed = printed.substr(printed.find('=') + 1);
  printed.erase(printed.find_last_not_of("\r\n") + 1);
  CHECK(serial_hex(read_certificate(pki("rsa2048.crt.pem")).get()) == lowercase(printed));
}

TEST_CASE("identity: certificate and chain travel as single-line base64 DER") {
  const Identity identity = load(pki("rsa2048.fullchain.pem"), pki("rsa2048.key.pem"));
  const std::string der = read_file(pki("rsa2048.crt.der"));
  CHECK(identity.certificate_base64().find('\n') == std::string::npos);
  CHECK(base64_decode(identity.certificate_base64()) ==
        std::vector<std::uint8_t>(der.begin(), der.end()));
  CHECK(der_base64(identity.certificate()) == identity.certificate_base64());

  const X509Ptr intermediate = read_certificate(pki("intermediate-ca.pem"));
  CHECK(base64_decode(identity.chain_base64()) == certificate_der(intermediate.get()));

  // Two intermediates: comma-joined in order.
  const std::string two = write_file(
      "two-intermediates.pem", read_file(pki("intermediates.pem")) + read_file(pki("root-ca.pem")));
  const Identity longer = load(pki("rsa2048.crt.pem"), pki("rsa2048.key.pem"), two);
  const std::string& joined = longer.chain_base64();
  const auto comma = joined.find(',');
  REQUIRE(comma != std::string::npos);
  CHECK(joined.find(',', comma + 1) == std::string::npos);
  CHECK(base64_decode(joined.substr(0, comma)) == certificate_der(intermediate.get()));
  CHECK(base64_decode(joined.substr(comma + 1)) ==
        certificate_der(read_certificate(pki("root-ca.pem")).get()));

  CHECK(load(pki("rsa2048.crt.pem"), pki("rsa2048.key.pem")).chain_base64().empty());
}

TEST_CASE("identity: subject, issuer and validity dates") {
  const X509Ptr leaf = read_certificate(pki("p256.crt.pem"));
  // RFC 2253 as the openssl CLI prints it (most specific element first).
  const std::string names = scratch("names.txt");
  run("openssl x509 -in '" + pki("p256.crt.pem") +
      "' -noout -subject -issuer -nameopt RFC2253 > '" + names + "'");
  const std::string printed = read_file(names);
  CHECK(printed ==
        "subject=" + subject_name(leaf.get()) + "\nissuer=" + issuer_name(leaf.get()) + "\n");
  CHECK(subject_name(leaf.get()) == "O=rolesanywhere-helper tests,CN=workload-p256");

  // The fixture script issues leaves from an hour ago for 30 days.
  const auto lifetime = not_after(leaf.get()) - not_before(leaf.get());
  CHECK(lifetime >= 30 * 24h + 1h - 5s);
  CHECK(lifetime <= 30 * 24h + 1h + 5s);
  const auto age = std::chrono::system_clock::now() - not_before(leaf.get());
  CHECK(age >= 1h - 5s);
  CHECK(age < 24h * 2);  // generated today (cached per day)
}

TEST_CASE("identity: validity is checked against the injected time, boundaries included") {
  const X509Ptr leaf = read_certificate(pki("rsa2048.crt.pem"));
  const TimePoint start = not_before(leaf.get());
  const TimePoint end = not_after(leaf.get());

  CHECK_NOTHROW(check_certificate_validity(leaf.get(), start));
  CHECK_NOTHROW(check_certificate_validity(leaf.get(), end));
  CHECK_THROWS_WITH_AS(check_certificate_validity(leaf.get(), end + 1s),
                       doctest::Contains("expired on"), Error);
  CHECK_THROWS_WITH_AS(check_certificate_validity(leaf.get(), start - 1s),
                       doctest::Contains("is not valid until"), Error);

  // Through load_file_identity with a fixed clock: the message names the file and the date.
  FileIdentityOptions options;
  options.certificate_path = pki("rsa2048.crt.pem");
  options.private_key_path = pki("rsa2048.key.pem");
  options.labels = cli_labels();
  try {
    load_file_identity(options, FixedClock(end + 24h));
    FAIL("an expired certificate was accepted");
  } catch (const Error& error) {
    CHECK(error.kind() == Error::Kind::kCrypto);
    const std::string message = error.what();
    CHECK(message.find("--certificate " + options.certificate_path) != std::string::npos);
    CHECK(message.find("expired on") != std::string::npos);
    CHECK(message.find(utc_text(end)) != std::string::npos);
  }
  try {
    load_file_identity(options, FixedClock(start - 1h));
    FAIL("a not-yet-valid certificate was accepted");
  } catch (const Error& error) {
    const std::string message = error.what();
    CHECK(message.find("--certificate " + options.certificate_path) != std::string::npos);
    CHECK(message.find("is not valid until") != std::string::npos);
    CHECK(message.find(utc_text(start)) != std::string::npos);
  }
  CHECK_NOTHROW(load_file_identity(options, FixedClock(start + 1h)));
}

TEST_CASE("identity: the expired and not-yet-valid fixtures are refused with their dates") {
  const Error expired = load_error(pki("expired.crt.pem"), pki("rsa2048.key.pem"));
  CHECK(expired.kind() == Error::Kind::kCrypto);
  CHECK(std::string(expired.what()).find(pki("expired.crt.pem")) != std::string::npos);
  CHECK(std::string(expired.what())
            .find("expired on " +
                  utc_text(not_after(read_certificate(pki("expired.crt.pem")).get()))) !=
        std::string::npos);

  const Error notyet = load_error(pki("notyet.crt.pem"), pki("rsa2048.key.pem"));
  CHECK(std::string(notyet.what()).find(pki("notyet.crt.pem")) != std::string::npos);
  CHECK(std::string(notyet.what())
            .find("is not valid until " +
                  utc_text(not_before(read_certificate(pki("notyet.crt.pem")).get()))) !=
        std::string::npos);
}

TEST_CASE("identity: dates past what the clock type holds are its ends, never an overflow") {
  // RFC 5280's "no well-defined expiration date" was read as 1816 and refused as expired.
  const X509Ptr forever = certificate_valid("20200101000000Z", "99991231235959Z");
  CHECK(not_after(forever.get()) == TimePoint::max());
  CHECK(not_before(forever.get()) < std::chrono::system_clock::now());
  CHECK_NOTHROW(check_certificate_validity(forever.get(), std::chrono::system_clock::now()));

  const X509Ptr ancient = certificate_valid("16000101000000Z", "99991231235959Z");
  CHECK(not_before(ancient.get()) == TimePoint::min());
  CHECK_NOTHROW(check_certificate_validity(ancient.get(), std::chrono::system_clock::now()));

  const X509Ptr future = certificate_valid("99990101000000Z", "99991231235959Z");
  CHECK_THROWS_WITH_AS(check_certificate_validity(future.get(), std::chrono::system_clock::now()),
                       doctest::Contains("is not valid until"), Error);
}
