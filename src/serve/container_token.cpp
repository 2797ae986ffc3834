#include "container_token.hpp"

#include "listen_socket.hpp"

#include "rolesanywhere/error.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rolesanywhere::serve {

namespace {

constexpr std::size_t kMaxTokenFileBytes = 4096;

// `label` names the file: "--container-token-file /x" or "the container token file /x".
Error file_error(const std::string& label, const std::string& what) {
  return Error(Error::Kind::kInput, label + ": " + what);
}

SecretString random_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw Error(Error::Kind::kInternal, "the random generator failed to make a container token");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(2 * sizeof bytes);
  for (const unsigned char byte : bytes) {
    text += kHex[byte >> 4];
    text += kHex[byte & 15];
  }
  OPENSSL_cleanse(bytes, sizeof bytes);
  return SecretString(std::move(text));
}

SecretString create_token_file(const std::string& path, const std::string& label) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) throw file_error(label, std::string("cannot create it: ") + std::strerror(errno));
  SecretString token = random_token();
  const std::string& text = token.reveal();
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw file_error(label, std::string("cannot write it: ") + std::strerror(errno));
  return token;
}

constexpr std::size_t kMinTokenBytes = 16;

}  // namespace

SecretString read_or_create_container_token(const std::string& path, const std::string& flag) {
  const std::string label = (flag.empty() ? "the container token file" : flag) + " " + path;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return create_token_file(path, label);
    throw file_error(label, std::string("cannot read it: ") + std::strerror(errno));
  }
  std::string text(kMaxTokenFileBytes + 1, '\0');
  std::size_t size = 0;
  for (ssize_t got; size < text.size() &&
                    (got = ::read(fd.get(), text.data() + size, text.size() - size)) != 0;) {
    if (got < 0) {
      if (errno == EINTR) continue;
      OPENSSL_cleanse(text.data(), text.size());
      throw file_error(label, std::string("cannot read it: ") + std::strerror(errno));
    }
    size += static_cast<std::size_t>(got);
  }
  if (size > kMaxTokenFileBytes) {
    OPENSSL_cleanse(text.data(), text.size());
    throw file_error(label, "it is larger than 4096 bytes");
  }
  // SDKs send the file's content as it is, except for the line end an editor adds. Trimmed in
  // place (resize never reallocates when shrinking) so no stray copy of the token is left.
  while (size > 0 && (text[size - 1] == '\n' || text[size - 1] == '\r')) --size;
  OPENSSL_cleanse(text.data() + size, text.size() - size);
  text.resize(size);
  SecretString token(std::move(text));
  if (token.empty()) throw file_error(label, "it is empty; put a token in it or remove it");
  // The token is all that keeps other local users (and containers) from the credentials.
  if (token.size() < kMinTokenBytes)
    throw file_error(label, "its token is " + std::to_string(token.size()) +
                                " characters long, too easy to guess; use at least " +
                                std::to_string(kMinTokenBytes) +
                                " random characters, or remove the file to have one made");
  return token;
}

}  // namespace rolesanywhere::serve
