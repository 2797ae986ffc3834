#include "file_error.hpp"

#include "rolesanywhere/error.hpp"

#include <cstring>
#include <string>

namespace rolesanywhere::update {

void throw_file_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  throw Error(Error::Kind::kInput, "cannot " + std::string(what) + " " + path.string() + ": " +
                                       std::strerror(error_number));
}

}  // namespace rolesanywhere::update
