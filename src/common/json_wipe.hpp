// Wiping the strings of a parsed JSON document that held secrets (a CreateSession answer, a
// cache entry), so the copies the parser made do not linger in freed memory. Header-only: only
// modules that parse JSON (and link nlohmann_json) include it.
#pragma once

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace rolesanywhere {

// Every string left in the tree: the secrets not moved out. Iterative, so a deeply nested
// document cannot exhaust the stack.
inline void wipe_json_strings(nlohmann::json& root) {
  std::vector<nlohmann::json*> pending{&root};
  while (!pending.empty()) {
    nlohmann::json* node = pending.back();
    pending.pop_back();
    if (node->is_string()) {
      auto& text = node->get_ref<std::string&>();
      if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
    } else if (node->is_structured()) {
      for (auto& child : *node) pending.push_back(&child);
    }
  }
}

// Wipes the document's strings however the scope that parsed it ends.
struct WipeJsonOnExit {
  nlohmann::json& document;
  ~WipeJsonOnExit() { wipe_json_strings(document); }
};

}  // namespace rolesanywhere
