// How update's messages name the command-line flags they point to. The library never spells a
// flag itself: the command line passes the names it uses.
#pragma once

#include <string>

namespace rolesanywhere::update {

struct UpdateLabels {
  // ---- CLI wording: these defaults reproduce the helper's messages until src/cli passes its
  // ---- own labels (then they become empty, which leaves the flag out of the message).
  // The flag that chooses the profile: "--profile 'x' cannot name a section ...", "Choose
  // another profile with --profile, ...". Empty: "profile 'x' ...", "Choose another profile, ...".
  std::string profile_flag = "--profile";
  // The flag for a single update, offered when a profile is already kept fresh by another
  // process: "(or use --once for a single update)". Empty: not offered.
  std::string once_flag = "--once";
};

}  // namespace rolesanywhere::update
