// Small string helpers shared by the modules, so each is written (and fixed) once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rolesanywhere {

// `text` without leading and trailing spaces, tabs, CRs and LFs (HTTP header whitespace).
std::string trim(std::string_view text);

// ASCII letters lower-cased, every other byte unchanged: for header names, URL schemes and hex,
// where the locale must not matter.
std::string to_lower(std::string_view text);

// Appends `more` to `text`, a string that holds a secret (key bytes, a response with
// credentials). When the buffer must grow, the bytes move to a larger one and the old one is
// wiped before it is freed, so growing leaves no copy behind; the caller wipes `text` itself.
void append_wiping(std::string& text, std::string_view more);

// `text` fit for one log line: control bytes (newlines included) and non-ASCII bytes as \xNN,
// and at most `limit` bytes of it, then "...". For text a client chose, such as a request path,
// which must not be able to forge a line of its own.
std::string log_safe(std::string_view text, std::size_t limit = 200);

// `label` (a flag name the caller passed, e.g. "--certificate") when there is one, else `noun`
// ("the certificate file"): how library messages name a value without spelling a flag.
std::string label_or(const std::string& label, std::string_view noun);

}  // namespace rolesanywhere
