// What a ServeListener holds until a service takes it over: the single serve and the fleet both
// build on it.
#pragma once

#include "rolesanywhere/secret.hpp"
#include "rolesanywhere/serve.hpp"
#include "rolesanywhere/unique_fd.hpp"

#include <optional>

namespace rolesanywhere::serve {

struct ServeListener::Parts {
  ServeOptions options;
  UniqueFd socket;
  ListeningEndpoint endpoint;
  std::optional<SecretString> container_token;  // the single serve's --container-token-file
};

}  // namespace rolesanywhere::serve
