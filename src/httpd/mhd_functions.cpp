// libmicrohttpd's C functions under their own names, for the code that calls them directly (the
// serve endpoint, the emulator, tests): each forwards to the table mhd_api() loads at the first
// call, so nothing links libmicrohttpd and the library is loaded only by a process that serves.
// Only the functions called outside src/httpd are here (src/httpd uses the table); a new one is
// added to MhdApi and here.
#include "mhd_api.hpp"

extern "C" {

using rolesanywhere::mhd_api;

MHD_socket MHD_quiesce_daemon(MHD_Daemon* daemon) { return mhd_api().quiesce_daemon(daemon); }

// The info functions are variadic for future info types; none of the types libmicrohttpd knows
// reads an argument after info_type, so none is passed on.
const MHD_DaemonInfo* MHD_get_daemon_info(MHD_Daemon* daemon, MHD_DaemonInfoType info_type, ...) {
  return mhd_api().get_daemon_info(daemon, info_type);
}

const MHD_ConnectionInfo* MHD_get_connection_info(MHD_Connection* connection,
                                                  MHD_ConnectionInfoType info_type, ...) {
  return mhd_api().get_connection_info(connection, info_type);
}

const char* MHD_lookup_connection_value(MHD_Connection* connection, MHD_ValueKind kind,
                                        const char* key) {
  return mhd_api().lookup_connection_value(connection, kind, key);
}

MHD_Response* MHD_create_response_from_buffer(size_t size, void* buffer,
                                              MHD_ResponseMemoryMode mode) {
  return mhd_api().create_response_from_buffer(size, buffer, mode);
}

MHD_Response* MHD_create_response_from_buffer_with_free_callback_cls(
    size_t size, void* buffer, MHD_ContentReaderFreeCallback crfc, void* crfc_cls) {
  return mhd_api().create_response_from_buffer_with_free_callback_cls(size, buffer, crfc, crfc_cls);
}

MHD_Result MHD_add_response_header(MHD_Response* response, const char* header,
                                   const char* content) {
  return mhd_api().add_response_header(response, header, content);
}

MHD_Result MHD_queue_response(MHD_Connection* connection, unsigned int status_code,
                              MHD_Response* response) {
  return mhd_api().queue_response(connection, status_code, response);
}

MHD_Result MHD_is_feature_supported(MHD_FEATURE feature) {
  return mhd_api().is_feature_supported(feature);
}

}  // extern "C"
