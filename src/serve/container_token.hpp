// The authorization token of the container credentials path. SDKs send it in the
// Authorization header, read from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; serve reads the same
// file, or creates it (mode 0600, a fresh random token) when it does not exist yet, so the
// token is never printed or passed on a command line.
#pragma once

#include "rolesanywhere/secret.hpp"

#include <string>

namespace rolesanywhere::serve {

// Throws Error(kInput) naming the file (after `flag`, "--container-token-file", when not empty)
// when it cannot be read or created, or holds no token or one shorter than 16 characters (easy
// to guess).
SecretString read_or_create_container_token(const std::string& path, const std::string& flag = {});

}  // namespace rolesanywhere::serve
