// A string that holds a secret (secret access key, session token, PIN, key password).
// It wipes its bytes when it dies and has no stream operator, so it cannot reach a log by accident.
#pragma once

#include <openssl/crypto.h>

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

}  // namespace rolesanywhere
