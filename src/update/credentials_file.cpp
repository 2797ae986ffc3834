#include "credentials_file.hpp"

#include "credentials_ini.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/secret.hpp"

#include <optional>
#include <string>

namespace rolesanywhere::update {
namespace fs = std::filesystem;
namespace {

// Long-term IAM user keys (AKIA...) in the profile would be replaced by temporary credentials for
// good, with no way to get them back: refuse, naming the way out. Temporary ones (ASIA...) are
// what update writes and replaces.
void refuse_long_term_keys(std::string_view text, std::string_view profile, const fs::path& file,
                           const UpdateLabels& labels) {
  const std::optional<std::string> key_id = ini_value(text, profile, "aws_access_key_id");
  if (!key_id || !key_id->starts_with("AKIA")) return;
  const std::string with_flag = labels.profile_flag.empty() ? "" : " with " + labels.profile_flag;
  throw Error(Error::Kind::kInput,
              "profile '" + std::string(profile) + "' in " + file.string() +
                  " holds long-term access keys (an access key id starting AKIA); update would "
                  "replace them with temporary credentials for good. Choose another profile" +
                  with_flag + ", or remove those keys from it first; the file was not changed");
}

}  // namespace

void check_profile_name(std::string_view profile, const UpdateLabels& labels) {
  check_profile_name(profile, std::string_view(labels.profile_flag));
}

UpdateResult update_credentials_file(const fs::path& configured_file, std::string_view profile,
                                     const Credentials& credentials, const UpdateOptions& options) {
  check_profile_name(profile, options.labels);
  refuse_paths_others_control(configured_file);
  const fs::path file = resolve_symlinks(configured_file);
  create_private_directories(directory_of(file));

  FileLock lock(lock_file_path(file), options.lock_timeout, options.on_lock_wait);
  remove_stale_temporary_files(file);
  FileSnapshot snapshot = read_file_snapshot(file);
  const WipeOnExit wipe_snapshot(snapshot.text);
  refuse_long_term_keys(snapshot.text, profile, file, options.labels);
  std::string text = apply_credentials(snapshot.text, profile, credentials);
  const WipeOnExit wipe_text(text);

  // A writer that ignores our lock may have changed the file while we wrote ours: redo the edit
  // on what is there now, so that its change is not lost.
  auto reread = [&]() -> std::optional<std::string> {
    FileSnapshot now = read_file_snapshot(file);
    const WipeOnExit wipe_now(now.text);
    if (now.exists == snapshot.exists && now.text == snapshot.text) return std::nullopt;
    snapshot.text.swap(now.text);  // the old text, now in now.text, is wiped on return
    snapshot.exists = now.exists;
    refuse_long_term_keys(snapshot.text, profile, file, options.labels);
    return apply_credentials(snapshot.text, profile, credentials);
  };
  const bool existed = snapshot.exists;
  write_file_atomically(file, text, snapshot, reread, options.hook);
  return {file, !existed};
}

}  // namespace rolesanywhere::update
