// The credential cache's entry files (src/cache/cache_entry.hpp): bytes another process wrote,
// or a damaged, truncated or foreign file, decoded as credential-process --cache reads them.
//
// Input: the file's bytes, decoded twice: with a fixed entry key (an encrypted cache) and
// without one (a plain cache).
//
// Invariants:
//   1. decoding never throws: a bad entry is a reason (a cache miss), never a failed call;
//   2. the reason of a bad entry quotes neither the secret key nor the token of the document
//      (unless it is the reason's own text: there too when the secret is replaced);
//   3. a decoded entry encodes and decodes again to the same credentials.
#include "cache/cache_entry.hpp"
#include "fuzz_support.hpp"

#include <nlohmann/json.hpp>

using namespace rolesanywhere;
using namespace rolesanywhere::cache_detail;

namespace {

constexpr const char* kEntryId = "fuzz-entry-0123456789abcdef";

const std::optional<SecretString>& entry_key() {
  static const std::optional<SecretString> key(SecretString(std::string(32, 'k')));
  return key;
}

void check_round_trip(const Credentials& credentials, const std::optional<SecretString>& key) {
  const std::string encoded = encode_entry(credentials, kEntryId, key);
  const DecodedEntry again = decode_entry(encoded, kEntryId, key);
  fuzz::check(again.credentials.has_value(), "an entry written decodes again", again.problem);
  const Credentials& read = *again.credentials;
  fuzz::check(read.access_key_id == credentials.access_key_id &&
                  read.secret_access_key == credentials.secret_access_key &&
                  read.session_token == credentials.session_token &&
                  std::chrono::floor<std::chrono::seconds>(read.expiration) ==
                      std::chrono::floor<std::chrono::seconds>(credentials.expiration),
              "an entry decodes to the credentials written");
}

void decode(std::string_view bytes, const std::optional<SecretString>& key) {
  DecodedEntry entry;
  try {
    entry = decode_entry(bytes, kEntryId, key);
  } catch (const std::exception& error) {
    fuzz::violated("decoding an entry never throws", error.what());
  }
  if (entry.credentials) {
    check_round_trip(*entry.credentials, key);
    return;
  }
  fuzz::check(!entry.problem.empty(), "a bad entry says why");
  // The plain document's secrets, when it is one: the reason must not quote them.
  if (bytes.size() < 8) return;
  const nlohmann::json document = nlohmann::json::parse(bytes.substr(8), nullptr, false);
  if (!document.is_object()) return;
  for (const char* name : {"SecretAccessKey", "SessionToken"}) {
    const auto it = document.find(name);
    if (it == document.end() || !it->is_string()) continue;
    const std::string secret = it->get<std::string>();
    if (secret.size() < 8 || bytes.find(secret) == std::string_view::npos) continue;
    const std::string other = fuzz::replaced(bytes, secret);
    fuzz::check(
        !fuzz::shows_secret(entry.problem, secret, decode_entry(other, kEntryId, key).problem),
        "the reason for a bad entry does not quote a secret", entry.problem);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  decode(bytes, entry_key());
  decode(bytes, std::nullopt);
  return 0;
}
