#include "x509_facts.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>
#include <utility>

namespace rolesanywhere::doctor_detail {

namespace {

using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OpensslDeleter<ASN1_TIME_free>>;

// Extension flags and key usage are computed lazily by OpenSSL; a malformed extension leaves
// EXFLAG_INVALID, which the accessors below then read as "absent".
std::uint32_t extension_flags(X509* certificate) { return X509_get_extension_flags(certificate); }

}  // namespace

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "(unreadable)";
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  std::string text(data, static_cast<std::size_t>(length));
  return text.empty() ? "(empty name)" : text;
}

std::string subject(X509* certificate) { return name_text(X509_get_subject_name(certificate)); }
std::string issuer(X509* certificate) { return name_text(X509_get_issuer_name(certificate)); }

bool self_issued(X509* certificate) {
  return X509_NAME_cmp(X509_get_subject_name(certificate), X509_get_issuer_name(certificate)) == 0;
}

std::string time_text(const ASN1_TIME* time) {
  std::tm parts{};
  if (!time || ASN1_TIME_to_tm(time, &parts) != 1) return "(unreadable date)";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

Validity validity_at(X509* certificate, TimePoint now) {
  Validity validity;
  const ASN1_TIME* start = X509_get0_notBefore(certificate);
  const ASN1_TIME* end = X509_get0_notAfter(certificate);
  validity.not_before = time_text(start);
  validity.not_after = time_text(end);
  std::time_t now_t = std::chrono::system_clock::to_time_t(now);
  // X509_cmp_time: -1 when the certificate's time is before `now`, 1 after, 0 on an error
  // (taken as the bad side: an unreadable date is not a valid one).
  validity.not_yet_valid = X509_cmp_time(start, &now_t) >= 0;
  validity.expired = X509_cmp_time(end, &now_t) <= 0;
  Asn1TimePtr now_asn1(ASN1_TIME_set(nullptr, now_t));
  int days = 0, seconds = 0;
  if (now_asn1 && ASN1_TIME_diff(&days, &seconds, now_asn1.get(), end) == 1)
    validity.days_left = days;
  if (now_asn1 && ASN1_TIME_diff(&days, &seconds, now_asn1.get(), start) == 1)
    validity.days_to_start = days + (seconds > 0 ? 1 : 0);
  ERR_clear_error();
  return validity;
}

bool has_basic_constraints(X509* certificate) {
  return (extension_flags(certificate) & EXFLAG_BCONS) != 0;
}

bool says_ca(X509* certificate) {
  const std::uint32_t flags = extension_flags(certificate);
  return (flags & EXFLAG_BCONS) && (flags & EXFLAG_CA);
}

bool has_key_usage(X509* certificate) {
  return (extension_flags(certificate) & EXFLAG_KUSAGE) != 0;
}

unsigned key_usage(X509* certificate) {
  return has_key_usage(certificate) ? X509_get_key_usage(certificate) : ~0u;
}

std::string key_usage_text(unsigned usage) {
  static constexpr std::array<std::pair<unsigned, const char*>, 9> kNames{{
      {KU_DIGITAL_SIGNATURE, "digitalSignature"},
      {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
      {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},
      {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},
      {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"},
  }};
  std::string text;
  for (const auto& [bit, name] : kNames) {
    if (!(usage & bit)) continue;
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text.empty() ? "none" : text;
}

long path_length(X509* certificate) {
  extension_flags(certificate);  // fills in the constraint
  return X509_get_pathlen(certificate);
}

SignatureAlgorithm signature_algorithm(X509* certificate) {
  SignatureAlgorithm algorithm;
  const int signature_nid = X509_get_signature_nid(certificate);
  algorithm.name = signature_nid == NID_undef ? "an unknown algorithm" : OBJ_nid2ln(signature_nid);
  int digest_nid = NID_undef, key_nid = NID_undef, security_bits = 0;
  std::uint32_t flags = 0;
  if (X509_get_signature_info(certificate, &digest_nid, &key_nid, &security_bits, &flags) != 1) {
    ERR_clear_error();
    return algorithm;
  }
  algorithm.digest_nid = digest_nid;
  const bool strong_digest = digest_nid == NID_sha256 || digest_nid == NID_sha384 ||
                             digest_nid == NID_sha512 || digest_nid == NID_sha512_256 ||
                             digest_nid == NID_sha3_256 || digest_nid == NID_sha3_384 ||
                             digest_nid == NID_sha3_512;
  const bool known_key = key_nid == NID_rsaEncryption || key_nid == NID_rsassaPss ||
                         key_nid == NID_X9_62_id_ecPublicKey;
  algorithm.acceptable = strong_digest && known_key;
  return algorithm;
}

bool signed_by(X509* certificate, X509* issuer_certificate) {
  EVP_PKEY* key = X509_get0_pubkey(issuer_certificate);
  const bool verifies = key && X509_verify(certificate, key) == 1;
  ERR_clear_error();  // a failed verification queues errors that say nothing more
  return verifies;
}

}  // namespace rolesanywhere::doctor_detail
