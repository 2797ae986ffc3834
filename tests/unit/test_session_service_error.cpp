// Which CreateSession errors are worth another attempt.
#include <doctest/doctest.h>

#include "rolesanywhere/error.hpp"

#include <string>

using namespace rolesanywhere;

TEST_CASE("ServiceError retries server errors but not 501 Not Implemented") {
  for (long status : {500L, 502L, 503L, 504L, 599L}) {
    CAPTURE(status);
    CHECK(ServiceError(status, "", "").retryable());
  }
  CHECK_FALSE(ServiceError(501, "", "").retryable());
  CHECK_FALSE(ServiceError(501, "NotImplemented", "no such operation").retryable());
  CHECK(ServiceError(501, "ThrottlingException", "").retryable());  // the code still counts
}

TEST_CASE(
    "ServiceError retries 429 and every throttling code of the AWS SDKs whatever the status") {
  CHECK(ServiceError(429, "", "").retryable());
  for (const char* type : {"ThrottlingException", "Throttling", "ThrottledException",
                           "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled",
                           "RequestThrottledException", "ProvisionedThroughputExceededException",
                           "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException"}) {
    CAPTURE(type);
    CHECK(ServiceError(400, type, "slow down").retryable());
  }
}

TEST_CASE("ServiceError does not retry what the caller must fix") {
  CHECK_FALSE(ServiceError(400, "ValidationException", "bad").retryable());
  CHECK_FALSE(ServiceError(403, "AccessDeniedException", "no").retryable());
  CHECK_FALSE(ServiceError(404, "ResourceNotFoundException", "gone").retryable());
  // Codes are compared exactly: a near miss is not throttling.
  CHECK_FALSE(ServiceError(400, "throttlingexception", "").retryable());
  CHECK_FALSE(ServiceError(400, "ThrottlingExceptionX", "").retryable());
  CHECK_FALSE(ServiceError(400, "", "").retryable());
}
