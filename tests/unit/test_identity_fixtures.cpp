#include "test_identity_fixtures.hpp"

#include "cli/flag_labels.hpp"

#include <doctest/doctest.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace identity_test {
namespace fs = std::filesystem;
using namespace rolesanywhere;

namespace {

constexpr const char* kCachePrefix = "rolesanywhere-identity-pki-";

// FNV-1a: a stable fingerprint of the script, so an edited script gets a fresh PKI.
std::string fingerprint(std::string_view text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

std::string today() {
  const std::chrono::year_month_day date{
      std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
  char text[16];
  std::snprintf(text, sizeof text, "%04d%02u%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

fs::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  return pattern;
}

// The certificates are valid for 30 days from generation; a cache from an earlier day is
// replaced, and ones older than a few days are removed so /tmp does not fill up.
void remove_stale_caches(const fs::path& base, const std::string& owner_prefix) {
  const std::string keep_after = today();
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(base, ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(owner_prefix, 0) != 0 || name.size() < 8) continue;
    const std::string day = name.substr(name.size() - 8);
    if (day.find_first_not_of("0123456789") == std::string::npos &&
        std::stoll(day) + 3 < std::stoll(keep_after)) {
      fs::remove_all(entry.path(), ignored);
    }
  }
}

}  // namespace

fs::path generated_once_a_day(const std::string& script_path, const std::string& cache_prefix) {
  const fs::path script = fs::path(SOURCE_DIR) / script_path;
  const std::string script_name = script.filename().string();
  const fs::path base = fs::temp_directory_path();
  const std::string owner_prefix = cache_prefix + std::to_string(::geteuid()) + "-";
  const fs::path cached =
      base / (owner_prefix + fingerprint(read_file(script.string())) + "-" + today());
  // Only complete directories are ever renamed into place, so existing means ready.
  if (fs::exists(cached)) return cached;

  remove_stale_caches(base, owner_prefix);
  const fs::path staging = make_temp_dir(owner_prefix + "staging-");
  const fs::path log_path = staging / (script_name + ".log");
  const std::string command =
      "bash '" + script.string() + "' '" + staging.string() + "' >'" + log_path.string() + "' 2>&1";
  if (std::system(command.c_str()) != 0) {
    const std::string log = read_file(log_path.string());
    fs::remove_all(staging);
    throw std::runtime_error(script_name + " failed:\n" + log);
  }
  std::error_code lost_race;
  fs::rename(staging, cached, lost_race);
  if (lost_race) fs::remove_all(staging);  // another test process finished first: use theirs
  return cached;
}

namespace {

struct ScratchDir {
  fs::path path = make_temp_dir("rolesanywhere-identity-test-");
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

const fs::path& scratch_dir() {
  static ScratchDir dir;
  return dir.path;
}

}  // namespace

const fs::path& pki_dir() {
  static const fs::path dir = generated_once_a_day("testdata/make-test-pki.sh", kCachePrefix);
  return dir;
}

std::string pki(const std::string& name) { return (pki_dir() / name).string(); }

std::string scratch(const std::string& name) { return (scratch_dir() / name).string(); }

std::string write_file(const std::string& name, std::string_view contents) {
  const std::string path = scratch(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void run(const std::string& command) {
  const std::string quiet = "( " + command + " ) >/dev/null 2>&1";
  INFO("command: ", command);
  REQUIRE(std::system(quiet.c_str()) == 0);
}

X509Ptr read_certificate(const std::string& path) {
  return std::move(load_certificate_file(path).leaf);
}

std::vector<std::uint8_t> certificate_der(X509* certificate) {
  const int length = i2d_X509(certificate, nullptr);
  REQUIRE(length > 0);
  std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  i2d_X509(certificate, &cursor);
  return der;
}

std::vector<std::uint8_t> base64_decode(std::string_view text) {
  std::vector<std::uint8_t> bytes(text.size());
  const int length =
      EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  REQUIRE(length >= 0);
  // EVP_DecodeBlock counts the padding as zero bytes; drop them again.
  std::size_t padding = 0;
  if (text.size() >= 1 && text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  bytes.resize(static_cast<std::size_t>(length) - padding);
  return bytes;
}

bool signature_verifies(X509* certificate, std::string_view data,
                        const std::vector<std::uint8_t>& signature, Digest digest) {
  const EVP_MD* md = digest == Digest::kSha256   ? EVP_sha256()
                     : digest == Digest::kSha384 ? EVP_sha384()
                                                 : EVP_sha512();
  EVP_PKEY* public_key = X509_get0_pubkey(certificate);
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  if (EVP_DigestVerifyInit(context.get(), &key_context, md, nullptr, public_key) != 1) return false;
  if (EVP_PKEY_is_a(public_key, "RSA") &&
      EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1) {
    return false;
  }
  const bool ok =
      EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  openssl_error_text();  // clear the queue after a deliberate failure
  return ok;
}

IdentityLabels cli_labels() { return rolesanywhere::cli::identity_labels(); }

namespace {
FileIdentityOptions options_for(const std::string& certificate, const std::string& key,
                                const std::string& intermediates,
                                std::optional<std::string> password) {
  FileIdentityOptions options;
  options.certificate_path = certificate;
  options.private_key_path = key;
  options.intermediates_path = intermediates;
  if (password) options.password = SecretString(*password);
  options.labels = cli_labels();
  return options;
}
}  // namespace

Identity load(const std::string& certificate, const std::string& key,
              const std::string& intermediates, std::optional<std::string> password) {
  return load_file_identity(options_for(certificate, key, intermediates, std::move(password)),
                            SystemClock{});
}

Error load_error(const std::string& certificate, const std::string& key,
                 const std::string& intermediates, std::optional<std::string> password) {
  try {
    load_file_identity(options_for(certificate, key, intermediates, std::move(password)),
                       SystemClock{});
  } catch (const Error& error) {
    return error;
  }
  FAIL("load_file_identity accepted certificate '" << certificate << "' and key '" << key << "'");
  throw std::logic_error("unreachable");
}

bool softhsm_token_ready() {
  static const bool ready = [] {
    if (!fs::exists(kSoftHsmModule)) return false;
    const std::string dir = scratch("token");
    run(std::string(SOURCE_DIR) + "/tests/pkcs11/make-softhsm-token.sh " + dir + " " +
        pki_dir().string() + " >/dev/null 2>&1");
    ::setenv("SOFTHSM2_CONF", (dir + "/softhsm2.conf").c_str(), 1);
    return true;
  }();
  if (!ready) WARN_MESSAGE(false, "SKIPPED: SoftHSM2 is not installed (" << kSoftHsmModule << ")");
  return ready;
}

}  // namespace identity_test
