#include "pin_prompt.hpp"

#include "rolesanywhere/error.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace rolesanywhere::cli {
namespace {

// Longer than any PIN or key password a person types; bounds the line buffer.
constexpr std::size_t kMaxSecretLength = 1024;

// "PIN for PKCS#11 token 'x' (serial y): " -> "PIN for PKCS#11 token 'x' (serial y)"
std::string what_is_wanted(std::string prompt) {
  while (!prompt.empty() && (prompt.back() == ' ' || prompt.back() == ':')) prompt.pop_back();
  return prompt;
}

class Terminal {
 public:
  Terminal() : fd_(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)), error_(errno) {}
  ~Terminal() {
    if (echo_off_) tcsetattr(fd_, TCSAFLUSH, &saved_);
    if (fd_ >= 0) close(fd_);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool is_open() const { return fd_ >= 0; }
  int open_error() const { return error_; }

  void write_text(const std::string& text) {
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      written += static_cast<std::size_t>(n);
    }
  }

  void echo_off() {
    if (tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL);
    echo_off_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }

  // One line, without its newline; the buffer is wiped as it is handed over. It is reserved
  // once, so growing never leaves an unwiped copy behind; a longer line is refused.
  SecretString read_line() {
    std::string line;
    line.reserve(kMaxSecretLength);
    char c = 0;
    bool too_long = false;
    for (;;) {
      const ssize_t n = ::read(fd_, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || c == '\n' || c == '\r') break;
      if (line.size() < kMaxSecretLength)
        line.push_back(c);
      else
        too_long = true;  // keep reading to the end of the line, keeping nothing
    }
    c = 0;
    if (too_long) {
      OPENSSL_cleanse(line.data(), line.size());
      throw Error(
          Error::Kind::kInvalidArgument,
          "what was entered is longer than " + std::to_string(kMaxSecretLength) + " characters");
    }
    SecretString secret(line);
    OPENSSL_cleanse(line.data(), line.size());
    return secret;
  }

 private:
  int fd_;
  int error_;
  termios saved_{};
  bool echo_off_ = false;
};

// prompt_secret_on_terminal, also saying why /dev/tty did not open.
std::optional<SecretString> ask(const std::string& prompt, const std::string& what,
                                int& open_error) {
  Terminal terminal;
  if (!terminal.is_open()) {
    open_error = terminal.open_error();
    return std::nullopt;
  }
  terminal.echo_off();
  terminal.write_text(prompt);
  SecretString secret = terminal.read_line();
  terminal.write_text("\n");
  if (secret.empty()) throw Error(Error::Kind::kInvalidArgument, "no " + what + " was entered");
  return secret;
}

}  // namespace

std::optional<SecretString> prompt_secret_on_terminal(const std::string& prompt,
                                                      const std::string& what) {
  int open_error = 0;
  return ask(prompt, what, open_error);
}

SecretString prompt_pin_on_terminal(const std::string& prompt) {
  const std::string wanted = what_is_wanted(prompt);
  int open_error = 0;
  if (std::optional<SecretString> pin = ask(prompt, wanted, open_error)) return std::move(*pin);
  throw Error(Error::Kind::kInvalidArgument,
              wanted + " is needed and there is no terminal to ask for it (/dev/tty: " +
                  std::strerror(open_error) +
                  "); add pin-source=file:/path/to/pin-file or pin-value=... to the URI");
}

std::optional<SecretString> prompt_key_password_on_terminal(const std::string& label) {
  return prompt_secret_on_terminal("Password for " + label + ": ", "password for " + label);
}

}  // namespace rolesanywhere::cli
