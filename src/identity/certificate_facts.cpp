// Facts about a certificate in the forms the protocol and the CLI want them: the serial in
// decimal (the Credential scope), base64 DER (the X-Amz-X509 headers), names and validity.
#include "common/time_point_range.hpp"
#include "identity_detail.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/text.hpp"

#include <openssl/asn1.h>

#include <chrono>
#include <ctime>
#include <optional>

namespace rolesanywhere {
namespace {

BignumPtr serial_number(X509* certificate) {
  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  if (!serial) throw Error(Error::Kind::kInternal, "cannot read the certificate serial number");
  return serial;
}

std::string name_rfc2253(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    throw Error(Error::Kind::kInternal, "cannot format a certificate name");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

TimePoint asn1_to_time_point(const ASN1_TIME* time) {
  std::tm parts{};
  if (ASN1_TIME_to_tm(time, &parts) != 1) {
    throw Error(Error::Kind::kInput, "the certificate has a malformed validity date");
  }
  using namespace std::chrono;
  const sys_days day = year{parts.tm_year + 1900} / month{static_cast<unsigned>(parts.tm_mon + 1)} /
                       static_cast<unsigned>(parts.tm_mday);
  const sys_seconds whole =
      day + hours{parts.tm_hour} + minutes{parts.tm_min} + seconds{parts.tm_sec};
  if (const std::optional<TimePoint> point = to_time_point(whole)) return *point;
  // RFC 5280's 99991231235959Z ("no well-defined expiration date") and dates before 1678 lie
  // past what TimePoint holds: the nearest end keeps every comparison with a real clock right.
  return whole.time_since_epoch() > seconds{0} ? TimePoint::max() : TimePoint::min();
}

}  // namespace

std::string serial_decimal(X509* certificate) {
  OpensslString text(BN_bn2dec(serial_number(certificate).get()));
  if (!text) throw Error(Error::Kind::kInternal, "cannot format the certificate serial number");
  return text.get();
}

std::string serial_hex(X509* certificate) {
  OpensslString text(BN_bn2hex(serial_number(certificate).get()));
  if (!text) throw Error(Error::Kind::kInternal, "cannot format the certificate serial number");
  return to_lower(text.get());
}

std::string subject_name(X509* certificate) {
  return name_rfc2253(X509_get_subject_name(certificate));
}

std::string issuer_name(X509* certificate) {
  return name_rfc2253(X509_get_issuer_name(certificate));
}

std::string der_base64(X509* certificate) {
  const int length = i2d_X509(certificate, nullptr);
  if (length <= 0) throw Error(Error::Kind::kInternal, "cannot DER-encode the certificate");
  std::vector<unsigned char> der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  i2d_X509(certificate, &cursor);

  // EVP_EncodeBlock writes one line with no newlines, plus a terminating NUL.
  std::string base64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()), der.data(),
                                      static_cast<int>(der.size()));
  base64.resize(static_cast<std::size_t>(written));
  return base64;
}

TimePoint not_before(X509* certificate) {
  return asn1_to_time_point(X509_get0_notBefore(certificate));
}
TimePoint not_after(X509* certificate) {
  return asn1_to_time_point(X509_get0_notAfter(certificate));
}
}  // namespace rolesanywhere
