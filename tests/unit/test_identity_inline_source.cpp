// Certificates, keys and intermediates without files (issue 16): env:NAME (PEM or base64 DER) and
// fd:N (read once), preloaded at start-up so the variable leaves the environment, and errors
// that name the flag.
#include "identity/identity_detail.hpp"
#include "test_identity_fixtures.hpp"

#include "rolesanywhere/provider.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

using namespace rolesanywhere;
using namespace identity_test;

namespace {

// The base64 body of a PEM file: the DER it carries, as base64 DER.
std::string pem_body(const std::string& pem) {
  std::string body;
  std::size_t at = 0;
  while (at < pem.size()) {
    std::size_t end = pem.find('\n', at);
    if (end == std::string::npos) end = pem.size();
    const std::string line = pem.substr(at, end - at);
    if (!line.starts_with("-----")) body += line + "\n";
    at = end + 1;
  }
  return body;
}

// A pipe whose read end holds `data` and its end, as a parent would pass one.
int pipe_holding(const std::string& data) {
  int ends[2];
  REQUIRE(::pipe(ends) == 0);
  REQUIRE(::write(ends[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  ::close(ends[1]);
  return ends[0];
}

std::string load_error_message(const FileIdentityOptions& options) {
  try {
    FixedClock clock(std::chrono::system_clock::now());
    load_file_identity(options, clock);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error");
  return {};
}

FileIdentityOptions options_for(std::string certificate, std::string key,
                                std::string intermediates = "") {
  FileIdentityOptions options;
  options.certificate_path = std::move(certificate);
  options.private_key_path = std::move(key);
  options.intermediates_path = std::move(intermediates);
  options.labels = cli_labels();
  return options;
}

}  // namespace

TEST_CASE("env: and fd: are inline sources; paths and URIs are not") {
  CHECK(is_inline_source("env:CERT"));
  CHECK(is_inline_source("fd:3"));
  CHECK_FALSE(is_inline_source("/etc/pki/cert.pem"));
  CHECK_FALSE(is_inline_source("pkcs11:token=x"));
  CHECK_FALSE(is_inline_source("handle:0x81000001"));
  CHECK_FALSE(is_inline_source("./env:CERT"));
}

TEST_CASE(
    "env: PEM certificate and base64 DER key, preloaded: the variables leave the environment") {
  ::setenv("RAH_TEST_CERT_PEM", read_file(pki("p256.crt.pem")).c_str(), 1);
  ::setenv("RAH_TEST_KEY_DER", pem_body(read_file(pki("p256.key.pem"))).c_str(), 1);
  ::setenv("RAH_TEST_CHAIN_DER", pem_body(read_file(pki("intermediates.pem"))).c_str(), 1);
  preload_inline_sources(
      {"env:RAH_TEST_CERT_PEM", "env:RAH_TEST_KEY_DER", "env:RAH_TEST_CHAIN_DER", "/not/inline"});
  CHECK(std::getenv("RAH_TEST_CERT_PEM") == nullptr);
  CHECK(std::getenv("RAH_TEST_KEY_DER") == nullptr);
  CHECK(std::getenv("RAH_TEST_CHAIN_DER") == nullptr);

  FixedClock clock(std::chrono::system_clock::now());
  const Identity identity = load_file_identity(
      options_for("env:RAH_TEST_CERT_PEM", "env:RAH_TEST_KEY_DER", "env:RAH_TEST_CHAIN_DER"),
      clock);
  CHECK(identity.key_type() == KeyType::kEc);
  CHECK(identity.chain().size() == 1);
  CHECK(identity.certificate_base64() ==
        load(pki("p256.crt.pem"), pki("p256.key.pem")).certificate_base64());

  // Read once: the bytes were handed to that load and wiped after it.
  CHECK(load_error_message(options_for("env:RAH_TEST_CERT_PEM", pki("p256.key.pem")))
            .find("--certificate env:RAH_TEST_CERT_PEM was read already") != std::string::npos);
}

TEST_CASE("fd: certificate (DER) and key (PEM) from pipes, closed once read") {
  const int certificate_fd = pipe_holding(read_file(pki("rsa2048.crt.der")));
  const int key_fd = pipe_holding(read_file(pki("rsa2048.key.pem")));
  const std::string certificate = "fd:" + std::to_string(certificate_fd);
  const std::string key = "fd:" + std::to_string(key_fd);
  FixedClock clock(std::chrono::system_clock::now());
  const Identity identity = load_file_identity(options_for(certificate, key), clock);
  CHECK(identity.key_type() == KeyType::kRsa);
  CHECK(::fcntl(certificate_fd, F_GETFD) == -1);
  CHECK(::fcntl(key_fd, F_GETFD) == -1);
}

TEST_CASE("a value given to two flags is read once and serves both") {
  const int fd = pipe_holding(read_file(pki("p256.crt.pem")) + read_file(pki("p256.key.pem")));
  const std::string both = "fd:" + std::to_string(fd);
  preload_inline_sources({both, both});
  FixedClock clock(std::chrono::system_clock::now());
  CHECK_NOTHROW(load_file_identity(options_for(both, both), clock));
}

TEST_CASE("a missing variable, a closed descriptor or a malformed value names the flag") {
  ::unsetenv("RAH_TEST_NOT_SET");
  preload_inline_sources({"env:RAH_TEST_NOT_SET"});
  CHECK(load_error_message(options_for("env:RAH_TEST_NOT_SET", pki("p256.key.pem"))) ==
        "--certificate env:RAH_TEST_NOT_SET: the environment variable RAH_TEST_NOT_SET is not set");

  // A number no other test uses (values preloaded by one test case stay known to the process).
  ::close(987);
  CHECK(load_error_message(options_for(pki("p256.crt.pem"), "fd:987")) ==
        "--private-key fd:987: file descriptor 987 is not open (was it passed to the helper?)");

  CHECK(load_error_message(options_for(pki("p256.crt.pem"), "fd:seven"))
            .starts_with("--private-key fd:seven: fd: takes the number"));
  CHECK(load_error_message(options_for("env:", pki("p256.key.pem")))
            .starts_with("--certificate env:: env: takes the name"));
  CHECK(load_error_message(options_for(pki("p256.crt.pem"), "fd:1")).find("standard output") !=
        std::string::npos);

  ::setenv("RAH_TEST_EMPTY", "", 1);
  CHECK(load_error_message(options_for("env:RAH_TEST_EMPTY", pki("p256.key.pem"))) ==
        "--certificate env:RAH_TEST_EMPTY: the environment variable RAH_TEST_EMPTY is empty");
  ::setenv("RAH_TEST_BAD_BASE64", "MIIB=AAA", 1);
  CHECK(load_error_message(options_for("env:RAH_TEST_BAD_BASE64", pki("p256.key.pem"))) ==
        "--certificate env:RAH_TEST_BAD_BASE64 is neither PEM nor well-formed base64 DER");
}

TEST_CASE("an identity with an inline part is not watched for renewal") {
  IdentitySource source;
  source.certificate = pki("p256.crt.pem");
  source.private_key = pki("p256.key.pem");
  CHECK(identity_files(source).size() == 2);
  source.private_key = "env:RAH_TEST_KEY";
  CHECK(identity_files(source).empty());
  source.private_key = pki("p256.key.pem");
  source.intermediates = "fd:5";
  CHECK(identity_files(source).empty());
}
