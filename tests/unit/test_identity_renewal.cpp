// RenewableIdentity: files renewed on disk are loaded before the next use; a renewal that cannot
// be loaded yet never replaces the identity in use, is reported once, and is retried.
#include "test_identity_fixtures.hpp"

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/renewable_identity.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

using namespace rolesanywhere;
using namespace identity_test;
namespace fs = std::filesystem;

namespace {

using Outcome = RenewableIdentity::Check::Outcome;

// Replaces `target` with a copy of `source` the way renewal tools do: write aside, rename over.
void replace_file(const std::string& source, const std::string& target) {
  const std::string aside = target + ".new";
  fs::copy_file(source, aside, fs::copy_options::overwrite_existing);
  fs::rename(aside, target);
}

struct LiveFiles {
  std::string certificate;
  std::string key;
};

// A certificate and key at fixed paths, starting as the PKI's `kind` identity.
LiveFiles live_files(const std::string& name, const std::string& kind) {
  LiveFiles files{scratch(name + ".crt.pem"), scratch(name + ".key.pem")};
  replace_file(pki(kind + ".crt.pem"), files.certificate);
  replace_file(pki(kind + ".key.pem"), files.key);
  return files;
}

// Loads `files` with `clock`, counting the loads.
RenewableIdentity::Load loader(const LiveFiles& files, const Clock& clock, int& loads) {
  return [files, &clock, &loads] {
    ++loads;
    FileIdentityOptions options;
    options.certificate_path = files.certificate;
    options.private_key_path = files.key;
    options.intermediates_path = pki("intermediates.pem");
    return load_file_identity(options, clock);
  };
}

// A RenewableIdentity over live files that start as the PKI's `kind` identity, counting loads.
// Without `watch_files` it is given no paths, as for a PKCS#11 identity.
struct Watched {
  Watched(const std::string& name, const std::string& kind, bool watch_files = true)
      : files(live_files(name, kind)),
        identity(watch_files ? std::vector<std::string>{files.certificate, files.key}
                             : std::vector<std::string>{},
                 loader(files, clock, loads)) {}
  LiveFiles files;
  SystemClock clock;
  int loads = 0;
  RenewableIdentity identity;
};

std::string serial_of(const std::string& certificate_file) {
  return serial_decimal(read_certificate(certificate_file).get());
}

}  // namespace

TEST_CASE("renewal: unchanged files are not parsed again") {
  Watched watched("unchanged", "p256");
  auto& [files, clock, loads, identity] = watched;
  CHECK(loads == 1);
  for (int i = 0; i < 3; ++i) CHECK(identity.reload_if_changed().outcome == Outcome::kUnchanged);
  CHECK(loads == 1);
  CHECK(identity.current().serial_decimal() == serial_of(pki("p256.crt.pem")));
}

TEST_CASE("renewal: a certificate and key replaced on disk are used from the next check on") {
  Watched watched("renewed", "p256");
  auto& [files, clock, loads, identity] = watched;
  replace_file(pki("rsa2048.crt.pem"), files.certificate);
  replace_file(pki("rsa2048.key.pem"), files.key);

  const RenewableIdentity::Check check = identity.reload_if_changed();
  CHECK(check.outcome == Outcome::kReloaded);
  CHECK(check.failure.empty());
  CHECK(identity.current().serial_decimal() == serial_of(pki("rsa2048.crt.pem")));
  CHECK(identity.current().key_type() == KeyType::kRsa);
  CHECK(identity.reload_if_changed().outcome == Outcome::kUnchanged);
  CHECK(loads == 2);
}

TEST_CASE("renewal: a certificate whose new key is not written yet keeps the old identity") {
  Watched watched("half", "p256");
  auto& [files, clock, loads, identity] = watched;
  const std::string before = identity.current().serial_decimal();

  replace_file(pki("rsa2048.crt.pem"), files.certificate);  // the key is still the p256 one
  RenewableIdentity::Check check = identity.reload_if_changed();
  CHECK(check.outcome == Outcome::kFailed);
  CHECK(check.first_failure);
  CHECK_MESSAGE(check.failure.find("does not match") != std::string::npos, check.failure);
  CHECK(identity.current().serial_decimal() == before);

  // Still failing, files as they were: retried, but not reported again.
  check = identity.reload_if_changed();
  CHECK(check.outcome == Outcome::kFailed);
  CHECK_FALSE(check.first_failure);
  CHECK(identity.current().serial_decimal() == before);

  replace_file(pki("rsa2048.key.pem"), files.key);
  CHECK(identity.reload_if_changed().outcome == Outcome::kReloaded);
  CHECK(identity.current().serial_decimal() == serial_of(pki("rsa2048.crt.pem")));
}

TEST_CASE("renewal: a garbage file, then a missing one, are each reported once") {
  Watched watched("broken", "p256");
  auto& [files, clock, loads, identity] = watched;
  const std::string before = identity.current().serial_decimal();

  write_file("broken.garbage", "-----BEGIN CERTIFICATE-----\nnot base64\n");
  replace_file(scratch("broken.garbage"), files.certificate);
  RenewableIdentity::Check check = identity.reload_if_changed();
  CHECK(check.outcome == Outcome::kFailed);
  CHECK(check.first_failure);
  CHECK_MESSAGE(check.failure.find(files.certificate) != std::string::npos, check.failure);

  fs::remove(files.certificate);
  check = identity.reload_if_changed();
  CHECK(check.outcome == Outcome::kFailed);
  CHECK(check.first_failure);  // a different state of the files: worth saying
  CHECK(identity.current().serial_decimal() == before);

  replace_file(pki("p256.crt.pem"), files.certificate);  // the same certificate, put back
  CHECK(identity.reload_if_changed().outcome == Outcome::kReloaded);
  CHECK(identity.current().serial_decimal() == before);
}

TEST_CASE("renewal: a renewed certificate not valid yet is loaded once it becomes valid") {
  const LiveFiles files = live_files("notyet", "rsa2048");
  const TimePoint start = std::chrono::system_clock::now();
  FixedClock clock(start);
  int loads = 0;
  RenewableIdentity identity({files.certificate, files.key}, loader(files, clock, loads));
  const std::string before = identity.current().serial_decimal();

  // notyet.crt.pem (same RSA key) is valid from 30 days on.
  replace_file(pki("notyet.crt.pem"), files.certificate);
  RenewableIdentity::Check check = identity.reload_if_changed();
  CHECK(check.outcome == Outcome::kFailed);
  CHECK(identity.current().serial_decimal() == before);

  clock.advance(std::chrono::hours(24 * 31));
  check = identity.reload_if_changed();  // the files did not change; the time did
  CHECK(check.outcome == Outcome::kReloaded);
  CHECK(identity.current().serial_decimal() == serial_of(pki("notyet.crt.pem")));
}

TEST_CASE("renewal: an identity without files (a PKCS#11 token) is never reloaded") {
  Watched watched("nofiles", "p256", /*watch_files=*/false);
  auto& [files, clock, loads, identity] = watched;
  replace_file(pki("rsa2048.crt.pem"), files.certificate);
  replace_file(pki("rsa2048.key.pem"), files.key);
  CHECK(identity.reload_if_changed().outcome == Outcome::kUnchanged);
  CHECK(loads == 1);
}

TEST_CASE("renewal: stamp_file tells a replaced file from the same one") {
  const std::string path = write_file("stamp.txt", "one");
  const std::optional<FileStamp> first = stamp_file(path);
  REQUIRE(first);
  CHECK(stamp_file(path) == first);
  write_file("stamp.aside", "two");
  fs::rename(scratch("stamp.aside"), path);
  CHECK(stamp_file(path) != first);
  CHECK_FALSE(stamp_file(scratch("no-such-file")));
}
