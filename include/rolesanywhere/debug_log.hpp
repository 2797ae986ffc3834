// The library never prints. Where it has something worth saying under --debug it hands a line
// to a sink that the caller supplies; lines never contain secrets.
#pragma once

#include <functional>
#include <string_view>

namespace rolesanywhere {

using DebugSink = std::function<void(std::string_view line)>;

inline void debug(const DebugSink& sink, std::string_view line) {
  if (sink) sink(line);
}

}  // namespace rolesanywhere
