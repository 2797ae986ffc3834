#include "startup_policy.hpp"

namespace rolesanywhere::serve {

StartupVerdict classify_startup_failure(const Error& error) {
  switch (error.kind()) {
    case Error::Kind::kTransport:
      return StartupVerdict::kKeepTrying;
    case Error::Kind::kService: {
      // An answer that is not a service error (a garbled body from a proxy) is a transient
      // fault; a service error is retryable only for 5xx and throttling.
      const auto* service = dynamic_cast<const ServiceError*>(&error);
      return !service || service->retryable() ? StartupVerdict::kKeepTrying : StartupVerdict::kStop;
    }
    case Error::Kind::kInvalidArgument:
    case Error::Kind::kInput:
    case Error::Kind::kCrypto:
    case Error::Kind::kNotSupported:
    case Error::Kind::kInternal:
      return StartupVerdict::kStop;
  }
  return StartupVerdict::kStop;
}

}  // namespace rolesanywhere::serve
