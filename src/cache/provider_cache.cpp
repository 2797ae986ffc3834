#include "rolesanywhere/credential_cache.hpp"
#include "rolesanywhere/error.hpp"

namespace rolesanywhere {

CachedCredentials fetch_through_cache(RolesAnywhereProvider& provider,
                                      const TransportOptions& transport,
                                      const CacheOptions& options, const Clock& clock) {
  const CreateSessionParams& params = provider.params();
  const Endpoint endpoint = resolve_endpoint(params);
  CacheKey key = cache_key_for(provider.identity());
  key.trust_anchor_arn = params.trust_anchor_arn;
  key.profile_arn = params.profile_arn;
  key.role_arn = params.role_arn;
  key.role_session_name = params.role_session_name.value_or("");
  key.duration_seconds = params.duration_seconds;
  key.instance_properties = params.instance_properties;
  key.region = endpoint.region;
  key.endpoint_url = endpoint.url;
  key.transport = std::string("verify-tls=") + (transport.verify_tls ? "yes" : "no") +
                  ";ca-bundle=" + transport.ca_bundle.value_or("") +
                  ";proxy=" + (transport.use_proxy ? "yes" : "no");
  const std::string id = cache_entry_id(key);
  const auto fetch = [&provider, &clock] {
    preload_http_client();  // a miss: libcurl loads on another thread while the request is signed
    return provider.fetch(clock);
  };

  std::optional<SecretString> entry_key;
  try {
    entry_key = cache_entry_key(provider.identity(), id);
  } catch (const Error& error) {
    debug(options.debug,
          std::string("cache: no entry key (") + error.what() + "); fetching without the cache");
    return {fetch(), CacheOutcome::kBypassed};
  }
  return fetch_through_cache(options, id, entry_key, fetch, clock);
}

}  // namespace rolesanywhere
