// One identity shared by several providers (serve --config's bindings with the same certificate
// and key): which sources count as the same, and the turns their fetches take.
#include "test_identity_fixtures.hpp"
#include "test_service_fixtures.hpp"

#include "rolesanywhere/provider.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

using namespace rolesanywhere;
using namespace std::chrono_literals;

namespace {

IdentitySource source(const std::string& certificate, const std::string& key) {
  IdentitySource source;
  source.certificate = certificate;
  source.private_key = key;
  return source;
}

std::shared_ptr<SharedIdentity> shared_rsa_identity() {
  const std::string certificate = identity_test::pki("rsa2048.crt.pem");
  const std::string key = identity_test::pki("rsa2048.key.pem");
  return std::make_shared<SharedIdentity>(
      RenewableIdentity({}, [certificate, key] { return identity_test::load(certificate, key); }));
}

}  // namespace

TEST_CASE("identity_sharing_key: the same files and secrets share, any difference does not") {
  const IdentitySource base = source("/pki/a.pem", "/pki/a.key");
  CHECK(identity_sharing_key(base) == identity_sharing_key(source("/pki/a.pem", "/pki/a.key")));
  CHECK(identity_sharing_key(base) != identity_sharing_key(source("/pki/b.pem", "/pki/a.key")));
  CHECK(identity_sharing_key(base) != identity_sharing_key(source("/pki/a.pem", "/pki/b.key")));
  // Field boundaries count: "ab" + "c" is not "a" + "bc".
  CHECK(identity_sharing_key(source("ab", "c")) != identity_sharing_key(source("a", "bc")));

  IdentitySource with_intermediates = base;
  with_intermediates.intermediates = "/pki/chain.pem";
  CHECK(identity_sharing_key(base) != identity_sharing_key(with_intermediates));

  IdentitySource with_password = base;
  with_password.key_password = SecretString("hunter2-password");
  IdentitySource other_password = base;
  other_password.key_password = SecretString("another-password");
  CHECK(identity_sharing_key(base) != identity_sharing_key(with_password));
  CHECK(identity_sharing_key(with_password) != identity_sharing_key(other_password));
  // A digest: the password is not in it.
  CHECK(identity_sharing_key(with_password).find("hunter2") == std::string::npos);

  IdentitySource tpm = base;
  tpm.no_tpm_key_password = true;
  CHECK(identity_sharing_key(base) != identity_sharing_key(tpm));
  IdentitySource module = base;
  module.pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so";
  CHECK(identity_sharing_key(base) != identity_sharing_key(module));
  IdentitySource reuse = base;
  reuse.reuse_pin = true;
  CHECK(identity_sharing_key(base) != identity_sharing_key(reuse));
}

TEST_CASE("SharedIdentity: one turn at a time; a waiting turn ends on a stop request") {
  const auto shared = shared_rsa_identity();
  CHECK(shared->current().certificate() != nullptr);

  std::optional<SharedIdentity::Turn> first;
  first.emplace(*shared, std::stop_token{});

  std::stop_source stop;
  std::atomic<bool> cancelled{false};
  std::thread waiter([&] {
    try {
      SharedIdentity::Turn second(*shared, stop.get_token());
    } catch (const Error& error) {
      cancelled = error.kind() == Error::Kind::kCancelled;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop.request_stop();
  waiter.join();
  CHECK(cancelled);

  // Released: the next turn is taken at once, on another thread too.
  std::atomic<bool> taken{false};
  std::thread next([&] {
    SharedIdentity::Turn turn(*shared, std::stop_token{});
    taken = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(taken);  // still held by `first`
  first.reset();
  next.join();
  CHECK(taken);
}

namespace {

// Holds its one request until released, the way a slow or throttling service holds a binding's
// CreateSession; then answers it.
class HeldTransport final : public HttpTransport {
 public:
  HttpResponse send(const std::string&, const HttpRequest&) override {
    std::unique_lock lock(mutex_);
    entered_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
    return service_test::created("ASIAHELD", std::chrono::system_clock::now() + 1h);
  }
  bool wait_entered(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [this] { return entered_; });
  }
  void release() {
    const std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false;
  bool released_ = false;
};

}  // namespace

TEST_CASE("SharedIdentity: one provider's CreateSession in flight does not hold up another's") {
  const auto shared = shared_rsa_identity();
  const SystemClock clock;
  auto held_transport = std::make_unique<HeldTransport>();
  HeldTransport& held = *held_transport;
  RolesAnywhereProvider slow(shared, service_test::test_params(), std::move(held_transport));
  RolesAnywhereProvider quick(
      shared, service_test::test_params(),
      std::make_unique<service_test::ScriptedTransport>(
          std::vector<service_test::ScriptedTransport::Step>{
              service_test::created("ASIAQUICK", std::chrono::system_clock::now() + 1h)}));

  std::thread slow_fetch([&] { CHECK(slow.fetch(clock).access_key_id == "ASIAHELD"); });
  REQUIRE(held.wait_entered(10s));  // slow's request is signed and waits on its service
  std::promise<std::string> quick_key;
  std::thread quick_fetch([&] { quick_key.set_value(quick.fetch(clock).access_key_id); });
  auto answer = quick_key.get_future();
  const bool quick_done = answer.wait_for(10s) == std::future_status::ready;
  held.release();  // either way, so the threads end
  slow_fetch.join();
  quick_fetch.join();
  CHECK(quick_done);
  CHECK(answer.get() == "ASIAQUICK");
}
