// The parts of TPM support that need no TPM: telling TPM keys from other keys, reading a TSS2
// key file's emptyAuth, parent and attributes, choosing the TCTI from the environment, and
// sorting the TPM's response codes. (tests/e2e/test_tpm_*.sh drive a real swtpm.)
#include "test_identity_fixtures.hpp"
#include "tpm/tss2_key_file.hpp"
#include "tpm/tss2_rc.hpp"

#include "rolesanywhere/tpm.hpp"

#include <doctest/doctest.h>

#include <openssl/pem.h>

#include <map>
#include <string>

using namespace rolesanywhere;
using namespace rolesanywhere::tpm_detail;

namespace {

std::string tlv(unsigned char tag, const std::string& body) {
  std::string out(1, static_cast<char>(tag));
  if (body.size() < 128) {
    out += static_cast<char>(body.size());
  } else {
    out += static_cast<char>(0x82);
    out += static_cast<char>(body.size() >> 8);
    out += static_cast<char>(body.size() & 0xff);
  }
  return out + body;
}

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned value : values) out += static_cast<char>(value);
  return out;
}

struct KeyFileParts {
  unsigned char kind = 0x03;              // 2.23.133.10.1.<kind>
  std::optional<bool> empty_auth = true;  // nullopt: the field is left out
  std::string parent = bytes({0x40, 0x00, 0x00, 0x01});
  std::uint16_t type = kTpmAlgEcc;
  std::uint32_t attributes = 0x00040072;  // sign | userWithAuth | sensitiveDataOrigin | ...
  bool with_policy = false;
};

// A TPMKey in DER, as tpm2-openssl writes it.
std::string key_file_der(const KeyFileParts& parts) {
  std::string fields = tlv(0x06, bytes({0x67, 0x81, 0x05, 0x0a, 0x01, parts.kind}));
  if (parts.empty_auth) fields += tlv(0xa0, tlv(0x01, bytes({*parts.empty_auth ? 0xffu : 0x00u})));
  if (parts.with_policy) fields += tlv(0xa1, tlv(0x30, tlv(0x30, tlv(0xa0, tlv(0x02, "\x01")))));
  fields += tlv(0x02, parts.parent);
  std::string public_area = bytes({0x00, 0x20, static_cast<unsigned>(parts.type >> 8),
                                   static_cast<unsigned>(parts.type & 0xff), 0x00, 0x0b});
  for (int shift = 24; shift >= 0; shift -= 8)
    public_area += static_cast<char>((parts.attributes >> shift) & 0xff);
  public_area += std::string(20, '\x11');
  fields += tlv(0x04, public_area);
  fields += tlv(0x04, std::string(40, '\x22'));
  return tlv(0x30, fields);
}

std::string as_pem(const std::string& der, const char* name = "TSS2 PRIVATE KEY") {
  rolesanywhere::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio(bio.get(), name, "", reinterpret_cast<const unsigned char*>(der.data()),
                static_cast<long>(der.size()));
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

Error parse_error(const std::string& bytes) {
  try {
    parse_tss2_key(bytes, "--private-key key.tss");
  } catch (const Error& error) {
    return error;
  }
  FAIL("no error");
  return Error(Error::Kind::kInternal, "unreachable");
}

}  // namespace

TEST_CASE("tpm: handles are told apart from files and URIs") {
  CHECK(is_tpm_handle("handle:0x81000001"));
  CHECK(is_tpm_key("handle:0x81000001"));
  CHECK_FALSE(is_tpm_handle("/keys/handle:0x81000001"));
  CHECK_FALSE(is_tpm_handle("pkcs11:token=x"));
  CHECK_FALSE(is_tpm_handle(""));
}

TEST_CASE("tpm: a TSS2 key is recognised as PEM and as DER, other keys are not") {
  const std::string der = key_file_der({});
  CHECK(looks_like_tss2_key(der));
  CHECK(looks_like_tss2_key(as_pem(der)));
  CHECK(looks_like_tss2_key("comment before the block\n" + as_pem(der)));
  CHECK_FALSE(looks_like_tss2_key(identity_test::read_file(identity_test::pki("rsa2048.key.pem"))));
  CHECK_FALSE(
      looks_like_tss2_key(identity_test::read_file(identity_test::pki("p256.key.pkcs8.der"))));
  CHECK_FALSE(looks_like_tss2_key(
      identity_test::read_file(identity_test::pki("p256.key.traditional.der"))));
  CHECK_FALSE(looks_like_tss2_key(""));
  CHECK_FALSE(looks_like_tss2_key(der.substr(0, 8)));  // a SEQUENCE cut short

  CHECK(is_tpm_key(identity_test::write_file("tpm-key.pem", as_pem(der))));
  CHECK(is_tpm_key(identity_test::write_file("tpm-key.der", der)));
  CHECK_FALSE(is_tpm_key(identity_test::pki("rsa2048.key.pem")));
  CHECK_FALSE(is_tpm_key(identity_test::scratch("no-such-key.tss")));
  CHECK_FALSE(is_tpm_key(""));
}

TEST_CASE("tpm: a key file's emptyAuth, parent, type and sign attribute are read") {
  KeyFileParts parts;
  Tss2KeyFile key = parse_tss2_key(as_pem(key_file_der(parts)), "key");
  CHECK(key.empty_auth);
  CHECK(key.parent == kOwnerHierarchy);
  CHECK(key.parent_description() == "the owner hierarchy's primary key");
  CHECK(key.key_type == kTpmAlgEcc);
  CHECK(key.can_sign());

  parts.empty_auth = false;
  parts.parent = bytes({0x00, 0x81, 0x00, 0x00, 0x01});  // a positive INTEGER's leading zero
  parts.type = kTpmAlgRsa;
  parts.attributes = 0x00020072;  // decrypt, no sign
  parts.with_policy = true;
  key = parse_tss2_key(key_file_der(parts), "key");
  CHECK_FALSE(key.empty_auth);
  CHECK(key.parent == 0x81000001);
  CHECK(key.parent_description() == "persistent key 0x81000001");
  CHECK(key.key_type == kTpmAlgRsa);
  CHECK_FALSE(key.can_sign());

  // Absent emptyAuth means the key has a password.
  parts.empty_auth = std::nullopt;
  CHECK_FALSE(parse_tss2_key(key_file_der(parts), "key").empty_auth);
}

TEST_CASE("tpm: sealed data, importable keys and broken files are refused by name") {
  KeyFileParts sealed;
  sealed.kind = 0x05;
  CHECK(std::string(parse_error(key_file_der(sealed)).what()) ==
        "--private-key key.tss holds sealed data, not a key that can sign");
  KeyFileParts importable;
  importable.kind = 0x04;
  CHECK(std::string(parse_error(key_file_der(importable)).what())
            .starts_with("--private-key key.tss is an importable TPM key"));
  const std::string der = key_file_der({});
  CHECK(std::string(parse_error(as_pem(der.substr(0, der.size() - 10))).what())
            .starts_with("--private-key key.tss is not a valid TSS2 key file"));
  CHECK(parse_error("-----BEGIN TSS2 PRIVATE KEY-----\nnot base64\n").kind() ==
        Error::Kind::kInput);
}

TEST_CASE("tpm: TPM2OPENSSL_TCTI wins, TPM_DEVICE is translated, else the TSS default") {
  CHECK(choose_tcti("device:/dev/tpmrm0", "/dev/tpm0", false) ==
        TctiChoice{"device:/dev/tpmrm0", "TPM2OPENSSL_TCTI"});
  CHECK(choose_tcti(nullptr, "/dev/tpmrm0", false) ==
        TctiChoice{"device:/dev/tpmrm0", "TPM_DEVICE=/dev/tpmrm0"});
  CHECK(choose_tcti(nullptr, "/run/swtpm.sock", true) ==
        TctiChoice{"swtpm:path=/run/swtpm.sock", "TPM_DEVICE=/run/swtpm.sock"});
  CHECK(choose_tcti("", "", false) == TctiChoice{});
  // TPM_DEVICE already translated into TPM2OPENSSL_TCTI (tss_environment) is still told as such.
  CHECK(choose_tcti("swtpm:path=/run/swtpm.sock", "/run/swtpm.sock", true) ==
        TctiChoice{"swtpm:path=/run/swtpm.sock", "TPM_DEVICE=/run/swtpm.sock"});
  CHECK(describe_tcti(TctiChoice{"swtpm:port=2321", "TPM2OPENSSL_TCTI"}) ==
        "swtpm:port=2321 (TPM2OPENSSL_TCTI)");
  CHECK(describe_tcti(TctiChoice{}).starts_with("the TSS's default TCTIs (tabrmd, "));
}

TEST_CASE("tpm: the TSS is silenced and TPM_DEVICE passed on, unless the user said otherwise") {
  std::map<std::string, std::string> environment;
  const auto getenv = [&environment](const char* name) -> const char* {
    auto found = environment.find(name);
    return found == environment.end() ? nullptr : found->second.c_str();
  };
  const auto is_socket = [](const std::string& path) { return path.ends_with(".sock"); };

  CHECK(tss_environment(getenv, is_socket) ==
        std::vector<EnvironmentSetting>{{"TSS2_LOG", "all+NONE"}});
  environment["TSS2_LOG"] = "all+debug";
  CHECK(tss_environment(getenv, is_socket).empty());
  environment["TPM_DEVICE"] = "/run/swtpm.sock";
  CHECK(tss_environment(getenv, is_socket) ==
        std::vector<EnvironmentSetting>{{"TPM2OPENSSL_TCTI", "swtpm:path=/run/swtpm.sock"}});
  environment["TPM_DEVICE"] = "/dev/tpm0";
  CHECK(tss_environment(getenv, is_socket) ==
        std::vector<EnvironmentSetting>{{"TPM2OPENSSL_TCTI", "device:/dev/tpm0"}});
  environment["TPM2OPENSSL_TCTI"] = "mssim:port=2321";
  CHECK(tss_environment(getenv, is_socket).empty());
}

TEST_CASE("tpm: response codes are sorted into what the person must hear") {
  CHECK(classify_tss2_rc(0x98e) == TpmFailure::kAuthorization);    // AUTH_FAIL, session 1
  CHECK(classify_tss2_rc(0x9a2) == TpmFailure::kAuthorization);    // BAD_AUTH, session 1
  CHECK(classify_tss2_rc(0xc098e) == TpmFailure::kAuthorization);  // through a resource manager
  CHECK(classify_tss2_rc(0x921) == TpmFailure::kLockout);
  CHECK(classify_tss2_rc(0x19c) == TpmFailure::kCannotSign);    // KEY, handle 1
  CHECK(classify_tss2_rc(0x182) == TpmFailure::kCannotSign);    // ATTRIBUTES
  CHECK(classify_tss2_rc(0x2d2) == TpmFailure::kCannotSign);    // SCHEME, parameter 2
  CHECK(classify_tss2_rc(0x18b) == TpmFailure::kNoSuchObject);  // HANDLE, handle 1
  CHECK(classify_tss2_rc(0x910) == TpmFailure::kGone);          // REFERENCE_H0: the TPM restarted
  CHECK(classify_tss2_rc(0x100) == TpmFailure::kGone);          // INITIALIZE
  CHECK(classify_tss2_rc(0xa000a) == TpmFailure::kGone);        // the TCTI's I/O error
  CHECK(classify_tss2_rc(0x70007) == TpmFailure::kGone);        // ESYS out of sequence after a cut
  CHECK(classify_tss2_rc(0x70001) == TpmFailure::kOther);       // ESYS's own general failure
  CHECK(classify_tss2_rc(0x09f) == TpmFailure::kOther);         // INTEGRITY

  const auto error = parse_tpm_error_data(
      "2446 tpm:session(1):the authorization HMAC check failed and DA counter incremented");
  REQUIRE(error);
  CHECK(error->rc == 2446u);
  CHECK(error->text ==
        "tpm:session(1):the authorization HMAC check failed and DA counter incremented");
  CHECK_FALSE(parse_tpm_error_data("cannot sign"));
  CHECK_FALSE(parse_tpm_error_data(""));
}
