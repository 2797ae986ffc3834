// Certificates, keys and intermediates given without a file: env:NAME and fd:N, for CI secrets and
// containers that hand them over in the environment or on an inherited descriptor. Each is read
// once (a descriptor cannot be read again, a variable is removed), so the bytes are kept from the
// start-up read until the load that uses them, and wiped after it.
#include "identity_detail.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/secret.hpp"
#include "rolesanywhere/text.hpp"

#include <unistd.h>

#include <openssl/crypto.h>

#include <charconv>
#include <climits>
#include <cstdlib>
#include <map>
#include <mutex>

namespace rolesanywhere {
namespace {

using namespace identity_detail;

constexpr std::string_view kEnvPrefix = "env:";
constexpr std::string_view kFdPrefix = "fd:";

// What a preloaded value gave: its bytes, or why there are none, worded after the value itself
// ("fd:7 is empty") so the load can put its flag in front.
struct Preloaded {
  std::optional<SecretString> bytes;
  Error::Kind kind = Error::Kind::kInput;
  std::string problem;
  int loads_left = 0;
};

std::mutex& preloaded_mutex() {
  static std::mutex mutex;
  return mutex;
}
std::map<std::string, Preloaded>& preloaded() {
  static std::map<std::string, Preloaded> values;
  return values;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Text made only of base64 characters and white space (DER never is: it starts with 0x30).
bool looks_like_base64(std::string_view bytes) {
  bool any = false;
  for (char c : bytes) {
    if (is_space(c)) continue;
    if (base64_value(c) < 0 && c != '=') return false;
    any = true;
  }
  return any;
}

// The DER that base64 text carries; nullopt when it is not well-formed base64.
std::optional<SecretString> decode_base64(std::string_view text) {
  std::string out;
  const WipeOnExit wipe{out};
  out.reserve(text.size() / 4 * 3 + 3);
  unsigned accumulated = 0;
  int bits = 0;
  int digits = 0;
  int padding = 0;
  for (char c : text) {
    if (is_space(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int value = base64_value(c);
    if (value < 0 || padding > 0) return std::nullopt;  // a digit after the padding
    accumulated = (accumulated << 6) | static_cast<unsigned>(value);
    bits += 6;
    ++digits;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulated >> bits) & 0xff));
    }
  }
  accumulated = 0;
  if (digits % 4 == 1 || padding > 2 || (padding > 0 && (digits + padding) % 4 != 0))
    return std::nullopt;
  return SecretString(std::move(out));
}

// PEM and DER as they are; base64 DER decoded.
SecretString decoded(SecretString bytes, const std::string& what) {
  const std::string& text = bytes.reveal();
  if (looks_like_pem(text) || !looks_like_base64(text)) return bytes;
  std::optional<SecretString> der = decode_base64(text);
  if (!der) throw Error(Error::Kind::kInput, what + " is neither PEM nor well-formed base64 DER");
  return std::move(*der);
}

std::string environment_name(const std::string& value) {
  std::string name = value.substr(kEnvPrefix.size());
  if (name.empty() || name.find('=') != std::string::npos)
    throw Error(Error::Kind::kInvalidArgument,
                value + ": env: takes the name of an environment variable (env:NAME)");
  return name;
}

int descriptor_number(const std::string& value) {
  const std::string_view digits = std::string_view(value).substr(kFdPrefix.size());
  int fd = -1;
  const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), fd);
  if (digits.empty() || result.ec != std::errc() || result.ptr != digits.data() + digits.size() ||
      fd < 0)
    throw Error(Error::Kind::kInvalidArgument,
                value + ": fd: takes the number of an open file descriptor (fd:3)");
  if (fd == STDOUT_FILENO || fd == STDERR_FILENO)
    throw Error(Error::Kind::kInvalidArgument,
                value + ": descriptor " + std::to_string(fd) +
                    " is the helper's standard output or error, not an input");
  return fd;
}

// Reads the value now. `remove_variable`: unsetenv after reading (only before any thread).
SecretString read_inline_source(const std::string& value, bool remove_variable) {
  if (value.starts_with(kEnvPrefix)) {
    const std::string name = environment_name(value);
    const char* text = std::getenv(name.c_str());
    if (!text)
      throw Error(Error::Kind::kInput,
                  value + ": the environment variable " + name + " is not set");
    SecretString bytes{std::string(text)};
    if (remove_variable) {
      // The variable's own memory may be the environment block itself: wiped, then removed.
      OPENSSL_cleanse(const_cast<char*>(text), std::char_traits<char>::length(text));
      ::unsetenv(name.c_str());
    }
    if (bytes.empty())
      throw Error(Error::Kind::kInput, value + ": the environment variable " + name + " is empty");
    return decoded(std::move(bytes), value);
  }
  const int fd = descriptor_number(value);
  SecretString bytes = read_input_descriptor(fd, value);
  ::close(fd);  // read once: nothing started later inherits it
  return decoded(std::move(bytes), value);
}

// `problem` speaks of `value`; the load's label ("--private-key fd:7") speaks of it too.
[[noreturn]] void throw_for_label(Error::Kind kind, const std::string& problem,
                                  const std::string& value, const std::string& label) {
  if (label.ends_with(value) && problem.starts_with(value))
    throw Error(kind, label.substr(0, label.size() - value.size()) + problem);
  throw Error(kind, label + ": " + problem);
}

}  // namespace

bool is_inline_source(std::string_view value) {
  return value.starts_with(kEnvPrefix) || value.starts_with(kFdPrefix);
}

void preload_inline_sources(const std::vector<std::string>& values) {
  const std::lock_guard lock(preloaded_mutex());
  for (const std::string& value : values) {
    if (!is_inline_source(value)) continue;
    Preloaded& entry = preloaded()[value];
    if (entry.loads_left++ > 0) continue;  // read at its first mention
    try {
      entry.bytes = read_inline_source(value, true);
    } catch (const Error& error) {
      entry.kind = error.kind();
      entry.problem = error.what();
    }
  }
}

namespace identity_detail {

SecretString read_identity_input(const std::string& value, const std::string& label) {
  if (!is_inline_source(value)) return read_input_file(value, label);
  std::unique_lock lock(preloaded_mutex());
  auto found = preloaded().find(value);
  if (found == preloaded().end()) {
    lock.unlock();
    try {
      return read_inline_source(value, false);
    } catch (const Error& error) {
      throw_for_label(error.kind(), error.what(), value, label);
    }
  }
  Preloaded& entry = found->second;
  if (!entry.bytes && entry.problem.empty())
    entry.problem = value +
                    " was read already: an inline source can be loaded only as often "
                    "as it is given";
  if (!entry.bytes) throw_for_label(entry.kind, entry.problem, value, label);
  // The last load that names it takes the bytes; an earlier one gets a copy.
  if (--entry.loads_left > 0) return SecretString(*entry.bytes);
  SecretString bytes = std::move(*entry.bytes);
  entry.bytes.reset();
  return bytes;
}

}  // namespace identity_detail
}  // namespace rolesanywhere
