#include "test_doctor_fixtures.hpp"

#include "test_identity_fixtures.hpp"

#include <doctest/doctest.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace doctor_test {

using namespace rolesanywhere;

EvpPkeyPtr ec_key(const char* curve) {
  EvpPkeyPtr key(EVP_EC_gen(curve));
  if (!key) throw std::runtime_error(std::string("cannot make an EC key on ") + curve);
  return key;
}

EvpPkeyPtr rsa_key(int bits) {
  EvpPkeyPtr key(EVP_RSA_gen(static_cast<unsigned>(bits)));
  if (!key) throw std::runtime_error("cannot make an RSA key");
  return key;
}

X509Ptr make_certificate(const CertificateSpec& spec, TimePoint now) {
  X509Ptr certificate(X509_new());
  REQUIRE(certificate);
  X509* x = certificate.get();
  REQUIRE(X509_set_version(x, spec.v1 ? X509_VERSION_1 : X509_VERSION_3) == 1);
  BignumPtr serial(BN_new());
  if (spec.serial_hex.empty()) {
    BN_set_word(serial.get(), static_cast<BN_ULONG>(spec.serial < 0 ? -spec.serial : spec.serial));
    BN_set_negative(serial.get(), spec.serial < 0);
  } else {
    BIGNUM* parsed = serial.release();
    REQUIRE(BN_hex2bn(&parsed, spec.serial_hex.c_str()) > 0);
    serial.reset(parsed);
  }
  REQUIRE(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x)) != nullptr);

  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509* issuer = spec.issuer ? spec.issuer : x;
  REQUIRE(X509_set_issuer_name(x, X509_get_subject_name(issuer)) == 1);
  std::time_t base = std::chrono::system_clock::to_time_t(now);
  REQUIRE(X509_time_adj_ex(X509_getm_notBefore(x), 0, spec.not_before.count(), &base));
  REQUIRE(X509_time_adj_ex(X509_getm_notAfter(x), 0, spec.not_after.count(), &base));
  REQUIRE(X509_set_pubkey(x, spec.key) == 1);

  if (!spec.v1) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, x, nullptr, nullptr, 0);
    for (const auto& line : spec.extensions) {
      X509_EXTENSION* extension =
          X509V3_EXT_conf_nid(nullptr, &context, line.first, line.second.c_str());
      REQUIRE(extension != nullptr);
      X509_add_ext(x, extension, -1);
      X509_EXTENSION_free(extension);
    }
    for (const auto& line : spec.named_extensions) {
      X509_EXTENSION* extension =
          X509V3_EXT_nconf(nullptr, &context, line.first.c_str(), line.second.c_str());
      REQUIRE(extension != nullptr);
      X509_add_ext(x, extension, -1);
      X509_EXTENSION_free(extension);
    }
  }
  EVP_PKEY* signer = spec.issuer ? spec.issuer_key : spec.key;
  REQUIRE(X509_sign(x, signer, spec.digest) > 0);
  return certificate;
}

std::vector<std::pair<int, std::string>> leaf_extensions() {
  return {{NID_basic_constraints, "critical,CA:FALSE"},
          {NID_key_usage, "critical,digitalSignature"}};
}

std::vector<std::pair<int, std::string>> ca_extensions(const std::string& path_length) {
  return {{NID_basic_constraints,
           "critical,CA:TRUE" + (path_length.empty() ? "" : ",pathlen:" + path_length)},
          {NID_key_usage, "critical,keyCertSign,cRLSign"}};
}

X509Ptr copy(X509* certificate) {
  X509_up_ref(certificate);
  return X509Ptr(certificate);
}

std::vector<std::string> ids_with(const doctor::Findings& findings, doctor::Verdict verdict) {
  std::vector<std::string> ids;
  for (const auto& f : findings)
    if (f.verdict == verdict) ids.push_back(f.id);
  return ids;
}

doctor::Finding finding(const doctor::Findings& findings, const std::string& id) {
  for (const auto& f : findings)
    if (f.id == id) return f;
  FAIL("no finding " << id);
  throw std::logic_error("unreachable");
}

const std::vector<GeneratedCase>& generated_cases() {
  static const std::vector<GeneratedCase> cases = [] {
    const auto dir = identity_test::generated_once_a_day("tests/doctor/make-doctor-pki.sh",
                                                         "rolesanywhere-doctor-pki-");
    std::ifstream manifest(dir / "cases");
    std::vector<GeneratedCase> read;
    std::string line;
    while (std::getline(manifest, line)) {
      std::vector<std::string> fields;
      std::stringstream stream(line);
      for (std::string field; std::getline(stream, field, '|');) fields.push_back(field);
      if (fields.size() != 10) throw std::runtime_error("malformed case line: " + line);
      auto path = [&](const std::string& name) {
        return name == "-" ? std::string() : (dir / name).string();
      };
      read.push_back({fields[0], fields[1], fields[2], fields[3], path(fields[4]), path(fields[5]),
                      path(fields[6]), path(fields[7]), path(fields[8]), fields[9]});
    }
    if (read.empty()) throw std::runtime_error("no cases in " + (dir / "cases").string());
    return read;
  }();
  return cases;
}

}  // namespace doctor_test
