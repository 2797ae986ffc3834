// What serve does when its first CreateSession fails: a rejection will not fix itself, so it
// stops with the reason; an unreachable or overloaded service may, so it serves (503 until
// credentials arrive) and keeps retrying in the background.
#pragma once

#include "rolesanywhere/error.hpp"

namespace rolesanywhere::serve {

enum class StartupVerdict {
  kStop,        // bad certificate or key, access denied, a wrong flag: exit with the message
  kKeepTrying,  // connection refused, timeout, 5xx, throttling: serve and retry
};

StartupVerdict classify_startup_failure(const Error& error);

}  // namespace rolesanywhere::serve
