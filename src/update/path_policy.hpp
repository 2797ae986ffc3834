// What root refuses to touch: a credentials file on a path that another user could change.
#pragma once

#include <filesystem>

namespace rolesanywhere::update {

// As root, refuses a path that anyone else could change, as ssh's StrictModes does: root
// following, reading or replacing what another user controls can be made to read or write files
// of that user's choosing, through links or swaps timed between two steps, and no check on names
// closes such races. Every directory from / to the file must be root's and writable by no one
// else (a root-owned sticky directory such as /tmp passes when the next entry on the path exists:
// others cannot swap entries there), every link on the way root's (its target is then checked
// the same way), and the file root's when it exists. Someone else's file is updated by running
// update as that user. Throws Error(kInput) naming the part of the path and the way out; does
// nothing when not root.
void refuse_paths_others_control(const std::filesystem::path& file);

}  // namespace rolesanywhere::update
