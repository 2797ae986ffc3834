// Where the shared credentials file is: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, the
// file a symbolic link there stands for, and the directory it goes in.
#pragma once

#include <filesystem>

namespace rolesanywhere::update {

// AWS_SHARED_CREDENTIALS_FILE when set and non-empty (a leading "~/" means home), else
// <home>/.aws/credentials. Pure: the caller passes the environment. Throws Error(kInput) when
// neither is known.
std::filesystem::path credentials_file_path(const char* shared_credentials_file_env,
                                            const char* home_env);
// credentials_file_path_from_environment() is declared in rolesanywhere/update.hpp.

// The directory `file` is in; "." for a bare file name.
std::filesystem::path directory_of(const std::filesystem::path& file);

// The file a symbolic link stands for, so that it is written through (dotfile managers link
// ~/.aws/credentials) instead of replaced; `file` itself when it is no link or cannot be resolved.
std::filesystem::path resolve_symlinks(const std::filesystem::path& file);

// Creates the missing directories of `directory` with mode 0700.
void create_private_directories(const std::filesystem::path& directory);

}  // namespace rolesanywhere::update
