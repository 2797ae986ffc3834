#include "mhd_api.hpp"

namespace rolesanywhere {

MhdApi::MhdApi() {
  library.bind(start_daemon, "MHD_start_daemon");
  library.bind(stop_daemon, "MHD_stop_daemon");
  library.bind(quiesce_daemon, "MHD_quiesce_daemon");
  library.bind(get_daemon_info, "MHD_get_daemon_info");
  library.bind(get_connection_info, "MHD_get_connection_info");
  library.bind(get_connection_values, "MHD_get_connection_values");
  library.bind(lookup_connection_value, "MHD_lookup_connection_value");
  library.bind(create_response_from_buffer, "MHD_create_response_from_buffer");
  library.bind(create_response_from_buffer_with_free_callback_cls,
               "MHD_create_response_from_buffer_with_free_callback_cls");
  library.bind(add_response_header, "MHD_add_response_header");
  library.bind(queue_response, "MHD_queue_response");
  library.bind(destroy_response, "MHD_destroy_response");
  library.bind(is_feature_supported, "MHD_is_feature_supported");
}

const MhdApi& mhd_api() {
  static auto* lazy = new LazyLibrary<MhdApi>;  // never destroyed: see LazyLibrary
  return lazy->get();
}

}  // namespace rolesanywhere
