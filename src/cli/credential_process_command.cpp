// credential-process: one CreateSession, the credentials as JSON on stdout, nothing on stderr;
// with --cache, answered from a cache shared by every run while the credentials stay valid.
#include "command_line.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "provider_flags.hpp"

#include "rolesanywhere/credential_cache.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/session.hpp"

#include <cstdlib>
#include <optional>

namespace rolesanywhere::cli {

namespace {

constexpr int kDefaultMinRemaining = 900;  // botocore's advisory refresh window: 15 minutes

void add_cache_flags(cxxopts::Options& options) {
  options.add_options("Cache")  //
      ("cache",
       "Answer from a cache shared by credential-process runs while the credentials stay valid "
       "longer than --cache-min-remaining; concurrent runs make one CreateSession. Entries are "
       "encrypted with a key derived from the private key (for an EC key on a PKCS#11 token or in "
       "a TPM, which allows nothing deterministic, they are stored unencrypted, readable only by "
       "you)")  //
      ("cache-dir",
       "Cache directory, created 0700 (implies --cache; default "
       "$XDG_CACHE_HOME/rolesanywhere-helper, else ~/.cache/rolesanywhere-helper)",
       cxxopts::value<std::string>(), "DIR")                                 //
      ("no-cache", "Ask the service, whatever --cache and --cache-dir say")  //
      ("cache-min-remaining",
       "Use cached credentials only while they stay valid longer than this many seconds",
       cxxopts::value<std::string>()->default_value(std::to_string(kDefaultMinRemaining)),
       "SECONDS");
}

// nullopt when the cache is off.
std::optional<CacheOptions> read_cache_flags(const cxxopts::ParseResult& result,
                                             const DebugSink& debug) {
  const int min_remaining =
      parse_int_flag("cache-min-remaining", result["cache-min-remaining"].as<std::string>(), 0,
                     43200, "a whole number of seconds (0-43200)");
  if (result.count("no-cache") || (!result.count("cache") && !result.count("cache-dir")))
    return std::nullopt;
  CacheOptions options;
  if (result.count("cache-dir"))
    options.directory = result["cache-dir"].as<std::string>();
  else if (auto directory =
               default_cache_directory(std::getenv("XDG_CACHE_HOME"), std::getenv("HOME")))
    options.directory = *directory;
  // else: no directory, the call is answered as without the cache (debug says why).
  options.min_remaining = std::chrono::seconds(min_remaining);
  options.debug = debug;
  return options;
}

}  // namespace

int credential_process_command(int argc, char** argv) {
  cxxopts::Options options("rolesanywhere-helper credential-process",
                           "Retrieve AWS credentials in the format of an external credential "
                           "process (credential_process in ~/.aws/config)");
  add_provider_flags(options);
  add_cache_flags(options);
  auto result = parse_or_help(options, argc, argv);
  if (!result) return 0;

  SystemClock clock;
  ProviderOptions provider_options = read_provider_flags(*result);
  const std::optional<CacheOptions> cache = read_cache_flags(*result, provider_options.debug);
  // Without a cache, libcurl (and its dependencies: a few milliseconds) loads on another thread
  // while the key is parsed; with one, only a miss loads it, at its first fetch.
  if (!cache) preload_http_client();
  provider_options.open_transport_at_first_fetch = true;
  RolesAnywhereProvider provider(provider_options, clock);
  const Credentials credentials =
      cache ? fetch_through_cache(provider, provider_options.transport, *cache, clock).credentials
            : provider.fetch(clock);
  write_stdout(to_credential_process_json(credentials));
  return 0;
}

}  // namespace rolesanywhere::cli
