#include "startup_policy.hpp"

#include "rolesanywhere/refresher.hpp"

namespace rolesanywhere::serve {

// The same line the refresher draws between retrying fast and retrying slowly: what it calls
// permanent would fail again at once, so at start-up it is reported instead.
StartupVerdict classify_startup_failure(const Error& error) {
  return is_permanent_failure(error) ? StartupVerdict::kStop : StartupVerdict::kKeepTrying;
}

}  // namespace rolesanywhere::serve
