#include "credential_source.hpp"

#include "identity_source.hpp"
#include "output.hpp"

namespace rolesanywhere::cli {

CredentialSource::CredentialSource(Identity identity, CreateSessionParams params,
                                   std::unique_ptr<HttpTransport> transport, DebugSink debug,
                                   std::stop_token cancel)
    : identity_(std::move(identity)),
      params_(std::move(params)),
      transport_(std::move(transport)),
      debug_(std::move(debug)),
      cancel_(std::move(cancel)) {}

Credentials CredentialSource::fetch(const Clock& clock) {
  RetryPolicy retry;
  retry.cancel = cancel_;
  return create_session(identity_, params_, *transport_, clock, retry, debug_);
}

void add_credential_source_flags(cxxopts::Options& options) {
  add_identity_flags(options, FlagSet::kCredentials);
  add_session_flags(options);
  add_debug_flag(options);
}

CredentialSource make_credential_source(const cxxopts::ParseResult& result, const Clock& clock,
                                        std::stop_token cancel) {
  DebugSink debug = stderr_debug_sink(result.count("debug") > 0);
  IdentityFlags identity_flags = read_identity_flags(result, FlagSet::kCredentials);
  CreateSessionParams params = read_session_flags(result);
  TransportOptions transport_options = read_transport_flags(result);
  transport_options.cancel = cancel;

  // Cheap checks of the flags first, so a typo in an ARN is reported before any file is read.
  reject_unsupported_sources(identity_flags);
  validate(params);

  Identity identity = load_identity(identity_flags, clock, debug);
  return CredentialSource(std::move(identity), std::move(params),
                          make_curl_transport(transport_options), std::move(debug),
                          std::move(cancel));
}

}  // namespace rolesanywhere::cli
