#include "test_emulator_support.hpp"

#include "test_identity_fixtures.hpp"

#include "rolesanywhere/error.hpp"

#include <doctest/doctest.h>
#include <openssl/pem.h>

#include <stdexcept>

namespace emulator_test {

using namespace rolesanywhere;

namespace {

BioPtr open_file(const std::string& name) {
  BioPtr bio(BIO_new_file(pki_path(name).c_str(), "r"));
  if (!bio) throw std::runtime_error("cannot open " + pki_path(name));
  return bio;
}

std::string query_escape(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string der_base64(X509* certificate) {
  const int length = i2d_X509(certificate, nullptr);
  std::vector<unsigned char> der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  i2d_X509(certificate, &cursor);
  std::string out(4 * ((der.size() + 2) / 3) + 1, '\0');
  out.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), der.data(), length)));
  return out;
}

std::string serial_of(X509* certificate) {
  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  OpensslString text(BN_bn2dec(serial.get()));
  return text.get();
}

}  // namespace

// The identity tests' cached PKI: ctest runs one process per test case, and generating a PKI
// takes seconds of shared CPU, so every process of the day reuses one.
const std::string& pki_dir() {
  static const std::string directory = identity_test::pki_dir().string();
  return directory;
}

std::string pki_path(const std::string& name) {
  return name.starts_with('/') ? name : pki_dir() + "/" + name;
}

X509Ptr load_certificate(const std::string& name) {
  BioPtr bio = open_file(name);
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) throw std::runtime_error("no certificate in " + name);
  return certificate;
}

std::vector<X509Ptr> load_certificates(const std::string& name) {
  BioPtr bio = open_file(name);
  std::vector<X509Ptr> certificates;
  while (X509Ptr certificate{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)})
    certificates.push_back(std::move(certificate));
  openssl_error_text();  // the end-of-file "no start line"
  return certificates;
}

EvpPkeyPtr load_key(const std::string& name) {
  BioPtr bio = open_file(name);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw std::runtime_error("no key in " + name);
  return key;
}

TimePoint now_seconds() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

emulator::EmulatorConfig test_config() {
  emulator::EmulatorConfig config;
  config.trust_anchor_certificates = emulator::load_ca_certificates({pki_path("root-ca.pem")});
  emulator::finish_config(config);
  return config;
}

HttpRequest signed_request(const SignSpec& spec, std::string* canonical) {
  const emulator::EmulatorConfig defaults;
  const X509Ptr certificate = load_certificate(spec.certificate);
  const EvpPkeyPtr key = load_key(spec.key);

  HttpRequest request;
  request.method = "POST";
  request.path = "/sessions";
  request.query =
      "profileArn=" +
      query_escape(spec.profile_arn.empty() ? defaults.profile_arn : spec.profile_arn) +
      "&roleArn=" + query_escape(spec.role_arn.empty() ? defaults.role_arn : spec.role_arn) +
      "&trustAnchorArn=" +
      query_escape(spec.trust_anchor_arn.empty() ? defaults.trust_anchor_arn
                                                 : spec.trust_anchor_arn);
  request.headers.push_back({"Host", spec.host});
  if (spec.content_type_before_signing)
    request.headers.push_back({"Content-Type", "application/json"});
  request.body = spec.body;

  sigv4x509::SigningParams params;
  params.algorithm = spec.algorithm.value_or(EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA
                                                 ? sigv4x509::Algorithm::kRsaSha256
                                                 : sigv4x509::Algorithm::kEcdsaSha256);
  params.serial_decimal = spec.serial.value_or(serial_of(certificate.get()));
  params.certificate_b64 = der_base64(certificate.get());
  if (!spec.chain_files.empty()) {
    for (const auto& file : spec.chain_files)
      for (const auto& item : load_certificates(file)) {
        if (X509_cmp(item.get(), certificate.get()) == 0) continue;
        params.chain_b64 += (params.chain_b64.empty() ? "" : ",") + der_base64(item.get());
      }
  } else if (spec.send_chain) {
    params.chain_b64 = der_base64(load_certificate("intermediate-ca.pem").get());
  }
  params.region = spec.region;
  params.now = spec.signed_at;

  const std::string signer_canonical =
      sigv4x509::sign_request(request, params, [&](std::string_view data) {
        EvpMdCtxPtr context(EVP_MD_CTX_new());
        REQUIRE(EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1);
        std::size_t length = 0;
        const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
        REQUIRE(EVP_DigestSign(context.get(), nullptr, &length, bytes, data.size()) == 1);
        std::vector<std::uint8_t> signature(length);
        REQUIRE(EVP_DigestSign(context.get(), signature.data(), &length, bytes, data.size()) == 1);
        signature.resize(length);
        return signature;
      });
  if (canonical) *canonical = signer_canonical;
  if (!spec.content_type_before_signing)
    request.headers.push_back({"Content-Type", "application/json"});
  return request;
}

}  // namespace emulator_test
