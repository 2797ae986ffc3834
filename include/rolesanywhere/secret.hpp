// A string that holds a secret (secret access key, session token, PIN, key password).
// It wipes its bytes when it dies and has no stream operator, so it cannot reach a log by accident.
#pragma once

#include <openssl/crypto.h>

#include <span>
#include <string>
#include <string_view>

namespace rolesanywhere {

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  SecretString(const SecretString& other) : value_(other.value_) {}
  SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
  SecretString& operator=(const SecretString& other) {
    if (this != &other) {
      wipe();
      value_ = other.value_;
    }
    return *this;
  }
  SecretString& operator=(SecretString&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = std::move(other.value_);
      other.wipe();
    }
    return *this;
  }
  ~SecretString() { wipe(); }

  // Deliberately explicit: reading the secret should be visible at the call site.
  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  std::size_t size() const noexcept { return value_.size(); }

  void wipe() noexcept {
    if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
    value_.clear();
  }

  friend bool operator==(const SecretString& a, const SecretString& b) {
    return a.value_ == b.value_;
  }

 private:
  std::string value_;
};

// Wipes what a plain string or a buffer holds when the scope ends, however it ends: text that
// holds secrets among other things (a credentials file being rewritten, a response body, a key
// file being read) before its memory goes back to the heap. A string moved out by then is empty.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& text) noexcept : text_(&text) {}
  explicit WipeOnExit(std::span<char> bytes) noexcept : bytes_(bytes) {}
  ~WipeOnExit() {
    if (text_ && !text_->empty()) OPENSSL_cleanse(text_->data(), text_->size());
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  std::string* text_ = nullptr;
  std::span<char> bytes_;
};

}  // namespace rolesanywhere
