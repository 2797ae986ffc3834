// --use-fips-endpoint and AWS_USE_FIPS_ENDPOINT (issue 16): the partition's FIPS host, the
// signing region unchanged, an explicit endpoint winning, and an error for aws-cn.
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rolesanywhere;

namespace {

CreateSessionParams params_in(const std::string& partition, const std::string& region) {
  CreateSessionParams params;
  params.trust_anchor_arn =
      "arn:" + partition + ":rolesanywhere:" + region + ":123456789012:trust-anchor/a1";
  params.profile_arn = "arn:" + partition + ":rolesanywhere:" + region + ":123456789012:profile/p1";
  params.role_arn = "arn:" + partition + ":iam::123456789012:role/Workload";
  params.use_fips_endpoint = true;
  return params;
}

}  // namespace

TEST_CASE("the FIPS endpoint is the partition's rolesanywhere-fips host, signing region kept") {
  Endpoint endpoint = resolve_endpoint(params_in("aws", "us-east-1"));
  CHECK(endpoint.url == "https://rolesanywhere-fips.us-east-1.amazonaws.com");
  CHECK(endpoint.host == "rolesanywhere-fips.us-east-1.amazonaws.com");
  CHECK(endpoint.region == "us-east-1");

  endpoint = resolve_endpoint(params_in("aws-us-gov", "us-gov-west-1"));
  CHECK(endpoint.url == "https://rolesanywhere-fips.us-gov-west-1.amazonaws.com");
  CHECK(endpoint.region == "us-gov-west-1");

  CreateSessionParams params = params_in("aws", "us-east-1");
  params.region = "us-west-2";
  endpoint = resolve_endpoint(params);
  CHECK(endpoint.url == "https://rolesanywhere-fips.us-west-2.amazonaws.com");
  CHECK(endpoint.region == "us-west-2");

  params.use_fips_endpoint = false;
  CHECK(resolve_endpoint(params).url == "https://rolesanywhere.us-west-2.amazonaws.com");
}

TEST_CASE("an explicit endpoint wins over the FIPS choice") {
  CreateSessionParams params = params_in("aws", "us-east-1");
  params.endpoint = "https://vpce-1.rolesanywhere.us-east-1.vpce.amazonaws.com";
  const Endpoint endpoint = resolve_endpoint(params);
  CHECK(endpoint.url == "https://vpce-1.rolesanywhere.us-east-1.vpce.amazonaws.com");
  CHECK(endpoint.region == "us-east-1");
}

TEST_CASE("aws-cn has no FIPS endpoint: an error naming where the request came from") {
  CreateSessionParams params = params_in("aws-cn", "cn-north-1");
  params.labels.use_fips_endpoint = "AWS_USE_FIPS_ENDPOINT=true";
  params.labels.trust_anchor_arn = "--trust-anchor-arn";
  params.labels.endpoint = "--endpoint";
  CHECK_THROWS_WITH_AS(resolve_endpoint(params),
                       "AWS_USE_FIPS_ENDPOINT=true: --trust-anchor-arn is in partition "
                       "\"aws-cn\", where IAM Roles Anywhere has no FIPS endpoint (only aws and "
                       "aws-us-gov have them); name one with --endpoint",
                       Error);
  params.use_fips_endpoint = false;
  CHECK(resolve_endpoint(params).url == "https://rolesanywhere.cn-north-1.amazonaws.com.cn");
}
