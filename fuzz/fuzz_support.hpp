// What every harness in fuzz/ shares: how an invariant fails (loudly, so libFuzzer and the
// replay driver both see a crash), and the small input formats several harnesses read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "rolesanywhere/http.hpp"

namespace fuzz {

// An invariant the code promises does not hold: say which on stderr and stop with a trap, which
// libFuzzer reports as a crash (and saves the input) and ctest as a failed replay.
[[noreturn]] inline void violated(std::string_view invariant, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz invariant violated: %.*s\n", static_cast<int>(invariant.size()),
               invariant.data());
  if (!detail.empty())
    std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  __builtin_trap();
}

inline void check(bool holds, std::string_view invariant, std::string_view detail = {}) {
  if (!holds) violated(invariant, detail);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// How many times `needle` occurs in `haystack`, without overlaps.
inline std::size_t count_occurrences(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return 0;
  std::size_t count = 0;
  for (std::size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size()))
    ++count;
  return count;
}

// `text` with every occurrence of `secret` replaced by as many other characters.
inline std::string replaced(std::string_view text, std::string_view secret) {
  std::string stand_in(secret);
  for (char& c : stand_in) c = c == 'x' ? 'y' : 'x';
  std::string out;
  std::size_t at = 0;
  for (std::size_t found = text.find(secret); !secret.empty() && found != std::string_view::npos;
       found = text.find(secret, at)) {
    out.append(text.substr(at, found - at)).append(stand_in);
    at = found + secret.size();
  }
  out.append(text.substr(at));
  return out;
}

// Whether a message shows a secret taken from the input, rather than text of its own that
// happens to equal it (the fuzzer learns a message's words from the searches made here):
// `message` holds `secret` and `message_without`, made from the input with the secret
// replaced(), does not.
inline bool shows_secret(std::string_view message, std::string_view secret,
                         std::string_view message_without) {
  return message.find(secret) != std::string_view::npos &&
         message_without.find(secret) == std::string_view::npos;
}

// One line, without its "\n" or "\r\n", taken off the front of `text`.
inline std::string_view take_line(std::string_view& text) {
  const std::size_t newline = text.find('\n');
  std::string_view line = text.substr(0, newline);
  text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// An HTTP request as it arrives on a socket, so seeds are real requests captured on the wire:
//   METHOD SP TARGET [SP VERSION] CRLF, then "Name: value" lines, an empty line, the body.
// `target` is split at '?' into path and query, as the servers do. The body is everything after
// the empty line when `with_body`; otherwise reading stops there and `rest` keeps what follows
// (the next request of a sequence). A header line without ':' is kept as a name with no value.
struct WireRequest {
  rolesanywhere::HttpRequest request;
  std::string version;  // "HTTP/1.1", or empty when the request line had none
};

inline WireRequest read_wire_request(std::string_view& rest, bool with_body) {
  WireRequest wire;
  std::string_view line = take_line(rest);
  const std::size_t space = line.find(' ');
  wire.request.method = std::string(line.substr(0, space));
  line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  const std::size_t target_end = line.find(' ');
  const std::string_view target = line.substr(0, target_end);
  if (target_end != std::string_view::npos) wire.version = std::string(line.substr(target_end + 1));
  const std::size_t question = target.find('?');
  wire.request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos)
    wire.request.query = std::string(target.substr(question + 1));
  while (!rest.empty()) {
    const std::string_view header = take_line(rest);
    if (header.empty()) break;
    const std::size_t colon = header.find(':');
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : header.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    wire.request.headers.push_back({std::string(header.substr(0, colon)), std::string(value)});
  }
  if (with_body) {
    wire.request.body = std::string(rest);
    rest = {};
  }
  return wire;
}

}  // namespace fuzz
