// An identity loaded from files that something renews on disk (cert-manager, step-ca, an ACME
// client, a Kubernetes Secret volume swapping its symbolic link): serve and update check the
// files before each CreateSession and load them again when one changed, so a long-running
// process signs with the renewed certificate instead of the one that is about to expire.
//
// A renewal that cannot be loaded (half written, a certificate whose new key is not written
// yet, one that is not valid yet) never replaces the identity in use: the check is repeated
// before every CreateSession until the files load. The files are parsed again only when stat(2)
// says they changed, never per signature.
#pragma once

#include "rolesanywhere/identity.hpp"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rolesanywhere {

// What stat(2) says of a file, enough to tell that it was replaced or rewritten.
struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t modified_ns = 0;
  std::int64_t changed_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// The stamp of `path`, symbolic links followed (a swapped link is a change), or nullopt when it
// cannot be stat'ed (a file missing for a moment during a renewal counts as changed).
std::optional<FileStamp> stamp_file(const std::string& path);

class RenewableIdentity {
 public:
  // Loads the identity (throwing what `load` throws). The files are stamped before the load, so
  // a renewal that lands during it is picked up at the next check. With no paths (a PKCS#11
  // identity), nothing is ever reloaded.
  using Load = std::function<Identity()>;
  RenewableIdentity(std::vector<std::string> paths, Load load);

  const Identity& current() const noexcept { return *identity_; }
  // The identity in use, kept alive for as long as the caller holds it: a CreateSession signs
  // with it while a renewal replaces current() for the next ones.
  std::shared_ptr<const Identity> snapshot() const noexcept { return identity_; }
  // False for an identity that is never reloaded (no files: a PKCS#11 token).
  bool watches_files() const noexcept { return !paths_.empty(); }

  struct Check {
    enum class Outcome {
      kUnchanged,  // the files are those of the identity in use
      kReloaded,   // they changed, and current() is now the renewed identity
      kFailed,     // they changed, cannot be loaded; current() is still the previous identity
    };
    Outcome outcome = Outcome::kUnchanged;
    // kFailed: why the files on disk could not be loaded (Error::what(), never a secret).
    std::string failure;
    // kFailed: these files, as they are now, were not reported before (say it once, not at
    // every retry; a failure that persists is retried silently).
    bool first_failure = false;
  };
  // Stamps the files and, when any differs from those of current(), loads them again.
  Check reload_if_changed();

 private:
  using Stamps = std::vector<std::optional<FileStamp>>;
  Stamps stamp_all() const;

  std::vector<std::string> paths_;
  Load load_;
  Stamps loaded_stamps_;                 // of the files current() came from
  std::optional<Stamps> failed_stamps_;  // of the files last reported as failing
  std::shared_ptr<const Identity> identity_;
};

}  // namespace rolesanywhere
