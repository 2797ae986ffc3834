// libmicrohttpd plumbing shared by the serve endpoint and the emulator: RAII for its handles,
// starting a daemon whose own messages go to a line sink, and reading a request's headers.
// libmicrohttpd is loaded by the first start_mhd_daemon (mhd_api.hpp), not before main.
#pragma once

#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/http.hpp"

#include "mhd_api.hpp"

#include <microhttpd.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace rolesanywhere {

struct MhdDaemonDeleter {
  // Stops the daemon, waiting for its threads (and so the requests they are answering). A daemon
  // exists only once libmicrohttpd is loaded.
  void operator()(MHD_Daemon* daemon) const noexcept { mhd_api().stop_daemon(daemon); }
};
using MhdDaemonPtr = std::unique_ptr<MHD_Daemon, MhdDaemonDeleter>;

struct MhdResponseDeleter {
  void operator()(MHD_Response* response) const noexcept { mhd_api().destroy_response(response); }
};
using MhdResponsePtr = std::unique_ptr<MHD_Response, MhdResponseDeleter>;

// MHD_start_daemon with `options` (no MHD_OPTION_END needed) and MHD_USE_ERROR_LOG: what
// libmicrohttpd has to say goes to `log` as "libmicrohttpd: <message>" lines. `log` must outlive
// the daemon; an empty sink drops the lines. Null when libmicrohttpd cannot start: the caller
// knows what to say about it. Throws Error(kNotSupported) when libmicrohttpd cannot be loaded.
MhdDaemonPtr start_mhd_daemon(unsigned int flags, std::uint16_t port,
                              MHD_AccessHandlerCallback on_request, void* on_request_cls,
                              std::vector<MHD_OptionItem> options, const DebugSink& log);

// The request's headers, in the order they arrived.
std::vector<HttpHeader> mhd_request_headers(MHD_Connection* connection);

// Adds each header to the response.
void add_mhd_response_headers(MHD_Response* response, const std::vector<HttpHeader>& headers);

}  // namespace rolesanywhere
