#include "verify_session.hpp"

#include "arn_check.hpp"
#include "certificate_chain.hpp"
#include "common/time_point_range.hpp"
#include "der_codec.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>

namespace rolesanywhere::emulator {

namespace {

// Thrown inside this file only: the first failed check ends verification.
struct Rejection {
  ServiceFault fault;
};

[[noreturn]] void reject(int status, std::string type, std::string message) {
  throw Rejection{{status, std::move(type), std::move(message)}};
}
[[noreturn]] void deny(std::string message) {
  reject(403, "AccessDeniedException", std::move(message));
}
[[noreturn]] void invalid(std::string message) {
  reject(400, "ValidationException", std::move(message));
}

// --- request parameters ---

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const auto byte = decode_hex(text.substr(i + 1, 2));
    if (!byte) return std::nullopt;
    out += static_cast<char>((*byte)[0]);
    i += 2;
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view raw) {
  std::map<std::string, std::string> parameters;
  while (!raw.empty()) {
    const std::size_t amp = raw.find('&');
    const std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const auto name = percent_decode(pair.substr(0, eq));
    const auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value)
      invalid("the query string has a malformed percent-escape in '" + std::string(pair) + "'");
    if (!parameters.emplace(*name, *value).second)
      invalid("query parameter " + *name + " is given more than once");
  }
  return parameters;
}

struct RequestedSession {
  std::string trust_anchor_arn;
  std::string profile_arn;
  std::string role_arn;
  int duration_seconds = kDefaultDurationSeconds;
  std::optional<std::string> role_session_name;
  std::map<std::string, std::string> instance_properties;
};

// The API's limits on instanceProperties (InstanceProperty in the API reference).
constexpr std::size_t kMaxInstanceProperties = 50;
constexpr std::size_t kMaxInstancePropertyLength = 200;

std::map<std::string, std::string> read_instance_properties(const nlohmann::json& value) {
  if (!value.is_object()) invalid("instanceProperties must be a map of strings to strings");
  if (value.size() > kMaxInstanceProperties)
    invalid("instanceProperties has " + std::to_string(value.size()) + " entries; at most " +
            std::to_string(kMaxInstanceProperties) + " are allowed");
  std::map<std::string, std::string> properties;
  for (const auto& item : value.items()) {
    const std::string& key = item.key();
    if (key.empty() || key.size() > kMaxInstancePropertyLength)
      invalid("instanceProperties key '" + key + "' must be 1 to 200 characters");
    if (!item.value().is_string())
      invalid("instanceProperties value of '" + key + "' must be a string");
    const std::string text = item.value().get<std::string>();
    if (text.empty() || text.size() > kMaxInstancePropertyLength)
      invalid("instanceProperties value of '" + key + "' must be 1 to 200 characters");
    properties.emplace(key, text);
  }
  return properties;
}

nlohmann::json parse_body(const std::string& body) {
  // An empty body is treated as {}: every body field is optional when the ARNs are in the query.
  if (body.empty()) return nlohmann::json::object();
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded())
    invalid("the request body is not valid JSON; expected {\"durationSeconds\":N}");
  if (!json.is_object()) invalid("the request body must be a JSON object");
  return json;
}

// The API takes each ARN as a query parameter (what the official helper sends) or a body field.
std::string read_arn(const std::map<std::string, std::string>& query, const nlohmann::json& body,
                     const std::string& name, ArnKind kind) {
  std::optional<std::string> from_query, from_body;
  if (auto it = query.find(name); it != query.end()) from_query = it->second;
  if (auto it = body.find(name); it != body.end()) {
    if (!it->is_string()) invalid("body field " + name + " must be a string");
    from_body = it->get<std::string>();
  }
  if (!from_query && !from_body)
    invalid("missing required parameter " + name + " (send it in the query string)");
  if (from_query && from_body && *from_query != *from_body)
    invalid(name + " differs between the query string and the body");
  const std::string arn = from_query ? *from_query : *from_body;
  if (auto problem = arn_problem(arn, kind))
    invalid(name + " '" + arn + "' is not a valid ARN: " + *problem);
  return arn;
}

bool is_session_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("_+=,.@-").find(c) != std::string_view::npos;
}

RequestedSession read_parameters(const HttpRequest& request) {
  const auto query = parse_query(request.query);
  const nlohmann::json body = parse_body(request.body);

  RequestedSession session;
  session.trust_anchor_arn = read_arn(query, body, "trustAnchorArn", ArnKind::kTrustAnchor);
  session.profile_arn = read_arn(query, body, "profileArn", ArnKind::kProfile);
  session.role_arn = read_arn(query, body, "roleArn", ArnKind::kRole);

  if (auto it = body.find("durationSeconds"); it != body.end()) {
    if (!it->is_number_integer())
      invalid("durationSeconds must be a whole number of seconds, got " + it->dump());
    const auto duration = it->get<long long>();
    if (auto problem = doctor::duration_problem(duration)) invalid("durationSeconds " + *problem);
    session.duration_seconds = static_cast<int>(duration);
  }
  if (auto it = body.find("roleSessionName"); it != body.end()) {
    if (!it->is_string()) invalid("roleSessionName must be a string");
    const auto name = it->get<std::string>();
    if (name.size() < 2 || name.size() > 64 ||
        !std::all_of(name.begin(), name.end(), is_session_name_char))
      invalid("roleSessionName '" + name +
              "' must be 2 to 64 characters of letters, digits and _+=,.@-");
    session.role_session_name = name;
  }
  if (auto it = body.find("instanceProperties"); it != body.end())
    session.instance_properties = read_instance_properties(*it);
  return session;
}

void check_served_arns(const RequestedSession& session, const EmulatorConfig& config) {
  // Resources of different accounts (or a profile of another region) never belong together.
  if (auto disagreement =
          arns_disagree(session.trust_anchor_arn, session.profile_arn, session.role_arn))
    deny("the ARNs do not belong together: " + *disagreement);
  auto check = [](const std::string& name, const std::string& got, const std::string& served) {
    if (got != served)
      deny(name + " '" + got + "' is not served here; this emulator serves '" + served + "'");
  };
  check("trustAnchorArn", session.trust_anchor_arn, config.trust_anchor_arn);
  check("profileArn", session.profile_arn, config.profile_arn);
  if (!config.serves_role(session.role_arn))
    deny("roleArn '" + session.role_arn + "' is not served here; this emulator serves " +
         config.served_roles_text());
  if (config.require_instance_properties && session.instance_properties.empty())
    deny("Instance properties are required by profile '" + config.profile_arn +
         "' (requireInstanceProperties), and the request has none");
}

// --- signing headers ---

// "20150830T123600Z" -> seconds since the epoch; nullopt unless exactly that form and a real
// date. Whole seconds hold any four-digit year, where a TimePoint (nanoseconds) overflows
// after 2262: calendar arithmetic on std::chrono, no timegm.
std::optional<std::chrono::sys_seconds> parse_amz_seconds(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  for (std::size_t i = 0; i < 15; ++i)
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  auto number = [&](std::size_t at, std::size_t length) {
    int value = 0;
    for (const char digit : text.substr(at, length)) value = value * 10 + (digit - '0');
    return value;
  };
  using namespace std::chrono;
  const year_month_day date{year{number(0, 4)}, month{unsigned(number(4, 2))},
                            day{unsigned(number(6, 2))}};
  const int hour = number(9, 2);
  const int minute = number(11, 2);
  const int second = number(13, 2);
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
}

std::string required_header(const HttpRequest& request, std::string_view name) {
  auto value = request.header(name);
  if (!value || value->empty()) deny("missing " + std::string(name) + " header");
  return *value;
}

// Returns the X-Amz-Date text.
std::string check_date(const HttpRequest& request, TimePoint now) {
  const std::string text = required_header(request, "X-Amz-Date");
  const auto signed_at_seconds = parse_amz_seconds(text);
  if (!signed_at_seconds) deny("X-Amz-Date '" + text + "' is not of the form YYYYMMDDTHHMMSSZ");
  // A date a TimePoint cannot hold (before 1678, after 2262) is far from any server time: the
  // service calls it expired or not yet current like any other.
  const std::optional<TimePoint> signed_at = to_time_point(*signed_at_seconds);
  const bool before_epoch = signed_at_seconds->time_since_epoch() < std::chrono::seconds{0};
  const bool too_old = signed_at ? *signed_at < now - kMaxClockSkew : before_epoch;
  const bool too_new = signed_at ? *signed_at > now + kMaxClockSkew : !before_epoch;
  if (too_old)
    deny("Signature expired: X-Amz-Date " + text +
         " is more than 5 minutes before the server "
         "time " +
         sigv4x509::amz_date(now) + "; sign just before sending and check the clock");
  if (too_new)
    deny("Signature not yet current: X-Amz-Date " + text +
         " is more than 5 minutes after the "
         "server time " +
         sigv4x509::amz_date(now) + "; check the clock");
  return text;
}

X509Ptr decode_certificate(std::string_view base64, const std::string& what) {
  const auto der = decode_base64(base64);
  if (!der) deny(what + " is not base64 (standard alphabet, padded, no whitespace)");
  X509Ptr certificate = certificate_from_der(*der);
  if (!certificate) deny(what + " is base64 but not one DER X.509 certificate");
  return certificate;
}

struct PresentedCertificates {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;
  bool chain_sent = false;
};

PresentedCertificates read_certificates(const HttpRequest& request) {
  PresentedCertificates presented;
  presented.leaf = decode_certificate(required_header(request, "X-Amz-X509"), "X-Amz-X509");
  if (auto chain = request.header("X-Amz-X509-Chain")) {
    presented.chain_sent = true;
    std::string_view rest = *chain;
    for (int index = 1;; ++index) {
      const std::size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      presented.chain.push_back(
          decode_certificate(item, "X-Amz-X509-Chain item " + std::to_string(index)));
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  return presented;
}

sigv4x509::ParsedAuthorization read_authorization(const HttpRequest& request) {
  const std::string header = required_header(request, "Authorization");
  const std::string algorithm = header.substr(0, header.find(' '));
  if (!sigv4x509::parse_algorithm(algorithm))
    deny("Authorization algorithm '" + algorithm +
         "' is not AWS4-X509-RSA-SHA256 or AWS4-X509-ECDSA-SHA256");
  auto parsed = sigv4x509::parse_authorization(header);
  if (!parsed)
    deny(
        "Authorization header is malformed; expected '<algorithm> Credential=<serial>/<date>/"
        "<region>/rolesanywhere/aws4_request, SignedHeaders=<names>, Signature=<hex>'");
  return *parsed;
}

sigv4x509::Algorithm algorithm_for(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return sigv4x509::Algorithm::kRsaSha256;
    case EVP_PKEY_EC:
      return sigv4x509::Algorithm::kEcdsaSha256;
    default: {
      // NULL for key types no provider names; appending a null char* is undefined behaviour.
      const char* type_name = EVP_PKEY_get0_type_name(key);
      deny(std::string("the signing certificate's key type ") +
           (type_name ? type_name : "(unnamed)") + " is not supported; use an RSA or EC key");
    }
  }
}

void check_algorithm(const sigv4x509::ParsedAuthorization& auth, EVP_PKEY* key) {
  const auto expected = algorithm_for(key);
  if (auth.algorithm != expected)
    deny("Authorization algorithm " + std::string(sigv4x509::algorithm_name(auth.algorithm)) +
         " does not fit the certificate's " +
         (expected == sigv4x509::Algorithm::kRsaSha256 ? "RSA" : "EC") + " key; expected " +
         std::string(sigv4x509::algorithm_name(expected)));
}

void check_scope(const sigv4x509::ParsedAuthorization& auth, X509* leaf,
                 const std::string& amz_date, const EmulatorConfig& config) {
  const std::string serial = certificate_serial_decimal(leaf);
  if (auth.serial != serial) {
    std::string message = "Credential serial '" + auth.serial +
                          "' is not the signing certificate's serial number " + serial +
                          " (decimal)";
    if (iequals(auth.serial, certificate_serial_hex(leaf)))
      message += "; it looks hexadecimal, the scope wants decimal";
    deny(message);
  }
  if (auth.date != amz_date.substr(0, 8))
    deny("Credential scope date " + auth.date + " is not the date of X-Amz-Date " + amz_date);
  if (auth.region != config.region)
    deny("Credential scope region '" + auth.region + "' is not the region this emulator serves, '" +
         config.region + "' (the trust anchor's)");
  if (auth.service != sigv4x509::kService)
    deny("Credential scope service '" + auth.service + "' must be 'rolesanywhere'");
  if (auth.terminator != "aws4_request")
    deny("Credential scope must end with aws4_request, not '" + auth.terminator + "'");
}

void check_signed_headers(const sigv4x509::ParsedAuthorization& auth, const HttpRequest& request,
                          bool chain_sent) {
  std::vector<std::string> required = {"content-type", "host", "x-amz-date", "x-amz-x509"};
  if (chain_sent) required.push_back("x-amz-x509-chain");
  for (const auto& name : required)
    if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), name) ==
        auth.signed_headers.end())
      deny("header " + name + " must be signed but is not in SignedHeaders");
  for (const auto& name : auth.signed_headers)
    if (!request.header(name)) deny("SignedHeaders names " + name + " but the request lacks it");
}

bool signature_verifies(EVP_PKEY* key, const std::vector<std::uint8_t>& signature,
                        std::string_view data) {
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  if (!context || EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1)
    return false;
  const int result =
      EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size());
  openssl_error_text();  // a failed verification leaves errors queued; they say nothing new
  return result == 1;
}

void check_operation(const HttpRequest& request) {
  if (request.path != "/sessions")
    reject(404, "UnknownOperationException",
           "no operation at " + request.method + " " + request.path +
               "; CreateSession is "
               "POST /sessions");
  if (request.method != "POST")
    reject(404, "UnknownOperationException",
           "no operation at " + request.method + " /sessions; CreateSession is POST /sessions");
}

// Fills in the result's canonical request and string to sign before the signature is checked,
// so a --verbose log shows them for a request whose signature fails too.
void compute_string_to_sign(const HttpRequest& request, const sigv4x509::ParsedAuthorization& auth,
                            const std::string& amz_date, VerificationResult& result) {
  sigv4x509::CanonicalOptions options;
  options.names_to_sign = auth.signed_headers;
  result.canonical_request = sigv4x509::canonical_request(request, options);
  const std::string scope = sigv4x509::credential_scope(auth.date, auth.region, auth.service);
  result.string_to_sign =
      sigv4x509::string_to_sign(auth.algorithm, amz_date, scope, result.canonical_request);
}

void check_signature(const sigv4x509::ParsedAuthorization& auth, EVP_PKEY* key,
                     const std::string& string_to_sign) {
  const auto signature = decode_hex(auth.signature_hex);
  if (!signature || signature->empty()) deny("Signature is not hex: '" + auth.signature_hex + "'");
  if (!signature_verifies(key, *signature, string_to_sign)) {
    std::string shown = string_to_sign;
    std::replace(shown.begin(), shown.end(), '\n', '|');
    deny(
        "Signature verification failed: the signature does not match the request as "
        "received, signed with the X-Amz-X509 certificate's key. The string to sign here is '" +
        shown +
        "' ('|' = newline); run the emulator with --verbose to see its canonical "
        "request. Was the body or a signed header changed after signing, or signed with "
        "another key?");
  }
}

SessionGrant grant_session(const RequestedSession& session, X509* leaf) {
  SessionGrant grant;
  grant.role_arn = session.role_arn;
  grant.profile_arn = session.profile_arn;
  grant.trust_anchor_arn = session.trust_anchor_arn;
  grant.duration_seconds = session.duration_seconds;
  grant.role_session_name = session.role_session_name;
  grant.instance_properties = session.instance_properties;
  grant.serial_decimal = certificate_serial_decimal(leaf);
  grant.serial_hex = certificate_serial_hex(leaf);
  grant.subject = certificate_subject(leaf);
  grant.common_name = certificate_common_name(leaf);
  return grant;
}

}  // namespace

std::optional<TimePoint> parse_amz_date(std::string_view text) {
  const auto whole_seconds = parse_amz_seconds(text);
  if (!whole_seconds) return std::nullopt;
  return to_time_point(*whole_seconds);
}

VerificationResult verify_create_session(const HttpRequest& request, const EmulatorConfig& config,
                                         TimePoint now) {
  VerificationResult result{ServiceFault{}, {}, {}};
  try {
    check_operation(request);

    const RequestedSession session = read_parameters(request);
    check_served_arns(session, config);

    const std::string amz_date = check_date(request, now);
    required_header(request, "Host");
    required_header(request, "Content-Type");
    const PresentedCertificates certificates = read_certificates(request);
    const auto auth = read_authorization(request);
    X509* leaf = certificates.leaf.get();
    EVP_PKEY* key = X509_get0_pubkey(leaf);
    if (!key) deny("cannot read the public key of the X-Amz-X509 certificate");
    check_algorithm(auth, key);
    check_scope(auth, leaf, amz_date, config);
    check_signed_headers(auth, request, certificates.chain_sent);

    compute_string_to_sign(request, auth, amz_date, result);
    check_signature(auth, key, result.string_to_sign);

    if (auto problem =
            chain_problem(leaf, certificates.chain, config.trust_anchor_certificates, now))
      deny("Untrusted signing certificate: " + *problem);

    result.outcome = grant_session(session, leaf);
  } catch (const Rejection& rejection) {
    result.outcome = rejection.fault;
  } catch (const Error& error) {
    // The shared canonicalisation refused something in the request.
    result.outcome = ServiceFault{400, "ValidationException",
                                  std::string("cannot canonicalise the request: ") + error.what()};
  }
  return result;
}

}  // namespace rolesanywhere::emulator
