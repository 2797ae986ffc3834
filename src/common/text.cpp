#include "rolesanywhere/text.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace rolesanywhere {

std::string trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return std::string(text.substr(first, last - first + 1));
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string log_safe(std::string_view text, std::size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out.push_back(static_cast<char>(byte));
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  if (text.size() > limit) out += "...";
  return out;
}

void append_wiping(std::string& text, std::string_view more) {
  if (text.size() + more.size() > text.capacity()) {
    std::string larger;
    // Doubling keeps appends amortised constant, as std::string's own growth does.
    larger.reserve(std::max(text.size() + more.size(), 2 * text.capacity()));
    larger.append(text);
    OPENSSL_cleanse(text.data(), text.size());
    text.swap(larger);  // `larger` now holds the wiped old buffer and frees it
  }
  text.append(more);
}

std::string label_or(const std::string& label, std::string_view noun) {
  return label.empty() ? std::string(noun) : label;
}

}  // namespace rolesanywhere
