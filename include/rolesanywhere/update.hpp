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
#include "rolesanywhere/unique_fd.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace rolesanywhere::update {

// How update's messages name the command-line flags they point to: the library never spells a
// flag itself, the command line passes the names it uses. Empty leaves the flag out.
struct UpdateLabels {
  // The flag that chooses the profile: "--profile 'x' cannot name a section ...", "Choose
  // another profile with --profile, ...". Empty: "profile 'x' ...", "Choose another profile, ...".
  std::string profile_flag;
  // The flag for a single update, offered when a profile is already kept fresh by another
  // process: "(or use --once for a single update)". Empty: not offered.
  std::string once_flag;
};

// The shared credentials file: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials (HOME, or the
// password database when HOME is unset).
std::filesystem::path credentials_file_path_from_environment();

// Throws Error(kInvalidArgument) naming the profile with labels.profile_flag when `profile`
// cannot be a section name of the file botocore reads back.
void check_profile_name(std::string_view profile, const UpdateLabels& labels);

// A running `update` keeping `profile` of `file` fresh: held for the process's lifetime, so a
// second one for the same profile (a cron job beside a systemd unit, a unit started twice) is
// refused instead of doubling the CreateSessions and flipping the keys between the two. A lock on
// one byte of "<file>.lock" chosen by the profile name: no extra file, and apart from byte 0,
// which serialises writes. Throws Error(kInput) naming the profile and the file when another
// process holds it (offering labels.once_flag). Where such locks are not supported, nothing is
// claimed.
class ProfileClaim {
 public:
  ProfileClaim(const std::filesystem::path& file, std::string_view profile,
               const UpdateLabels& labels = {});
  ProfileClaim(const ProfileClaim&) = delete;
  ProfileClaim& operator=(const ProfileClaim&) = delete;

 private:
  UniqueFd fd_;  // closing it releases the claim
};

struct UpdateServiceOptions {
  std::filesystem::path file;  // the shared credentials file
  std::string profile = "default";
  UpdateLabels labels;
  // A refusal before anything was written is retried slowly instead of ending the service.
  bool retry_errors = false;
  RefreshPolicy policy;
  DebugSink debug;
};

// What update tells its operator; every member optional, called on the refreshing thread.
struct UpdateEvents {
  // The profile was written while running (not for update_once()): the credentials and when
  // they will be refreshed.
  std::function<void(const Credentials& credentials, TimePoint next_refresh)> written;
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

  // How run() went: the first attempt's outcome, what ended it other than a stop (thrown), and
  // the expiry of what was last written.
  const FirstFetch& first_fetch() const noexcept { return service_.first_fetch(); }
  void rethrow_failure() const { service_.rethrow_failure(); }
  std::optional<TimePoint> written_expiration() const { return service_.delivered_expiration(); }

 private:
  Credentials fetch();
  void write(const Credentials& credentials, TimePoint next_refresh);

  UpdateServiceOptions options_;
  RolesAnywhereProvider& provider_;
  const Clock& clock_;
  UpdateEvents events_;
  bool running_ = false;  // in run(): a failed write keeps the credentials for a retry
  // Only touched on the refreshing thread.
  struct Unwritten {
    Credentials credentials;
    TimePoint due;  // the refresh the refresher planned for them
  };
  std::optional<Unwritten> unwritten_;
  std::atomic<bool> new_credentials_wanted_{false};
  CredentialService service_;  // last: its callbacks use the members above
};

}  // namespace rolesanywhere::update
