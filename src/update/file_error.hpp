// The one shape of a failed file operation in update's messages: "cannot <what> <path>: <reason>".
#pragma once

#include <filesystem>
#include <string_view>

namespace rolesanywhere::update {

// Throws Error(kInput) "cannot <what> <path>: <strerror(error_number)>".
[[noreturn]] void throw_file_error(std::string_view what, const std::filesystem::path& path,
                                   int error_number);

}  // namespace rolesanywhere::update
