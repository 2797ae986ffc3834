// doctor's rules, each on certificates built with exactly the property it is about: the verdict,
// and that the finding says what was found and what to do.
#include "emulator/certificate_chain.hpp"
#include "rolesanywhere/doctor.hpp"
#include "test_doctor_fixtures.hpp"

#include <doctest/doctest.h>
#include <openssl/obj_mac.h>

using namespace rolesanywhere;
using namespace rolesanywhere::doctor;
using namespace doctor_test;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const TimePoint kNow = std::chrono::system_clock::from_time_t(1796000000);  // 2026-11-30

// A small PKI: root -> intermediate (pathlen:0) -> leaf, all P-256.
struct Pki {
  EvpPkeyPtr root_key = ec_key();
  EvpPkeyPtr intermediate_key = ec_key();
  EvpPkeyPtr leaf_key = ec_key();
  X509Ptr root;
  X509Ptr intermediate;

  Pki() {
    CertificateSpec spec;
    spec.common_name = "Root";
    spec.key = root_key.get();
    spec.extensions = ca_extensions();
    spec.not_after = std::chrono::hours(24 * 3650);
    root = make_certificate(spec, kNow);
    spec.common_name = "Intermediate";
    spec.key = intermediate_key.get();
    spec.issuer = root.get();
    spec.issuer_key = root_key.get();
    spec.extensions = ca_extensions("0");
    intermediate = make_certificate(spec, kNow);
  }

  // A leaf the intermediate issues; `change` adjusts the spec first.
  template <typename Change>
  X509Ptr leaf(Change change) {
    CertificateSpec spec;
    spec.key = leaf_key.get();
    spec.issuer = intermediate.get();
    spec.issuer_key = intermediate_key.get();
    spec.extensions = leaf_extensions();
    change(spec);
    return make_certificate(spec, kNow);
  }
  X509Ptr leaf() {
    return leaf([](CertificateSpec&) {});
  }
  std::vector<X509Ptr> chain() const {
    std::vector<X509Ptr> list;
    list.push_back(copy(intermediate.get()));
    return list;
  }
  std::vector<X509Ptr> anchors() const {
    std::vector<X509Ptr> list;
    list.push_back(copy(root.get()));
    return list;
  }
};

Pki& pki() {
  static Pki instance;
  return instance;
}

Labels cli_labels() {
  Labels labels;
  labels.intermediates = "--intermediates";
  labels.trust_anchor_certificate = "--trust-anchor-certificate";
  labels.region = "--region";
  labels.endpoint = "--endpoint";
  labels.session_duration = "--session-duration";
  labels.with_proxy = "--with-proxy";
  return labels;
}

Findings leaf_findings(X509* leaf) { return check_leaf(leaf, kNow); }

Findings all_findings(X509* leaf, const std::vector<X509Ptr>& chain,
                      const std::vector<X509Ptr>& anchors) {
  return check_certificates(leaf, chain, anchors, kNow, cli_labels());
}

}  // namespace

TEST_CASE("doctor rules: a good leaf, chain and anchor are ok throughout") {
  const X509Ptr leaf = pki().leaf();
  const Findings findings = all_findings(leaf.get(), pki().chain(), pki().anchors());
  CHECK(ids_with(findings, Verdict::kProblem).empty());
  CHECK(ids_with(findings, Verdict::kWarning).empty());
  for (const char* id :
       {"leaf.version", "leaf.ca", "leaf.key_usage", "leaf.algorithm", "leaf.key", "leaf.validity",
        "leaf.serial", "chain.ca", "chain.algorithm", "chain.validity", "chain.signatures",
        "chain.path_length", "chain.unneeded", "chain.anchor", "anchor.ca", "anchor.validity",
        "chain.verify"}) {
    CAPTURE(id);
    CHECK(finding(findings, id).verdict == Verdict::kOk);
  }
  CHECK(contains(finding(findings, "chain.anchor").what, "reaches the trust anchor CN=Root"));
  CHECK(contains(finding(findings, "leaf.validity").what, "30 days left"));
  CHECK_FALSE(emulator::chain_problem(leaf.get(), pki().chain(), pki().anchors(), kNow));
}

TEST_CASE("doctor rules: the leaf must be X.509 v3") {
  const X509Ptr leaf = pki().leaf([](CertificateSpec& spec) { spec.v1 = true; });
  const Finding& f = finding(leaf_findings(leaf.get()), "leaf.version");
  CHECK(f.verdict == Verdict::kProblem);
  CHECK(contains(f.what, "X.509 v1"));
  CHECK(contains(f.remedy, "extfile"));
}

TEST_CASE("doctor rules: a CA certificate cannot be the signing certificate") {
  const X509Ptr leaf = pki().leaf([](CertificateSpec& spec) {
    spec.extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                       {NID_key_usage, "critical,digitalSignature"}};
  });
  const Finding& f = finding(leaf_findings(leaf.get()), "leaf.ca");
  CHECK(f.verdict == Verdict::kProblem);
  CHECK(contains(f.remedy, "basicConstraints = critical, CA:FALSE"));
  // No basicConstraints at all is an end-entity certificate too.
  const X509Ptr bare = pki().leaf([](CertificateSpec& spec) {
    spec.extensions = {{NID_key_usage, "critical,digitalSignature"}};
  });
  CHECK(finding(leaf_findings(bare.get()), "leaf.ca").verdict == Verdict::kOk);
}

TEST_CASE("doctor rules: keyUsage, when present, must include digitalSignature") {
  const X509Ptr encipher = pki().leaf([](CertificateSpec& spec) {
    spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                       {NID_key_usage, "critical,keyEncipherment"}};
  });
  const Finding& f = finding(leaf_findings(encipher.get()), "leaf.key_usage");
  CHECK(f.verdict == Verdict::kProblem);
  CHECK(contains(f.what, "keyEncipherment, without digitalSignature"));
  CHECK(contains(f.remedy, "keyUsage = critical, digitalSignature"));
  const X509Ptr none = pki().leaf([](CertificateSpec& spec) {
    spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"}};
  });
  CHECK(finding(leaf_findings(none.get()), "leaf.key_usage").verdict == Verdict::kOk);
}

TEST_CASE("doctor rules: MD5 and SHA-1 signatures are refused, SHA-256 and up accepted") {
  for (const EVP_MD* digest : {EVP_sha1(), EVP_sha224()}) {
    const X509Ptr leaf = pki().leaf([&](CertificateSpec& spec) { spec.digest = digest; });
    CHECK(finding(leaf_findings(leaf.get()), "leaf.algorithm").verdict == Verdict::kProblem);
  }
  for (const EVP_MD* digest : {EVP_sha256(), EVP_sha384(), EVP_sha512()}) {
    const X509Ptr leaf = pki().leaf([&](CertificateSpec& spec) { spec.digest = digest; });
    CHECK(finding(leaf_findings(leaf.get()), "leaf.algorithm").verdict == Verdict::kOk);
  }
  const X509Ptr sha1 = pki().leaf([](CertificateSpec& spec) { spec.digest = EVP_sha1(); });
  CHECK(contains(finding(leaf_findings(sha1.get()), "leaf.algorithm").what, "ecdsa-with-SHA1"));
}

TEST_CASE("doctor rules: RSA of 2048 bits or more and EC on P-256, P-384, P-521 only") {
  CHECK(check_key_type(rsa_key(1024).get()).verdict == Verdict::kProblem);
  CHECK(contains(check_key_type(rsa_key(1024).get()).what, "RSA 1024 bits"));
  CHECK(check_key_type(rsa_key(2048).get()).verdict == Verdict::kOk);
  for (const char* curve : {"P-256", "P-384", "P-521"}) {
    CAPTURE(curve);
    CHECK(check_key_type(ec_key(curve).get()).verdict == Verdict::kOk);
  }
  for (const char* curve : {"secp256k1", "P-224"}) {
    CAPTURE(curve);
    CHECK(check_key_type(ec_key(curve).get()).verdict == Verdict::kProblem);
  }
  EvpPkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  REQUIRE(ed25519);
  CHECK(check_key_type(ed25519.get()).verdict == Verdict::kProblem);
  CHECK(contains(check_key_type(ed25519.get()).remedy, "ec_paramgen_curve:P-256"));
}

TEST_CASE("doctor rules: validity now, with the days left, and a warning in the last week") {
  using std::chrono::hours;
  const X509Ptr expired = pki().leaf([](CertificateSpec& spec) {
    spec.not_before = -hours(24 * 60);
    spec.not_after = -hours(24 * 3);
  });
  const Finding& e = finding(leaf_findings(expired.get()), "leaf.validity");
  CHECK(e.verdict == Verdict::kProblem);
  CHECK(contains(e.what, "expired on"));
  CHECK(contains(e.what, "(3 days ago)"));
  const X509Ptr early = pki().leaf([](CertificateSpec& spec) {
    spec.not_before = hours(24 * 2);
    spec.not_after = hours(24 * 40);
  });
  CHECK(contains(finding(leaf_findings(early.get()), "leaf.validity").what, "not valid until"));
  const X509Ptr soon = pki().leaf([](CertificateSpec& spec) { spec.not_after = hours(24 * 3); });
  const Finding& s = finding(leaf_findings(soon.get()), "leaf.validity");
  CHECK(s.verdict == Verdict::kWarning);
  CHECK(contains(s.what, "3 days left"));
}

TEST_CASE("doctor rules: the serial number is positive and at most 20 bytes") {
  for (long serial : {0L, -5L}) {
    CAPTURE(serial);
    const X509Ptr leaf = pki().leaf([&](CertificateSpec& spec) { spec.serial = serial; });
    const Finding& f = finding(leaf_findings(leaf.get()), "leaf.serial");
    CHECK(f.verdict == Verdict::kProblem);
    CHECK(contains(f.what, "is not positive"));
  }
  // 20 bytes of content: 19 bytes with the top bit clear plus... the largest allowed is 0x7f..
  // (20 bytes); 0x80.. of 20 bytes needs a 21st, leading zero byte.
  const X509Ptr twenty =
      pki().leaf([](CertificateSpec& spec) { spec.serial_hex = "7f" + std::string(38, 'a'); });
  CHECK(finding(leaf_findings(twenty.get()), "leaf.serial").verdict == Verdict::kOk);
  const X509Ptr twenty_one =
      pki().leaf([](CertificateSpec& spec) { spec.serial_hex = "80" + std::string(38, 'a'); });
  const Finding& f = finding(leaf_findings(twenty_one.get()), "leaf.serial");
  CHECK(f.verdict == Verdict::kProblem);
  CHECK(contains(f.what, "takes 21 bytes"));
}

TEST_CASE("doctor rules: a missing intermediate is named as the missing issuer") {
  const X509Ptr leaf = pki().leaf();
  const Findings findings = all_findings(leaf.get(), {}, pki().anchors());
  CHECK(ids_with(findings, Verdict::kProblem) == std::vector<std::string>{"chain.anchor"});
  const Finding& f = finding(findings, "chain.anchor");
  CHECK(contains(f.what, "missing issuer CN=Intermediate"));
  CHECK(contains(f.remedy, "send its certificate in --intermediates"));
  // The emulator refuses it, naming the same check and where the intermediate goes.
  const auto refusal = emulator::chain_problem(leaf.get(), {}, pki().anchors(), kNow);
  REQUIRE(refusal);
  CHECK(contains(*refusal, "missing issuer CN=Intermediate"));
  CHECK(contains(*refusal, "X-Amz-X509-Chain"));
  CHECK(contains(*refusal, "[doctor: chain.anchor]"));
}

TEST_CASE("doctor rules: a chain ending at another root names the root and the anchor") {
  EvpPkeyPtr other_key = ec_key();
  CertificateSpec spec;
  spec.common_name = "Other Root";
  spec.key = other_key.get();
  spec.extensions = ca_extensions();
  const X509Ptr other_root = make_certificate(spec, kNow);
  const X509Ptr leaf = pki().leaf([&](CertificateSpec& leaf_spec) {
    leaf_spec.issuer = other_root.get();
    leaf_spec.issuer_key = other_key.get();
  });
  std::vector<X509Ptr> chain;
  chain.push_back(copy(other_root.get()));
  const Finding& f = finding(all_findings(leaf.get(), chain, pki().anchors()), "chain.anchor");
  CHECK(f.verdict == Verdict::kProblem);
  CHECK(contains(f.what, "ends at the root CN=Other Root, which is not the trust anchor"));
  CHECK(contains(f.what, "it holds CN=Root"));
}

TEST_CASE("doctor rules: without a trust anchor the chain's end is said, not judged") {
  const X509Ptr leaf = pki().leaf();
  const Findings findings = all_findings(leaf.get(), {}, {});
  const Finding& f = finding(findings, "chain.anchor");
  CHECK(f.verdict == Verdict::kSkipped);
  CHECK(contains(f.what, "whose issuer CN=Intermediate is not among the certificates given"));
  CHECK(contains(f.remedy, "--trust-anchor-certificate"));
  CHECK(ids_with(findings, Verdict::kProblem).empty());
}

TEST_CASE("doctor rules: the trust anchor may be an intermediate CA") {
  const X509Ptr leaf = pki().leaf();
  std::vector<X509Ptr> anchors;
  anchors.push_back(copy(pki().intermediate.get()));
  const Findings findings = all_findings(leaf.get(), {}, anchors);
  CHECK(ids_with(findings, Verdict::kProblem).empty());
  CHECK(contains(finding(findings, "chain.anchor").what, "CN=Intermediate directly"));
}

TEST_CASE("doctor rules: an intermediate must be a CA with keyCertSign") {
  for (const std::string basic : {"critical,CA:FALSE", "critical,CA:TRUE"}) {
    CAPTURE(basic);
    EvpPkeyPtr key = ec_key();
    CertificateSpec spec;
    spec.common_name = "Middle";
    spec.key = key.get();
    spec.issuer = pki().root.get();
    spec.issuer_key = pki().root_key.get();
    spec.extensions = {{NID_basic_constraints, basic},
                       {NID_key_usage, basic.ends_with("FALSE") ? "critical,keyCertSign"
                                                                : "critical,digitalSignature"}};
    const X509Ptr middle = make_certificate(spec, kNow);
    const X509Ptr leaf = pki().leaf([&](CertificateSpec& leaf_spec) {
      leaf_spec.issuer = middle.get();
      leaf_spec.issuer_key = key.get();
    });
    std::vector<X509Ptr> chain;
    chain.push_back(copy(middle.get()));
    const Findings findings = all_findings(leaf.get(), chain, pki().anchors());
    CHECK(ids_with(findings, Verdict::kProblem) == std::vector<std::string>{"chain.ca"});
    CHECK(contains(finding(findings, "chain.ca").what,
                   basic.ends_with("FALSE") ? "CN=Middle is not a CA" : "lacks keyCertSign"));
  }
}

TEST_CASE("doctor rules: a signature by another key of the same CA name does not verify") {
  EvpPkeyPtr impostor_key = ec_key();
  const X509Ptr leaf = pki().leaf([&](CertificateSpec& spec) {
    spec.issuer_key = impostor_key.get();  // named as the intermediate, signed by another key
  });
  const Findings findings = all_findings(leaf.get(), pki().chain(), pki().anchors());
  CHECK(ids_with(findings, Verdict::kProblem) == std::vector<std::string>{"chain.signatures"});
  CHECK(contains(finding(findings, "chain.signatures").what,
                 "the signature on CN=leaf does not verify with the key of CN=Intermediate"));
}

TEST_CASE("doctor rules: path length constraints are respected") {
  EvpPkeyPtr below_key = ec_key();
  CertificateSpec spec;
  spec.common_name = "Below";
  spec.key = below_key.get();
  spec.issuer = pki().intermediate.get();
  spec.issuer_key = pki().intermediate_key.get();
  spec.extensions = ca_extensions();
  const X509Ptr below = make_certificate(spec, kNow);
  const X509Ptr leaf = pki().leaf([&](CertificateSpec& leaf_spec) {
    leaf_spec.issuer = below.get();
    leaf_spec.issuer_key = below_key.get();
  });
  std::vector<X509Ptr> chain;
  chain.push_back(copy(below.get()));
  chain.push_back(copy(pki().intermediate.get()));
  const Findings findings = all_findings(leaf.get(), chain, pki().anchors());
  CHECK(ids_with(findings, Verdict::kProblem) == std::vector<std::string>{"chain.path_length"});
  CHECK(contains(finding(findings, "chain.path_length").what,
                 "CN=Intermediate allows 0 CAs below it (pathlen:0) but the path has 1: CN=Below"));
}

TEST_CASE("doctor rules: intermediates out of order, or not needed, are warnings") {
  EvpPkeyPtr sub_key = ec_key();
  EvpPkeyPtr mid_key = ec_key();
  CertificateSpec spec;
  spec.common_name = "Mid";
  spec.key = mid_key.get();
  spec.issuer = pki().root.get();
  spec.issuer_key = pki().root_key.get();
  spec.extensions = ca_extensions();
  const X509Ptr mid = make_certificate(spec, kNow);
  spec.common_name = "Sub";
  spec.key = sub_key.get();
  spec.issuer = mid.get();
  spec.issuer_key = mid_key.get();
  const X509Ptr sub = make_certificate(spec, kNow);
  const X509Ptr leaf = pki().leaf([&](CertificateSpec& leaf_spec) {
    leaf_spec.issuer = sub.get();
    leaf_spec.issuer_key = sub_key.get();
  });
  std::vector<X509Ptr> reversed;
  reversed.push_back(copy(mid.get()));
  reversed.push_back(copy(sub.get()));
  reversed.push_back(copy(pki().intermediate.get()));  // not on this path at all
  const Findings findings = all_findings(leaf.get(), reversed, pki().anchors());
  CHECK(ids_with(findings, Verdict::kProblem).empty());
  CHECK(ids_with(findings, Verdict::kWarning) ==
        std::vector<std::string>{"chain.order", "chain.unneeded"});
  CHECK(contains(finding(findings, "chain.order").what, "leaf to root is CN=Sub, then CN=Mid"));
  CHECK(contains(finding(findings, "chain.unneeded").what, "CN=Intermediate"));
  // The emulator accepts what doctor only warns about.
  CHECK_FALSE(emulator::chain_problem(leaf.get(), reversed, pki().anchors(), kNow));
}

TEST_CASE("doctor rules: the trust anchor must be a valid CA") {
  EvpPkeyPtr key = ec_key();
  CertificateSpec spec;
  spec.common_name = "Not A CA";
  spec.key = key.get();
  spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,keyCertSign"}};
  const X509Ptr anchor = make_certificate(spec, kNow);
  const X509Ptr leaf = pki().leaf([&](CertificateSpec& leaf_spec) {
    leaf_spec.issuer = anchor.get();
    leaf_spec.issuer_key = key.get();
  });
  std::vector<X509Ptr> anchors;
  anchors.push_back(copy(anchor.get()));
  Findings findings = all_findings(leaf.get(), {}, anchors);
  CHECK(ids_with(findings, Verdict::kProblem) == std::vector<std::string>{"anchor.ca"});

  spec.common_name = "Old Root";
  spec.extensions = ca_extensions();
  spec.not_before = -std::chrono::hours(24 * 400);
  spec.not_after = -std::chrono::hours(24);
  const X509Ptr old_root = make_certificate(spec, kNow);
  const X509Ptr leaf2 = pki().leaf([&](CertificateSpec& leaf_spec) {
    leaf_spec.issuer = old_root.get();
    leaf_spec.issuer_key = key.get();
  });
  anchors.clear();
  anchors.push_back(copy(old_root.get()));
  findings = all_findings(leaf2.get(), {}, anchors);
  CHECK(ids_with(findings, Verdict::kProblem) == std::vector<std::string>{"anchor.validity"});
  CHECK(contains(finding(findings, "anchor.validity").what, "CN=Old Root expired on"));
}

TEST_CASE("doctor rules: what OpenSSL refuses and no rule names is still a problem") {
  // An unknown critical extension: no rule of its own, but no verifier may accept it.
  const X509Ptr leaf = pki().leaf([](CertificateSpec& spec) {
    spec.named_extensions = {{"1.3.6.1.4.1.55555.1", "critical,DER:05:00"}};
  });
  const Findings findings = all_findings(leaf.get(), pki().chain(), pki().anchors());
  CHECK(ids_with(findings, Verdict::kProblem) == std::vector<std::string>{"chain.verify"});
  CHECK(contains(finding(findings, "chain.verify").what, "unhandled critical extension"));
  const auto refusal = emulator::chain_problem(leaf.get(), pki().chain(), pki().anchors(), kNow);
  REQUIRE(refusal);
  CHECK(contains(*refusal, "[doctor: chain.verify]"));
}

TEST_CASE("doctor rules: ARNs well formed, of one account, partition and region") {
  const std::string anchor =
      "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/"
      "a1b2c3d4-0000-4000-8000-00000000000a";
  const std::string profile =
      "arn:aws:rolesanywhere:us-east-1:123456789012:profile/a1b2c3d4-0000-4000-8000-00000000000b";
  const std::string role = "arn:aws:iam::123456789012:role/app";
  CHECK_FALSE(arn_problem(anchor, ArnKind::kTrustAnchor));
  CHECK(arn_problem(profile, ArnKind::kTrustAnchor));
  CHECK(arn_problem("arn:aws:iam::123:role/app", ArnKind::kRole) ==
        "account '123' is not 12 digits");
  CHECK_FALSE(arns_disagree(anchor, profile, role));
  CHECK(arns_disagree(anchor, profile, "arn:aws:iam::210987654321:role/app") ==
        "the role ARN is in account 210987654321 but the trust anchor ARN in 123456789012");
  CHECK(contains(*arns_disagree(anchor,
                                "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/"
                                "a1b2c3d4-0000-4000-8000-00000000000b",
                                role),
                 "region eu-west-1"));
  CHECK(contains(*arns_disagree(anchor, profile, "arn:aws-cn:iam::123456789012:role/app"),
                 "partition aws-cn"));

  SessionFacts facts;
  Findings none = check_session(facts, cli_labels());
  CHECK(finding(none, "arn").verdict == Verdict::kSkipped);
  CHECK(ids_with(none, Verdict::kProblem).empty());
  facts.trust_anchor_arn = anchor;
  facts.profile_arn = profile;
  facts.role_arn = "arn:aws:iam::210987654321:role/app";
  CHECK(ids_with(check_session(facts, cli_labels()), Verdict::kProblem) ==
        std::vector<std::string>{"arn.match"});
}

TEST_CASE("doctor rules: the session duration is 900 to 43200 seconds") {
  CHECK_FALSE(duration_problem(900));
  CHECK_FALSE(duration_problem(43200));
  CHECK(duration_problem(899) == "899 is outside 900..43200 seconds");
  CHECK(duration_problem(43201));
  SessionFacts facts;
  facts.duration_seconds = 60;
  const Finding& f = finding(check_session(facts, cli_labels()), "duration");
  CHECK(f.verdict == Verdict::kProblem);
  CHECK(f.what == "--session-duration 60 is outside 900..43200 seconds");
}

TEST_CASE("doctor rules: the signing region is the trust anchor's and the endpoint's") {
  CHECK(region_of_endpoint("https://rolesanywhere.eu-west-1.amazonaws.com") == "eu-west-1");
  CHECK(region_of_endpoint("rolesanywhere-fips.us-gov-west-1.amazonaws.com:443") ==
        "us-gov-west-1");
  CHECK(region_of_endpoint("https://rolesanywhere.cn-north-1.amazonaws.com.cn") == "cn-north-1");
  CHECK(region_of_endpoint("https://vpce-0abc-xyz.rolesanywhere.ap-south-1.vpce.amazonaws.com") ==
        "ap-south-1");
  CHECK_FALSE(region_of_endpoint("http://127.0.0.1:8080"));
  CHECK_FALSE(region_of_endpoint("https://rolesanywhere.example.com"));

  SessionFacts facts;
  facts.trust_anchor_arn =
      "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/"
      "a1b2c3d4-0000-4000-8000-00000000000a";
  facts.region = "eu-west-1";
  facts.endpoint_url = "https://rolesanywhere.eu-west-1.amazonaws.com";
  Findings findings = check_session(facts, cli_labels());
  CHECK(contains(finding(findings, "region").what,
                 "signed for eu-west-1 (--region) but the trust anchor is in us-east-1"));
  facts.region.reset();
  findings = check_session(facts, cli_labels());
  CHECK(finding(findings, "region").verdict == Verdict::kOk);
  CHECK(contains(finding(findings, "endpoint").what,
                 "is the endpoint of eu-west-1, but requests are signed for us-east-1"));
  facts.endpoint_url = "http://127.0.0.1:9";
  CHECK(finding(check_session(facts, cli_labels()), "endpoint").verdict == Verdict::kOk);
  facts.endpoint_url.clear();
  facts.endpoint_error = "--endpoint \"ftp://x\" must use https or http";
  CHECK(finding(check_session(facts, cli_labels()), "endpoint").verdict == Verdict::kProblem);
}

TEST_CASE("doctor rules: the clock against the service's Date header") {
  const auto date = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
  REQUIRE(date);
  CHECK(*date == std::chrono::system_clock::from_time_t(784111777));
  CHECK(format_http_date(*date) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(format_http_date(kNow) == "Mon, 30 Nov 2026 00:53:20 GMT");
  CHECK(parse_http_date(format_http_date(kNow)) == kNow);
  for (const char* bad : {"Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT",
                          "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_http_date(bad));
  }
  using std::chrono::seconds;
  CHECK(check_clock(kNow, kNow + seconds(1)).verdict == Verdict::kOk);
  CHECK(check_clock(kNow, kNow + seconds(90)).verdict == Verdict::kWarning);
  const Finding behind = check_clock(kNow, kNow + seconds(600));
  CHECK(behind.verdict == Verdict::kProblem);
  CHECK(contains(behind.what, "10 minutes behind the service's"));
  CHECK(contains(check_clock(kNow + seconds(7200), kNow).what, "2 hours ahead of"));
}

TEST_CASE("doctor rules: proxy variables, never with their credentials") {
  CHECK(without_userinfo("http://user:secret@proxy:3128") == "http://***@proxy:3128");
  CHECK(without_userinfo("user:secret@proxy:3128/x@y") == "***@proxy:3128/x@y");
  CHECK(without_userinfo("http://proxy:3128") == "http://proxy:3128");

  Environment environment;
  CHECK(check_proxy(environment, "https://x", cli_labels()).verdict == Verdict::kOk);
  environment.proxy_variables = {{"https_proxy", "http://u:p4ss@proxy:3128"}};
  const Finding unused = check_proxy(environment, "https://x", cli_labels());
  CHECK(unused.verdict == Verdict::kWarning);
  CHECK(contains(unused.what, "https_proxy=http://***@proxy:3128 set, but without --with-proxy"));
  CHECK_FALSE(contains(unused.what, "p4ss"));
  environment.with_proxy = true;
  CHECK(check_proxy(environment, "https://x", cli_labels()).verdict == Verdict::kOk);
  // An http endpoint (the emulator) is reached through http_proxy, not https_proxy.
  CHECK(contains(check_proxy(environment, "http://127.0.0.1:9", cli_labels()).what,
                 "no proxy variable is set for http"));
}

TEST_CASE("doctor rules: a credential_process ending in a lone backslash cannot be split") {
  // The AWS CLI splits the line with Python's shlex, which refuses it ("No escaped character"),
  // so doctor must not report words for it (it gave "a" and, for a lone backslash, an empty
  // word: found by fuzz/aws_config_fuzz.cpp).
  CHECK_FALSE(split_shell_words("a\\"));
  CHECK_FALSE(split_shell_words("\\"));
  CHECK(split_shell_words("a\\\\") == std::vector<std::string>{"a\\"});
  CHECK(split_shell_words("'a\\'") == std::vector<std::string>{"a\\"});
  const auto processes = credential_processes(
      "[profile trailing]\n"
      "credential_process = rolesanywhere-helper credential-process --x y\\\n");
  REQUIRE(processes.size() == 1);
  CHECK(processes[0].words.empty());
  CHECK(processes[0].split_error == "it ends with a backslash that escapes nothing");
}

namespace {

// The profiles and words of the config's credential_processes, as "profile: word|word".
std::vector<std::string> read_processes(std::string_view config) {
  std::vector<std::string> out;
  for (const ConfiguredProcess& process : credential_processes(config)) {
    std::string line = process.profile + ":";
    for (const std::string& word : process.words) line += " " + word;
    if (!process.split_error.empty()) line += " (" + process.split_error + ")";
    out.push_back(line);
  }
  return out;
}

using Lines = std::vector<std::string>;

}  // namespace

// The expectations below are what botocore 1.43 (configparser.RawConfigParser, then
// build_profile_map and shlex.split) reads from the same text.
TEST_CASE("doctor config: keys are case-insensitive, as configparser lower-cases them") {
  CHECK(read_processes("[profile a]\nCredential_Process = x y\n") == Lines{"a: x y"});
}

TEST_CASE("doctor config: ':' separates key and value as '=' does, the first of them") {
  CHECK(read_processes("[profile a]\ncredential_process: x = y\n"
                       "[profile b]\ncredential_process = x: y\n") == Lines{"a: x = y", "b: x: y"});
}

TEST_CASE("doctor config: a section header runs to the last ']'; a '[' line without one is none") {
  CHECK(read_processes("[profile a] ] # note\ncredential_process = x\n") == Lines{"a]: x"});
  CHECK(read_processes("[profile a]x]\ncredential_process = x\n") == Lines{"a]x: x"});
  // "[profile b = c" is the option "[profile b" of profile b, not a section of its own.
  CHECK(read_processes("[profile b]\n[profile b = c\ncredential_process = y\n") == Lines{"b: y"});
}

TEST_CASE("doctor config: profiles are found as build_profile_map finds them") {
  CHECK(read_processes("[profile \"a b\"]\ncredential_process = x\n"
                       "[profilex]\ncredential_process = y\n"
                       "[profile a b]\ncredential_process = z\n"
                       "[profile \"c]\ncredential_process = w\n"
                       "[ default ]\ncredential_process = v\n") == Lines{"a b: x"});
  // A second section of the same profile replaces the first whole.
  CHECK(read_processes("[profile a]\ncredential_process = x\n[profile  a]\nregion = r\n").empty());
  // [DEFAULT] is configparser's: every section inherits its keys.
  CHECK(read_processes("[DEFAULT]\ncredential_process = d\n[profile a]\n[sso-session s]\n") ==
        Lines{"a: d"});
}

TEST_CASE("doctor config: indented lines continue a value, which shlex splits whole") {
  CHECK(read_processes("[default]\ncredential_process = x\n  --flag 'y'\n\n  z\nregion = r\n") ==
        Lines{"default: x --flag y z"});
  // A value starting on the next line is nested settings to botocore, never a command.
  CHECK(read_processes("[default]\ncredential_process =\n  x = y\n") ==
        Lines{"default: (its value starts on the next line, which the AWS CLI reads as nested "
              "settings, not a command)"});
}

TEST_CASE("doctor config: a lone CR or CRLF ends a line, as Python's universal newlines do") {
  CHECK(read_processes("[default]\rcredential_process = x\r  y\r\n[profile b]\r\n"
                       "credential_process = z\r") == Lines{"default: x y", "b: z"});
}

namespace {

std::string refusal_of(std::string_view config) { return read_aws_config(config).refusal; }

constexpr std::string_view kNested =
    "starts on the next line, so the AWS CLI reads it as nested settings, and this line has no "
    "'='";

}  // namespace

// botocore refuses these files whole (ConfigParseError, "Unable to parse config file"), for what
// configparser raised: checked with botocore 1.43 on Python 3.11.
TEST_CASE("doctor config: a file the AWS CLI refuses whole is named with the line and why") {
  CHECK(refusal_of("[default]\nregion = r\n# a comment\n\n[profile a]\n") == "");
  CHECK(refusal_of("[profile a]\nregion = r\n\n[profile a]\n") ==
        "line 4: [profile a] appears a second time (first on line 1)");
  CHECK(refusal_of("[DEFAULT]\n[DEFAULT]\n") == "");  // the one section that may come again
  CHECK(refusal_of("[profile a]\nRegion = r\nregion: s\n") ==
        "line 3: region is set a second time in [profile a] (first on line 2)");
  CHECK(refusal_of("[DEFAULT]\nx = 1\n[DEFAULT]\nx = 2\n") ==
        "line 4: x is set a second time in [DEFAULT] (first on line 2)");
  CHECK(refusal_of("# note\nregion = r\n[default]\n") ==
        "line 2: a setting before any [section] header");
  CHECK(refusal_of("[default]\nregion\n") ==
        "line 2 is none of a [section] header, a KEY = VALUE setting or a comment, nor indented "
        "deeper than a setting before it to continue its value");
  CHECK(refusal_of("[default]\n= x\n") == "line 2: a setting without a name");
  CHECK(refusal_of("[default]\n= x\n: y\n") == "line 3: a setting without a name");
  // A name is shown with its control bytes escaped: it cannot drive the terminal.
  CHECK(refusal_of("[a\x1b]0;x\x07]\n[a\x1b]0;x\x07]\n") ==
        "line 2: [a\\x1b]0;x\\x07] appears a second time (first on line 1)");
  // configparser raises a repeated section at once, a line it cannot read at the end.
  CHECK(refusal_of("[default]\nregion\n[default]\n") ==
        "line 3: [default] appears a second time (first on line 1)");
}

TEST_CASE("doctor config: text that is not UTF-8, or starts with a byte order mark, is refused") {
  CHECK(refusal_of("[default]\nregion = \xff\n") == "line 2 is not UTF-8 text");
  CHECK(refusal_of("[default]\r\xc3") == "line 2 is not UTF-8 text");                // cut short
  CHECK(refusal_of("[default]\nr = \xed\xa0\x80\n") == "line 2 is not UTF-8 text");  // a surrogate
  CHECK(refusal_of("[default]\nr = \xc0\xaf\n") == "line 2 is not UTF-8 text");      // overlong
  CHECK(refusal_of("[default]\nr = caf\xc3\xa9 \xf0\x9f\x94\x91\n") == "");
  const AwsConfig bom = read_aws_config("\xef\xbb\xbf# saved by Notepad\n[default]\n");
  CHECK(bom.refusal == "the file starts with a byte order mark, which the AWS CLI reads as text");
  CHECK(bom.refusal_remedy == "save the file as UTF-8 without a byte order mark (BOM)");
}

TEST_CASE("doctor config: nested settings botocore cannot split refuse the file") {
  CHECK(refusal_of("[default]\ns3 =\n  addressing_style = path\n\n  max_concurrent\n") ==
        "line 5: s3 in [default] " + std::string(kNested));
  // A vertical tab ends a line for str.splitlines, which botocore splits them with.
  CHECK(refusal_of("[default]\ns3 =\n  a = b\vbad\n") ==
        "line 3: s3 in [default] " + std::string(kNested));
  CHECK(refusal_of("[default]\ns3 =\n  a = b\n  c = d\n") == "");
  // [DEFAULT]'s are read through the sections that inherit them.
  CHECK(refusal_of("[DEFAULT]\ns3 =\n  bad\n") == "");
  CHECK(refusal_of("[DEFAULT]\ns3 =\n  bad\n[profile a]\n") ==
        "line 3: s3 in [DEFAULT] (which [profile a] inherits) " + std::string(kNested));
  CHECK(refusal_of("[DEFAULT]\ns3 =\n  bad\n[profile a]\ns3 = x\n") == "");
}

TEST_CASE("doctor config: Unicode blanks are stripped, and indents counted, as Python does") {
  // A no-break space after the command is stripped with the value.
  CHECK(read_processes("[profile a]\ncredential_process = x y\xc2\xa0\n") == Lines{"a: x y"});
  // An ideographic space indents by one character (three bytes): two spaces continue its value.
  CHECK(read_processes("[default]\n\xe3\x80\x80"
                       "credential_process = x\n  y\n") == Lines{"default: x y"});
  CHECK(read_processes("[default]\ncredential_process = x\n\xe3\x80\x80y\n") ==
        Lines{"default: x y"});
}

TEST_CASE("doctor rules: credential_process lines of the AWS config file") {
  // As Python's shlex (which the AWS CLI uses) splits, not a POSIX shell: in double quotes a
  // backslash before '$' or '`' stays.
  CHECK(split_shell_words(R"(a 'b c' "d \"e\" \$f \`g \\h" i\ j)") ==
        std::vector<std::string>{"a", "b c", R"(d "e" \$f \`g \h)", "i j"});
  CHECK_FALSE(split_shell_words("a 'b"));
  const auto processes = credential_processes(
      "[default]\n"
      "region = eu-west-1\n"
      "credential_process = /usr/local/bin/rolesanywhere-helper credential-process --x 'y z'\n"
      "# credential_process = commented out\n"
      "[profile other]\n"
      "credential_process=aws_signing_helper credential-process\n"
      "[sso-session s]\n"
      "credential_process = not a profile\n"
      "[profile open]\n"
      "credential_process = rolesanywhere-helper credential-process 'open\n");
  REQUIRE(processes.size() == 3);
  CHECK(processes[0].profile == "default");
  CHECK(processes[0].words.back() == "y z");
  CHECK(runs_this_helper(processes[0].words));
  CHECK(processes[1].profile == "other");
  CHECK_FALSE(runs_this_helper(processes[1].words));
  CHECK(processes[2].profile == "open");
  CHECK_FALSE(processes[2].split_error.empty());

  const Finding good = summarize_profile("p", "/c", {{"leaf.ca", Verdict::kOk, "x", ""}});
  CHECK(good.verdict == Verdict::kOk);
  const Finding bad = summarize_profile(
      "p", "/c",
      {{"leaf.ca", Verdict::kOk, "x", ""},
       {"leaf.validity", Verdict::kProblem, "expired on 2026-01-01T00:00:00Z", "renew it"},
       {"leaf.key", Verdict::kProblem, "RSA 1024 bits", "new key"}});
  CHECK(bad.verdict == Verdict::kProblem);
  CHECK(bad.what ==
        "profile p (/c): leaf.validity: expired on 2026-01-01T00:00:00Z (and 1 more problems)");
  CHECK(contains(bad.remedy, "renew it"));
}

TEST_CASE("doctor rules: a refusal is explained with what the local checks found") {
  const Findings local = {{"leaf.ca", Verdict::kOk, "fine", ""},
                          {"chain.anchor", Verdict::kProblem,
                           "the chain does not reach the trust anchor: missing "
                           "issuer CN=Intermediate",
                           "send it"}};
  const Finding explained = explain_refusal("AccessDeniedException",
                                            "Untrusted signing certificate", local, cli_labels());
  CHECK(explained.id == "online");
  CHECK(explained.verdict == Verdict::kProblem);
  CHECK(contains(explained.what,
                 "CreateSession refused: AccessDeniedException: Untrusted signing "
                 "certificate. The local checks found why: chain.anchor: the "
                 "chain does not reach the trust anchor: missing issuer "
                 "CN=Intermediate"));
  CHECK(explained.remedy == "send it");

  const Finding unexplained =
      explain_refusal("AccessDeniedException", "Untrusted signing certificate", {}, cli_labels());
  CHECK(contains(unexplained.remedy, "give --trust-anchor-certificate"));
  const Finding anchored =
      explain_refusal("AccessDeniedException", "Untrusted signing certificate",
                      {{"chain.anchor", Verdict::kOk, "reaches", ""}}, cli_labels());
  CHECK(contains(anchored.remedy, "trust anchor registered in Roles Anywhere probably holds"));
  CHECK(contains(
      explain_refusal("AccessDeniedException", "User is not authorized to perform: sts:AssumeRole",
                      {}, cli_labels())
          .remedy,
      "trust policy"));
}
