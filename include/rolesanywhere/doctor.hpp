// doctor's rules: why IAM Roles Anywhere would refuse a certificate, a chain, a trust anchor, a
// set of ARNs or a clock, found before asking it. Pure functions over parsed values (the time is
// passed in), each giving findings with a stable id, a verdict, what was found and what to do.
//
// The emulator applies the same functions to what it is sent, so doctor and the emulator cannot
// disagree about a rule: a problem doctor reports is a request the emulator refuses.
//
// Reading files, the environment and the service is doctor_run.hpp's; this module needs only
// OpenSSL, so the emulator links it without the client's identity or session code.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/openssl_ptr.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rolesanywhere::doctor {

// --- findings ---

enum class Verdict {
  kOk,
  kWarning,  // works, but worth knowing (an intermediate sent for nothing, a near expiry)
  kProblem,  // Roles Anywhere (or this helper) will refuse it
  kSkipped,  // could not be checked with what was given; says what would let it be checked
};
// "ok", "warning", "problem", "skipped"
std::string_view verdict_name(Verdict verdict);

struct Finding {
  std::string id;  // stable, for tools: "leaf.key_usage", "chain.anchor"
  Verdict verdict = Verdict::kOk;
  std::string what;    // what was found, for a person
  std::string remedy;  // a problem's or warning's fix: the openssl extension line or command
};
using Findings = std::vector<Finding>;

std::size_t count_verdict(const Findings& findings, Verdict verdict);
// The first finding with a problem; null when there is none.
const Finding* first_problem(const Findings& findings);
// Appends `more` to `findings`.
void append(Findings& findings, Findings more);

// How remedies name the flags (or headers) values came from: the library never spells a flag.
// Empty names fall back to a noun ("the intermediate CA certificates").
struct Labels {
  std::string certificate;               // "--certificate"
  std::string private_key;               // "--private-key"
  std::string intermediates;             // "--intermediates" (the emulator: "X-Amz-X509-Chain")
  std::string trust_anchor_certificate;  // "--trust-anchor-certificate" (the emulator: "--ca")
  std::string crl;                       // "--crl"
  std::string trust_anchor_arn;          // "--trust-anchor-arn"
  std::string profile_arn;               // "--profile-arn"
  std::string role_arn;                  // "--role-arn"
  std::string region;                    // "--region"
  std::string endpoint;                  // "--endpoint"
  std::string session_duration;          // "--session-duration"
  std::string online;                    // "--online"
  std::string with_proxy;                // "--with-proxy"
  std::string no_verify_ssl;             // "--no-verify-ssl"
};

// --- the service's documented limits ---

inline constexpr int kMinSessionDuration = 900;
inline constexpr int kMaxSessionDuration = 43200;
// How far the X-Amz-Date of a request may be from the service's clock, either way.
inline constexpr std::chrono::minutes kMaxClockSkew{5};
// A leaf closer than this to its expiry is a warning.
inline constexpr std::chrono::hours kExpiryWarning{24 * 7};

// --- certificates ---

// The signing certificate: X.509 v3 (leaf.version), not a CA (leaf.ca), keyUsage with
// digitalSignature when present (leaf.key_usage), signed with SHA-256 or stronger
// (leaf.algorithm), an RSA key of 2048 bits or more or an EC key on P-256, P-384 or P-521
// (leaf.key), valid at `now` (leaf.validity, a warning in its last week), and a serial number
// that is positive and at most 20 bytes (leaf.serial).
Findings check_leaf(X509* leaf, TimePoint now);

// The chain from `leaf` through `intermediates` (what is sent, in the order sent) to `anchors`
// (the trust anchor's CA certificates; empty when not known): every intermediate on the path a
// CA with keyCertSign (chain.ca), signed with SHA-256 or stronger (chain.algorithm) and valid
// (chain.validity); each signature on the path verifies (chain.signatures); path length
// constraints hold (chain.path_length); the intermediates are sent leaf to root (chain.order)
// and all are needed (chain.unneeded); the path reaches an anchor, or which issuer is missing
// (chain.anchor); the anchor reached (or each, when none is) is a valid CA (anchor.ca,
// anchor.validity). An anchor may be an intermediate CA: the path may stop at any anchor.
Findings check_chain(X509* leaf, const std::vector<X509Ptr>& intermediates,
                     const std::vector<X509Ptr>& anchors, TimePoint now, const Labels& labels);

// check_leaf and check_chain, then OpenSSL's own verification as the last word (chain.verify):
// when no rule found a problem yet OpenSSL refuses the chain (an unknown critical extension, name
// constraints), that is a problem too. Every rule the service applies to a request's certificates.
Findings check_certificates(X509* leaf, const std::vector<X509Ptr>& intermediates,
                            const std::vector<X509Ptr>& anchors, TimePoint now,
                            const Labels& labels);

// Whether the leaf or an intermediate on its path is listed in one of `crls` (a CRL imported
// into the trust anchor) by its issuer, with the CRL's signature checked (revocation).
using X509CrlPtr = std::unique_ptr<X509_CRL, OpensslDeleter<X509_CRL_free>>;
Findings check_revocation(X509* leaf, const std::vector<X509Ptr>& intermediates,
                          const std::vector<X509Ptr>& anchors, const std::vector<X509CrlPtr>& crls,
                          const Labels& labels);

// leaf.key on its own: the key types and sizes Roles Anywhere signs with.
Finding check_key_type(EVP_PKEY* public_key);

// "RSA 2048 bits", "EC P-256", "ED25519"
std::string describe_public_key(EVP_PKEY* key);

// --- ARNs, region, endpoint, duration ---

enum class ArnKind { kTrustAnchor, kProfile, kRole };

struct ArnParts {
  std::string partition;
  std::string service;
  std::string region;
  std::string account;
  std::string resource;  // "trust-anchor/<uuid>", "profile/<uuid>", "role/<path>/<name>"
};

// Splits an ARN into its parts; nullopt when it has fewer than six ':'-separated fields.
std::optional<ArnParts> split_arn(std::string_view arn);
// nullopt when `arn` has the shape the service takes for `kind` (a known partition, 12-digit
// account, a UUID for trust anchors and profiles, role/<name> for roles); otherwise what is
// wrong with it.
std::optional<std::string> arn_problem(std::string_view arn, ArnKind kind);
// nullopt when the three (well-formed) ARNs share partition and account, and the trust anchor
// and profile their region; otherwise which two disagree and how.
std::optional<std::string> arns_disagree(std::string_view trust_anchor_arn,
                                         std::string_view profile_arn, std::string_view role_arn);
// nullopt when `seconds` is within kMinSessionDuration..kMaxSessionDuration.
std::optional<std::string> duration_problem(long long seconds);
// The region an AWS endpoint URL or host names ("https://rolesanywhere.eu-west-1.amazonaws.com"
// -> "eu-west-1", FIPS and VPC endpoints too); nullopt for any other host (the emulator, a
// proxy).
std::optional<std::string> region_of_endpoint(std::string_view url);

struct SessionFacts {
  std::string trust_anchor_arn;  // empty: not given
  std::string profile_arn;
  std::string role_arn;
  int duration_seconds = 3600;
  std::optional<std::string> region;  // --region, when given
  // The endpoint CreateSession goes to, as the helper resolves it; empty with `endpoint_error`
  // saying why when it cannot be resolved.
  std::string endpoint_url;
  std::string endpoint_error;
};
// arn.trust_anchor, arn.profile, arn.role (well-formed), arn.match (they agree), region (the
// signing region is the trust anchor's), endpoint (which one, and that its name's region is the
// signing region), duration (within 900..43200). ARNs not given are one skipped "arn" finding.
Findings check_session(const SessionFacts& session, const Labels& labels);

// --- clock ---

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110's IMF-fixdate) <-> time point.
std::optional<TimePoint> parse_http_date(std::string_view text);
std::string format_http_date(TimePoint time);
// clock: the local clock against the service's Date header; a problem beyond kMaxClockSkew.
Finding check_clock(TimePoint local, TimePoint service);

// --- environment ---

struct Environment {
  // Proxy variables that are set (https_proxy, HTTPS_PROXY, http_proxy, all_proxy, ALL_PROXY,
  // no_proxy, NO_PROXY), name and value.
  std::vector<std::pair<std::string, std::string>> proxy_variables;
  bool with_proxy = false;  // --with-proxy given
};
// env.proxy: which proxy variables are set, whether the helper uses them for `endpoint_url`
// (only with --with-proxy), never showing a user name or password they carry.
Finding check_proxy(const Environment& environment, const std::string& endpoint_url,
                    const Labels& labels);
// `url` with any user information (user:password@) replaced by "***@".
std::string without_userinfo(std::string_view url);

// A credential_process line of an AWS config file.
struct ConfiguredProcess {
  std::string profile;             // "default", or NAME of [profile NAME]
  std::vector<std::string> words;  // the command split as the AWS CLI does (shlex)
  std::string split_error;   // why the line could not be split (a quote open); empty when it was
  std::string split_remedy;  // what mends it ("close the quote")
};
// An AWS config file's text as the AWS CLI reads it.
struct AwsConfig {
  std::vector<ConfiguredProcess> processes;  // every credential_process in it
  // Why the AWS CLI reads none of it (every command fails with "Unable to parse config file"):
  // "line 7: [profile web] appears a second time (first on line 3)"; empty when it reads it.
  // The processes are then those of a lenient reading, as they will be once that line is mended.
  std::string refusal;
  std::string refusal_remedy;
};
AwsConfig read_aws_config(std::string_view config_text);
// Every credential_process in an AWS config file's text (read_aws_config's processes).
std::vector<ConfiguredProcess> credential_processes(std::string_view config_text);
// Words as Python's shlex.split makes them (the AWS CLI does): blanks separate, '...' and "..."
// quote (in "..." a backslash escapes only \ and "), backslash escapes; nullopt when a
// quote is left open or a backslash ends the text (the AWS CLI's shlex refuses both).
std::optional<std::vector<std::string>> split_shell_words(std::string_view command);
// True when the words run this helper's credential-process (rolesanywhere-helper, by any path).
bool runs_this_helper(const std::vector<std::string>& words);
// env.config: one line for a profile, from the findings of its own checks: ok when they found no
// problem, else the first problem (and how many more).
Finding summarize_profile(const std::string& profile, const std::string& config_file,
                          const Findings& findings);

// --- the service's answer ---

// online: what a refusal (the service's error type and message) means, with what the local
// checks found that explains it, or where to look when they found nothing.
Finding explain_refusal(const std::string& error_type, const std::string& message,
                        const Findings& local, const Labels& labels);

}  // namespace rolesanywhere::doctor
