#include "mhd_daemon.hpp"

#include <cstdarg>
#include <cstdio>
#include <string>

namespace rolesanywhere {
namespace {

void log_mhd_message(void* cls, const char* format, va_list arguments) {
  char line[512];
  std::vsnprintf(line, sizeof line, format, arguments);
  std::string text = line;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  debug(*static_cast<const DebugSink*>(cls), "libmicrohttpd: " + text);
}

MHD_Result append_header(void* cls, MHD_ValueKind, const char* name, const char* value) {
  static_cast<std::vector<HttpHeader>*>(cls)->push_back({name ? name : "", value ? value : ""});
  return MHD_YES;
}

}  // namespace

MhdDaemonPtr start_mhd_daemon(unsigned int flags, std::uint16_t port,
                              MHD_AccessHandlerCallback on_request, void* on_request_cls,
                              std::vector<MHD_OptionItem> options, const DebugSink& log) {
  // The logger first, or libmicrohttpd warns that earlier options may log through its own.
  options.insert(options.begin(),
                 {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&log_mhd_message),
                  const_cast<DebugSink*>(&log)});
  options.push_back({MHD_OPTION_END, 0, nullptr});
  return MhdDaemonPtr(mhd_api().start_daemon(flags | MHD_USE_ERROR_LOG, port, nullptr, nullptr,
                                             on_request, on_request_cls, MHD_OPTION_ARRAY,
                                             options.data(), MHD_OPTION_END));
}

std::vector<HttpHeader> mhd_request_headers(MHD_Connection* connection) {
  std::vector<HttpHeader> headers;
  mhd_api().get_connection_values(connection, MHD_HEADER_KIND, &append_header, &headers);
  return headers;
}

void add_mhd_response_headers(MHD_Response* response, const std::vector<HttpHeader>& headers) {
  for (const auto& header : headers)
    mhd_api().add_response_header(response, header.name.c_str(), header.value.c_str());
}

}  // namespace rolesanywhere
