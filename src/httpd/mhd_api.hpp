// libmicrohttpd, loaded when the first daemon starts instead of before main: only serve and the
// emulator run a server. <microhttpd.h> still gives the types and constants.
#pragma once

#include "common/dynamic_library.hpp"

#include <microhttpd.h>

namespace rolesanywhere {

// The libmicrohttpd functions used in this tree, called through mhd_api() everywhere (serve, the
// emulator, tests), so the executables need no link to libmicrohttpd.
struct MhdApi {
  MhdApi();  // loads libmicrohttpd.so.12 and binds every function

  DynamicLibrary library{
      {"libmicrohttpd", "libmicrohttpd.so.12", "the local HTTP server", "libmicrohttpd12"}};

  decltype(&::MHD_start_daemon) start_daemon;  // variadic: called through the pointer as it is
  decltype(&::MHD_stop_daemon) stop_daemon;
  decltype(&::MHD_quiesce_daemon) quiesce_daemon;
  decltype(&::MHD_get_daemon_info) get_daemon_info;
  decltype(&::MHD_get_connection_info) get_connection_info;
  decltype(&::MHD_get_connection_values) get_connection_values;
  decltype(&::MHD_lookup_connection_value) lookup_connection_value;
  decltype(&::MHD_create_response_from_buffer) create_response_from_buffer;
  decltype(&::MHD_create_response_from_buffer_with_free_callback_cls)
      create_response_from_buffer_with_free_callback_cls;
  decltype(&::MHD_add_response_header) add_response_header;
  decltype(&::MHD_queue_response) queue_response;
  decltype(&::MHD_destroy_response) destroy_response;
  decltype(&::MHD_is_feature_supported) is_feature_supported;
};

// The process's libmicrohttpd, loaded once (thread-safe). Throws Error(kNotSupported) naming
// libmicrohttpd and the package libmicrohttpd12 when it cannot be loaded.
const MhdApi& mhd_api();

}  // namespace rolesanywhere
