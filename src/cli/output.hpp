// The CLI's two streams: results on stdout, messages on stderr.
#pragma once

#include "rolesanywhere/debug_log.hpp"

#include <string_view>

namespace rolesanywhere::cli {

// Writes exactly these bytes to stdout (binary-safe) and flushes.
void write_stdout(std::string_view bytes);
// "rolesanywhere-helper: <message>" on stderr.
void report_error(std::string_view message);
// The line as it is on stderr, without the tool's name (serve's announcement).
void report_line(std::string_view line);
// A DebugSink that prints "debug: <line>" on stderr when enabled, and is empty otherwise.
DebugSink stderr_debug_sink(bool enabled);

}  // namespace rolesanywhere::cli
