// update as a service: keeps a profile of the AWS shared credentials file filled with temporary
// credentials from a provider, refreshing them before they expire, until stopped. Other
// profiles, comments and the file's mode are kept; a write is atomic.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credential_service.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/provider.hpp"
#include "rolesanywhere/refresher.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

namespace rolesanywhere::update {

struct UpdateServiceOptions {
  std::filesystem::path file;  // the shared credentials file
  std::string profile = "default";
  // A refusal before anything was written is retried slowly instead of ending the service.
  bool retry_errors = false;
  RefreshPolicy policy;
  DebugSink debug;
};

// What update tells its operator; every member optional, called on the refreshing thread.
struct UpdateEvents {
  // The profile was written while running (not for update_once()): the credentials and when
  // they will be refreshed at the latest.
  std::function<void(const Credentials& credentials, TimePoint refresh_by)> written;
  // The first attempt failed and the service goes on retrying.
  std::function<void(const RefreshFailure&)> first_attempt_failed;
  // A later failure worth a line; still_valid_until is that of the credentials last written.
  std::function<void(const FailureReport&)> failed;
  // A write waits for another process's lock on the file (said after a second).
  std::function<void()> waiting_for_lock;
};

class UpdateService {
 public:
  // `provider` and `clock` must outlive the service.
  UpdateService(UpdateServiceOptions options, RolesAnywhereProvider& provider, const Clock& clock,
                UpdateEvents events);

  // One CreateSession and one write; throws what failed, and writes nothing unless
  // CreateSession succeeded.
  void update_once();
  // The refreshing thread's body: keeps the profile fresh until `stop`, or until a refusal
  // before anything was written ends it (first_fetch() then says kRejected). Credentials that
  // could not be written (a full disk) are written again at the next attempts instead of asking
  // the service for new ones, until they come due for a refresh themselves.
  void run(std::stop_token stop);
  // Refresh now with new credentials, not ones kept for a retry of the write (SIGHUP).
  void refresh_soon();

  // How run() went: the first attempt's outcome and the expiry of what was last written.
  const FirstFetch& first_fetch() const noexcept { return service_.first_fetch(); }
  std::optional<TimePoint> written_expiration() const { return service_.delivered_expiration(); }

 private:
  Credentials fetch();
  void write(const Credentials& credentials);

  UpdateServiceOptions options_;
  RolesAnywhereProvider& provider_;
  const Clock& clock_;
  UpdateEvents events_;
  bool running_ = false;  // in run(): a failed write keeps the credentials for a retry
  // Only touched on the refreshing thread.
  std::optional<Credentials> unwritten_;
  std::atomic<bool> new_credentials_wanted_{false};
  CredentialService service_;  // last: its callbacks use the members above
};

}  // namespace rolesanywhere::update
