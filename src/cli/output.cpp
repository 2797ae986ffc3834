#include "output.hpp"

#include "rolesanywhere/version.hpp"

#include <cstdio>
#include <iostream>

namespace rolesanywhere::cli {

void write_stdout(std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fflush(stdout);
}

void report_error(std::string_view message) {
  std::cerr << kToolName << ": " << message << std::endl;
}

void report_line(std::string_view line) { std::cerr << line << std::endl; }

DebugSink stderr_debug_sink(bool enabled) {
  if (!enabled) return {};
  return [](std::string_view line) { std::cerr << "debug: " << line << '\n'; };
}

}  // namespace rolesanywhere::cli
