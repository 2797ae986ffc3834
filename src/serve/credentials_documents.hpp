// The JSON bodies the endpoint answers with. Written by hand rather than through a JSON library
// so that the secret values are copied exactly once, into the response body, and nowhere else
// (with the pieces in rolesanywhere/credentials.hpp that credential_process uses too).
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"

#include <string>
#include <string_view>

namespace rolesanywhere::serve {

// What EC2's instance metadata service answers on .../security-credentials/<role>:
// {"Code":"Success","LastUpdated":...,"Type":"AWS-HMAC","AccessKeyId":...,
//  "SecretAccessKey":...,"Token":...,"Expiration":...}
std::string imds_credentials_json(const Credentials& credentials, TimePoint last_updated);

// What the container credentials provider (ECS, EKS Pod Identity) answers:
// {"AccessKeyId":...,"SecretAccessKey":...,"Token":...,"Expiration":...}
std::string container_credentials_json(const Credentials& credentials);

// {"Code":<code>,"Message":<message>}: the 503 when there are no valid credentials to hand out.
std::string error_json(std::string_view code, std::string_view message);

}  // namespace rolesanywhere::serve
