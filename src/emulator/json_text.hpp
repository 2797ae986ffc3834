// JSON text for the emulator's answers. Messages echo parts of the request (X-Amz-Date, query
// values, header names), which may hold bytes that are not UTF-8; nlohmann::json::dump throws on
// those, which would turn a client's mistake into a 500. Invalid bytes become U+FFFD instead.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace rolesanywhere::emulator {

inline std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rolesanywhere::emulator
