// Token identities against a real SoftHSM2 token (tests/pkcs11/make-softhsm-token.sh): signatures
// verify with the certificate, the PIN is asked at most once, and one logged-in session serves
// every signature, re-opened when the token's sessions vanish (as when it is pulled out).
#include "pkcs11/pkcs11_detail.hpp"
#include "test_identity_fixtures.hpp"

#include "rolesanywhere/pkcs11.hpp"

#include <dlfcn.h>
#include <doctest/doctest.h>
#include <p11-kit/pkcs11.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

using namespace rolesanywhere;

namespace {

constexpr const char* kModule = identity_test::kSoftHsmModule;
constexpr const char* kPin = identity_test::kSoftHsmPin;
const std::string kToken = "pkcs11:token=rolesanywhere-test";

bool token_ready() { return identity_test::softhsm_token_ready(); }

Pkcs11Options token_options(const std::string& certificate, int* prompts = nullptr,
                            std::string answer = kPin) {
  Pkcs11Options options;
  options.certificate = certificate;
  options.module = kModule;
  options.prompt = [prompts, answer](const std::string&) {
    if (prompts) ++*prompts;
    return SecretString(answer);
  };
  return options;
}

void check_signs(const Identity& identity, int times = 3) {
  for (int i = 0; i < times; ++i) {
    const std::string data = "string to sign " + std::to_string(i);
    CHECK(identity_test::signature_verifies(identity.certificate(), data, identity.sign(data)));
  }
}

// What pulling the token out does to the sessions libp11 holds: they all become invalid.
void close_all_sessions_behind_libp11s_back() {
  void* handle = dlopen(kModule, RTLD_NOW | RTLD_NOLOAD);  // the instance libp11 loaded
  REQUIRE(handle);
  auto get_function_list =
      reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* module = nullptr;
  REQUIRE(get_function_list(&module) == CKR_OK);
  CK_SLOT_ID slots[16];
  CK_ULONG count = 16;
  REQUIRE(module->C_GetSlotList(CK_TRUE, slots, &count) == CKR_OK);
  int closed = 0;
  for (CK_ULONG i = 0; i < count; ++i) {
    CK_TOKEN_INFO info{};
    if (module->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
        std::memcmp(info.label, "rolesanywhere-test ", 19) == 0) {
      CHECK(module->C_CloseAllSessions(slots[i]) == CKR_OK);
      ++closed;
    }
  }
  CHECK(closed == 1);
  dlclose(handle);
}

}  // namespace

TEST_CASE("pkcs11 token: token identities sign verifiably with the chain from the token") {
  if (!token_ready()) return;
  SystemClock wall_clock;
  for (const char* object : {"rsa2048", "p256", "p384"}) {
    CAPTURE(object);
    Identity identity = load_pkcs11_identity(
        token_options(kToken + ";object=" + object + ";type=cert?pin-value=" + kPin), wall_clock);
    CHECK(identity.key_type() == (std::string(object) == "rsa2048" ? KeyType::kRsa : KeyType::kEc));
    REQUIRE(identity.chain().size() == 1);
    CHECK(subject_name(identity.chain()[0].get()).find("Test Intermediate CA") !=
          std::string::npos);
    Identity moved = std::move(identity);  // the key keeps its session alive wherever it goes
    check_signs(moved);
  }
}

TEST_CASE("pkcs11 token: signing re-opens the session when the token's sessions vanish") {
  if (!token_ready()) return;
  SystemClock wall_clock;
  int prompts = 0;
  Identity identity =
      load_pkcs11_identity(token_options(kToken + ";object=p256", &prompts), wall_clock);
  CHECK(prompts == 1);
  check_signs(identity, 2);

  close_all_sessions_behind_libp11s_back();
  check_signs(identity, 2);  // re-opened and logged in again with the PIN given at start
  CHECK(prompts == 1);

  close_all_sessions_behind_libp11s_back();
  check_signs(identity, 1);
  CHECK(prompts == 1);
}

TEST_CASE("pkcs11 token: a wrong PIN is asked once and reported without the PIN") {
  if (!token_ready()) return;
  SystemClock wall_clock;
  int prompts = 0;
  try {
    load_pkcs11_identity(token_options(kToken + ";object=rsa2048", &prompts, "wrong-Pin-9"),
                         wall_clock);
    FAIL("a wrong PIN was accepted");
  } catch (const Error& error) {
    const std::string message = error.what();
    CHECK(error.kind() == Error::Kind::kInvalidArgument);
    CHECK(message.find("wrong PIN for PKCS#11 token 'rolesanywhere-test'") != std::string::npos);
    CHECK(message.find("the PIN typed was refused") != std::string::npos);
    CHECK(message.find("wrong-Pin-9") == std::string::npos);
  }
  CHECK(prompts == 1);
}

TEST_CASE("pkcs11 token: an always-authenticate key asks its PIN once and reuses it") {
  if (!token_ready()) return;
  SystemClock wall_clock;
  int prompts = 0;
  Identity identity = load_pkcs11_identity(
      token_options(kToken + ";object=always-auth?pin-value=" + kPin, &prompts), wall_clock);
  CHECK(prompts == 0);  // the user PIN came from the URI; the key's PIN is asked at first use
  check_signs(identity, 3);
  CHECK(prompts == 1);

  Pkcs11Options reuse = token_options(kToken + ";object=always-auth?pin-value=" + kPin, &prompts);
  reuse.reuse_pin = true;
  Identity reusing = load_pkcs11_identity(reuse, wall_clock);
  check_signs(reusing, 2);
  CHECK(prompts == 1);  // --reuse-pin never asks
}

TEST_CASE("pkcs11 token: without a way to ask the always-authenticate key cannot sign") {
  if (!token_ready()) return;
  SystemClock wall_clock;
  // The command line's labels offer its flag; without labels no flag is named.
  for (const bool labelled : {true, false}) {
    CAPTURE(labelled);
    Pkcs11Options options = token_options(kToken + ";object=always-auth?pin-value=" + kPin);
    options.prompt = nullptr;
    if (labelled) options.labels = identity_test::cli_labels();
    Identity identity = load_pkcs11_identity(options, wall_clock);
    try {
      identity.sign("data");
      FAIL("signed without the key's PIN");
    } catch (const Error& error) {
      const std::string message = error.what();
      CAPTURE(message);
      CHECK(message.find("CKA_ALWAYS_AUTHENTICATE") != std::string::npos);
      if (labelled) {
        CHECK(message.find("; pass --reuse-pin to answer with the token's user PIN") !=
              std::string::npos);
      } else {
        CHECK(message.find("--") == std::string::npos);
      }
    }
  }
}

TEST_CASE("pkcs11 token: sign-string's key comes alone and lives on its own") {
  if (!token_ready()) return;
  Pkcs11Options options;
  options.private_key = kToken + ";object=rsa2048;type=private?pin-value=" + kPin;
  options.module = kModule;
  EvpPkeyPtr key = load_pkcs11_key(options);
  X509Ptr certificate = identity_test::read_certificate(identity_test::pki("rsa2048.crt.pem"));
  CHECK(identity_test::signature_verifies(
      certificate.get(), "abc", sign_with_key(key.get(), "abc", Digest::kSha512), Digest::kSha512));
}

namespace {

int calls_in_log(const std::string& log, const std::string& function) {
  std::istringstream lines(identity_test::read_file(log));
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(": ");
    if (colon != std::string::npos && line.substr(colon + 2) == function) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("pkcs11 token: one login and one session serve every signature") {
  if (!token_ready()) return;
  constexpr const char* kSpy = "/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so";
  if (!std::filesystem::exists(kSpy)) {
    WARN_MESSAGE(false, "SKIPPED: OpenSC's pkcs11-spy is not installed");
    return;
  }
  // pkcs11-spy forwards to SoftHSM2 and logs every call.
  const std::string log = identity_test::scratch("spy.log");
  ::setenv("PKCS11SPY", kModule, 1);
  ::setenv("PKCS11SPY_OUTPUT", log.c_str(), 1);
  SystemClock wall_clock;
  Pkcs11Options options = token_options(kToken + ";object=p256?pin-value=" + kPin);
  options.module = kSpy;
  Identity identity = load_pkcs11_identity(options, wall_clock);
  check_signs(identity, 1);
  const int sessions_after_first_signature = calls_in_log(log, "C_OpenSession");
  check_signs(identity, 5);
  CHECK(calls_in_log(log, "C_Login") == 1);
  CHECK(calls_in_log(log, "C_OpenSession") == sessions_after_first_signature);
  CHECK(calls_in_log(log, "C_Sign") + calls_in_log(log, "C_SignFinal") >= 6);
}
