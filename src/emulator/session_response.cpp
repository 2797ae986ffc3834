#include "session_response.hpp"

#include "arn_check.hpp"
#include "json_text.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"

#include <openssl/rand.h>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace rolesanywhere::emulator {

namespace {
std::vector<unsigned char> random_bytes(std::size_t count) {
  std::vector<unsigned char> bytes(count);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw Error(Error::Kind::kInternal, "the random generator failed: " + openssl_error_text());
  return bytes;
}
}  // namespace

std::string random_alphanumeric(std::size_t length, bool upper_case_only) {
  const std::string_view alphabet =
      upper_case_only
          ? std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")  // 32: no bias
          : std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  std::string text;
  for (unsigned char byte : random_bytes(length)) text += alphabet[byte % alphabet.size()];
  return text;
}

std::string random_access_key_id() { return "ASIA" + random_alphanumeric(16, true); }

std::string random_uuid() {
  auto bytes = random_bytes(16);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  std::string text;
  char hex[3];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    std::snprintf(hex, sizeof hex, "%02x", bytes[i]);
    text += hex;
  }
  return text;
}

SessionResponse create_session_response(const SessionGrant& grant, TimePoint now) {
  const ArnParts role = *split_arn(grant.role_arn);
  const ArnParts anchor = *split_arn(grant.trust_anchor_arn);
  // Without roleSessionName the service names the session after the certificate's serial.
  const std::string session_name = grant.role_session_name.value_or(grant.serial_hex);
  const std::string subject_arn = "arn:" + anchor.partition + ":rolesanywhere:" + anchor.region +
                                  ":" + anchor.account + ":subject/" + random_uuid();
  const std::string secret = random_alphanumeric(40);
  const std::string token = "IQoJb3JpZ2luX2VtdWxhdG9y" + random_alphanumeric(320);

  SessionResponse response;
  response.access_key_id = random_access_key_id();
  response.expiration = format_iso8601(now + std::chrono::seconds(grant.duration_seconds));
  nlohmann::json credentials = {
      {"accessKeyId", response.access_key_id},
      {"secretAccessKey", secret},
      {"sessionToken", token},
      {"expiration", response.expiration},
  };
  nlohmann::json entry = {
      {"assumedRoleUser",
       {{"arn", "arn:" + role.partition + ":sts::" + role.account + ":assumed-role/" +
                    role_name(grant.role_arn) + "/" + session_name},
        {"assumedRoleId", "AROA" + random_alphanumeric(17, true) + ":" + session_name}}},
      {"credentials", std::move(credentials)},
      {"packedPolicySize", 0},
      {"roleArn", grant.role_arn},
      {"sourceIdentity", "CN=" + grant.common_name},
      {"subjectArn", subject_arn},
      {"enrollmentId", random_uuid()},
  };
  nlohmann::json body = {{"credentialSet", nlohmann::json::array({std::move(entry)})},
                         {"subjectArn", subject_arn}};
  response.body = json_text(body);
  return response;
}

std::string error_response_body(const std::string& message) {
  return json_text(nlohmann::json{{"message", message}});
}

}  // namespace rolesanywhere::emulator
