// The chain's rules: the intermediates and the trust anchor as Roles Anywhere's trust model wants
// them (CA certificates with keyCertSign, SHA-256 or stronger, valid), a path whose signatures
// verify within the path length constraints, and one that ends at the trust anchor.
#include "chain_path.hpp"
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/text.hpp"
#include "x509_facts.hpp"

#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>

namespace rolesanywhere::doctor {

namespace {

using namespace doctor_detail;
using End = ChainPath::End;

std::string plural(std::size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string join(const std::vector<std::string>& parts, const std::string& separator = "; ") {
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : separator) + part;
  return text;
}

std::string intermediates_label(const Labels& labels) {
  return label_or(labels.intermediates, "the intermediate CA certificates sent");
}

std::string anchor_label(const Labels& labels) {
  return label_or(labels.trust_anchor_certificate, "the trust anchor's certificates");
}

std::string anchor_names(const std::vector<X509Ptr>& anchors) {
  std::vector<std::string> names;
  for (const auto& anchor : anchors) names.push_back(subject(anchor.get()));
  return join(names, " and ");
}

// The intermediates on the path (not the leaf, not an anchor at its end).
std::vector<X509*> path_intermediates(const ChainPath& path) {
  std::vector<X509*> middle;
  const std::size_t end =
      path.end == End::kAnchor ? path.certificates.size() - 1 : path.certificates.size();
  for (std::size_t i = 1; i < end; ++i) middle.push_back(path.certificates[i]);
  return middle;
}

// Why `certificate` cannot issue certificates; empty when it can.
std::string not_a_ca(X509* certificate) {
  if (!says_ca(certificate))
    return subject(certificate) + " is not a CA (" +
           (has_basic_constraints(certificate) ? "basicConstraints CA:FALSE"
                                               : "no basicConstraints CA:TRUE") +
           ")";
  if (!(key_usage(certificate) & KU_KEY_CERT_SIGN))
    return subject(certificate) + "'s keyUsage (" + key_usage_text(key_usage(certificate)) +
           ") lacks keyCertSign";
  return "";
}

constexpr const char* kCaExtensions =
    "\"basicConstraints = critical, CA:TRUE\" and \"keyUsage = critical, keyCertSign, "
    "cRLSign\"";

std::optional<Finding> ca_rule(const std::vector<X509*>& middle, const Labels& labels) {
  if (middle.empty()) return std::nullopt;
  std::vector<std::string> problems;
  for (X509* certificate : middle)
    if (auto why = not_a_ca(certificate); !why.empty()) problems.push_back(why);
  if (problems.empty())
    return Finding{"chain.ca", Verdict::kOk,
                   plural(middle.size(), "intermediate", "intermediates") +
                       " on the path, each a CA with keyCertSign",
                   ""};
  return Finding{"chain.ca", Verdict::kProblem,
                 join(problems) + ": only a CA certificate may issue the next one",
                 "have the intermediate issued again as a CA, with " + std::string(kCaExtensions) +
                     "; a certificate that is no CA does not belong in " +
                     intermediates_label(labels)};
}

std::optional<Finding> algorithm_rule(const std::vector<X509*>& middle) {
  if (middle.empty()) return std::nullopt;
  std::vector<std::string> problems;
  for (X509* certificate : middle) {
    const SignatureAlgorithm algorithm = signature_algorithm(certificate);
    if (!algorithm.acceptable)
      problems.push_back(subject(certificate) + " is signed with " + algorithm.name);
  }
  if (problems.empty())
    return Finding{"chain.algorithm", Verdict::kOk,
                   "the intermediates are signed with SHA-256 or stronger", ""};
  return Finding{"chain.algorithm", Verdict::kProblem,
                 join(problems) + ": Roles Anywhere wants SHA-256 or stronger (no MD5, no SHA-1)",
                 "have the issuing CA sign the intermediate again with SHA-256 (`openssl ca -md "
                 "sha256 ...`)"};
}

std::string validity_problem(X509* certificate, TimePoint now) {
  const Validity validity = validity_at(certificate, now);
  if (validity.not_yet_valid)
    return subject(certificate) + " is not valid until " + validity.not_before;
  if (validity.expired) return subject(certificate) + " expired on " + validity.not_after;
  return "";
}

std::optional<Finding> validity_rule(const std::vector<X509*>& middle, TimePoint now) {
  if (middle.empty()) return std::nullopt;
  std::vector<std::string> problems;
  for (X509* certificate : middle)
    if (auto why = validity_problem(certificate, now); !why.empty()) problems.push_back(why);
  if (problems.empty())
    return Finding{"chain.validity", Verdict::kOk, "the intermediates are valid now", ""};
  return Finding{"chain.validity", Verdict::kProblem, join(problems),
                 "renew the intermediate CA certificate (and put the renewed one in the chain)"};
}

std::optional<Finding> signatures_rule(const ChainPath& path) {
  const auto& certificates = path.certificates;
  if (certificates.size() < 2) return std::nullopt;
  for (std::size_t i = 0; i + 1 < certificates.size(); ++i) {
    if (signed_by(certificates[i], certificates[i + 1])) continue;
    return Finding{"chain.signatures", Verdict::kProblem,
                   "the signature on " + subject(certificates[i]) +
                       " does not verify with the key of " + subject(certificates[i + 1]) +
                       ": a CA of that name, but not the one that signed it (an older or "
                       "reissued CA?)",
                   "use the CA certificate that really issued it: its subjectKeyIdentifier "
                   "(`openssl x509 -noout -ext subjectKeyIdentifier -in CA`) is the "
                   "certificate's authorityKeyIdentifier (`-ext authorityKeyIdentifier`)"};
  }
  return Finding{"chain.signatures", Verdict::kOk,
                 "each signature on the path verifies (" +
                     plural(certificates.size() - 1, "signature", "signatures") + ")",
                 ""};
}

std::optional<Finding> path_length_rule(const ChainPath& path) {
  const auto& certificates = path.certificates;
  if (certificates.size() < 3) return std::nullopt;
  for (std::size_t i = 2; i < certificates.size(); ++i) {
    const long allowed = path_length(certificates[i]);
    const std::size_t below = i - 1;  // CA certificates between it and the leaf
    if (allowed < 0 || below <= static_cast<std::size_t>(allowed)) continue;
    std::vector<std::string> below_names;
    for (std::size_t j = 1; j < i; ++j) below_names.push_back(subject(certificates[j]));
    return Finding{"chain.path_length", Verdict::kProblem,
                   subject(certificates[i]) + " allows " +
                       plural(static_cast<std::size_t>(allowed), "CA", "CAs") +
                       " below it (pathlen:" + std::to_string(allowed) + ") but the path has " +
                       std::to_string(below) + ": " + join(below_names, ", "),
                   "issue the leaf from a CA the constraint allows, or issue " +
                       subject(certificates[i]) +
                       " again with a larger \"basicConstraints = critical, CA:TRUE, pathlen:N\""};
  }
  return Finding{"chain.path_length", Verdict::kOk, "the path length constraints hold", ""};
}

std::optional<Finding> order_rule(const ChainPath& path, const std::vector<X509Ptr>& intermediates,
                                  const Labels& labels) {
  if (path.used.size() < 2) return std::nullopt;
  if (std::is_sorted(path.used.begin(), path.used.end()))
    return Finding{"chain.order", Verdict::kOk, "the intermediates are sent leaf to root", ""};
  std::vector<std::string> sent, wanted;
  std::vector<std::size_t> sorted = path.used;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i : sorted) sent.push_back(subject(intermediates[i].get()));
  for (std::size_t i : path.used) wanted.push_back(subject(intermediates[i].get()));
  return Finding{"chain.order", Verdict::kWarning,
                 "the intermediates are sent in the order " + join(sent, ", then ") +
                     "; leaf to root is " + join(wanted, ", then "),
                 "list them in " + intermediates_label(labels) +
                     " from the certificate's issuer up to the root"};
}

std::optional<Finding> unneeded_rule(const ChainPath& path,
                                     const std::vector<X509Ptr>& intermediates,
                                     const std::vector<X509Ptr>& anchors, const Labels& labels) {
  if (intermediates.empty()) return std::nullopt;
  std::vector<std::string> unused;
  for (std::size_t i = 0; i < intermediates.size(); ++i) {
    if (std::find(path.used.begin(), path.used.end(), i) != path.used.end()) continue;
    X509* certificate = intermediates[i].get();
    const bool is_anchor = std::any_of(anchors.begin(), anchors.end(), [&](const X509Ptr& a) {
      return X509_cmp(a.get(), certificate) == 0;
    });
    unused.push_back(subject(certificate) + (is_anchor ? " (the trust anchor itself)" : ""));
  }
  if (unused.empty())
    return Finding{"chain.unneeded", Verdict::kOk, "every intermediate sent is on the path", ""};
  return Finding{"chain.unneeded", Verdict::kWarning,
                 "sent but not on the path to the trust anchor: " + join(unused, ", "),
                 "leave " + std::string(unused.size() == 1 ? "it" : "them") + " out of " +
                     intermediates_label(labels)};
}

Finding anchor_rule(const ChainPath& path, const std::vector<X509Ptr>& intermediates,
                    const std::vector<X509Ptr>& anchors, const Labels& labels) {
  X509* top = path.certificates.back();
  const std::string register_hint =
      "register it in the trust anchor (and give it as " + anchor_label(labels) + ")";
  if (anchors.empty()) {
    std::string what =
        "not checked: no trust anchor certificate given; the path ends at " + subject(top);
    if (path.end == End::kMissingIssuer)
      what += ", whose issuer " + path.missing_issuer + " is not among the certificates given";
    return {
        "chain.anchor", Verdict::kSkipped, what,
        "give " + anchor_label(labels) + ": the CA certificate(s) registered in the trust anchor"};
  }
  switch (path.end) {
    case End::kAnchor:
      return {"chain.anchor", Verdict::kOk,
              "reaches the trust anchor " + subject(top) +
                  (path.used.empty()
                       ? " directly"
                       : " through " + plural(path.used.size(), "intermediate", "intermediates")),
              ""};
    case End::kForeignRoot:
      return {"chain.anchor", Verdict::kProblem,
              "the chain ends at the root " + subject(top) +
                  ", which is not the trust anchor (it holds " + anchor_names(anchors) + ")",
              "the trust anchor must hold the root that signed the chain: " + register_hint +
                  ", or have the certificate issued under the CA the trust anchor holds"};
    case End::kMissingIssuer:
      return {"chain.anchor", Verdict::kProblem,
              "the chain does not reach the trust anchor: missing issuer " + path.missing_issuer +
                  " (of " + subject(top) + "), neither " +
                  (intermediates.empty() ? "sent as an intermediate" : "among the intermediates") +
                  " nor in the trust anchor (it holds " + anchor_names(anchors) + ")",
              "if " + path.missing_issuer + " is an intermediate CA, send its certificate in " +
                  intermediates_label(labels) + "; if it is the CA Roles Anywhere should trust, " +
                  register_hint};
    case End::kTooLong:
      break;
  }
  return {"chain.anchor", Verdict::kProblem,
          "the chain does not reach the trust anchor within " + std::to_string(kMaxPathLength) +
              " certificates",
          "send only the intermediates from the certificate's issuer up to the trust anchor"};
}

// The anchor the path reached, or every anchor when it reached none.
std::vector<X509*> anchors_to_check(const ChainPath& path, const std::vector<X509Ptr>& anchors) {
  if (path.end == End::kAnchor && path.certificates.size() > 1) return {path.certificates.back()};
  std::vector<X509*> all;
  for (const auto& anchor : anchors) all.push_back(anchor.get());
  return all;
}

Findings anchor_certificate_rules(const std::vector<X509*>& anchors, TimePoint now) {
  if (anchors.empty()) return {};
  std::vector<std::string> not_ca, invalid, names;
  for (X509* anchor : anchors) {
    names.push_back(subject(anchor));
    if (auto why = not_a_ca(anchor); !why.empty()) not_ca.push_back(why);
    if (auto why = validity_problem(anchor, now); !why.empty()) invalid.push_back(why);
  }
  Findings findings;
  if (not_ca.empty())
    findings.push_back({"anchor.ca", Verdict::kOk,
                        "the trust anchor " + join(names, " and ") + " is a CA with keyCertSign",
                        ""});
  else
    findings.push_back(
        {"anchor.ca", Verdict::kProblem,
         "the trust anchor: " + join(not_ca) + "; Roles Anywhere trusts only a CA certificate",
         "register the CA certificate that issues the chain, one with " +
             std::string(kCaExtensions)});
  if (invalid.empty())
    findings.push_back({"anchor.validity", Verdict::kOk, "the trust anchor is valid now", ""});
  else
    findings.push_back({"anchor.validity", Verdict::kProblem, "the trust anchor: " + join(invalid),
                        "renew the CA certificate and register the renewed one in the trust "
                        "anchor (certificates it issued stay valid under the same key)"});
  return findings;
}

struct X509StackDeleter {
  // The stack only borrows its certificates; they belong to the caller's X509Ptrs.
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_free(stack); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// OpenSSL's verdict on the whole chain, as the last word: whatever the rules above do not name
// (an unknown critical extension, name constraints, a policy) still counts. nullopt: verified.
std::optional<std::string> openssl_verdict(X509* leaf, const std::vector<X509Ptr>& intermediates,
                                           const std::vector<X509Ptr>& anchors, TimePoint now) {
  X509StorePtr store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr context(X509_STORE_CTX_new());
  if (!store || !untrusted || !context) return "out of memory while verifying the chain";
  for (const auto& anchor : anchors)
    if (X509_STORE_add_cert(store.get(), anchor.get()) != 1)
      return "cannot add a trust anchor certificate: " + openssl_error_text();
  for (const auto& intermediate : intermediates)
    if (!sk_X509_push(untrusted.get(), intermediate.get()))
      return "out of memory while verifying the chain";
  if (X509_STORE_CTX_init(context.get(), store.get(), leaf, untrusted.get()) != 1)
    return "cannot start chain verification: " + openssl_error_text();
  X509_STORE_CTX_set_time(context.get(), 0, std::chrono::system_clock::to_time_t(now));
  // The trust anchor may be an intermediate CA: the chain may stop at any anchor certificate.
  X509_STORE_CTX_set_flags(context.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_verify_cert(context.get()) == 1) return std::nullopt;

  const int error = X509_STORE_CTX_get_error(context.get());
  const int depth = X509_STORE_CTX_get_error_depth(context.get());
  X509* culprit = X509_STORE_CTX_get_current_cert(context.get());
  std::string text = X509_verify_cert_error_string(error);
  text += " (OpenSSL verify error " + std::to_string(error) + " at depth " + std::to_string(depth);
  if (culprit) text += ", certificate " + subject(culprit);
  openssl_error_text();  // leaves the queue empty
  return text + ")";
}

}  // namespace

Findings check_chain(X509* leaf, const std::vector<X509Ptr>& intermediates,
                     const std::vector<X509Ptr>& anchors, TimePoint now, const Labels& labels) {
  const ChainPath path = build_chain_path(leaf, intermediates, anchors);
  const std::vector<X509*> middle = path_intermediates(path);
  Findings findings;
  for (auto finding :
       {ca_rule(middle, labels), algorithm_rule(middle), validity_rule(middle, now),
        signatures_rule(path), path_length_rule(path), order_rule(path, intermediates, labels),
        unneeded_rule(path, intermediates, anchors, labels)})
    if (finding) findings.push_back(std::move(*finding));
  findings.push_back(anchor_rule(path, intermediates, anchors, labels));
  append(findings, anchor_certificate_rules(anchors_to_check(path, anchors), now));
  return findings;
}

Findings check_certificates(X509* leaf, const std::vector<X509Ptr>& intermediates,
                            const std::vector<X509Ptr>& anchors, TimePoint now,
                            const Labels& labels) {
  Findings findings = check_leaf(leaf, now);
  append(findings, check_chain(leaf, intermediates, anchors, now, labels));
  if (anchors.empty()) return findings;
  const auto verdict = openssl_verdict(leaf, intermediates, anchors, now);
  if (!verdict) {
    findings.push_back({"chain.verify", Verdict::kOk, "OpenSSL verifies the chain", ""});
  } else if (!first_problem(findings)) {
    // The rules above found nothing, yet the chain does not verify: say what OpenSSL says.
    findings.push_back({"chain.verify", Verdict::kProblem,
                        "OpenSSL does not verify the chain: " + *verdict,
                        "`openssl verify -partial_chain -CAfile ANCHOR -untrusted CHAIN CERT` "
                        "shows the same; fix what it names"});
  }
  return findings;
}

}  // namespace rolesanywhere::doctor
