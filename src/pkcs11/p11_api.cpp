#include "p11_api.hpp"

namespace rolesanywhere::pkcs11_detail {

P11KitApi::P11KitApi() {
  library.bind(uri_new, "p11_kit_uri_new");
  library.bind(uri_free, "p11_kit_uri_free");
  library.bind(uri_parse, "p11_kit_uri_parse");
  library.bind(uri_format, "p11_kit_uri_format");
  library.bind(uri_message, "p11_kit_uri_message");
  library.bind(uri_any_unrecognized, "p11_kit_uri_any_unrecognized");
  library.bind(uri_get_attribute, "p11_kit_uri_get_attribute");
  library.bind(uri_set_attribute, "p11_kit_uri_set_attribute");
  library.bind(uri_get_module_name, "p11_kit_uri_get_module_name");
  library.bind(uri_get_module_path, "p11_kit_uri_get_module_path");
  library.bind(uri_get_pin_source, "p11_kit_uri_get_pin_source");
  library.bind(uri_get_pin_value, "p11_kit_uri_get_pin_value");
  library.bind(uri_get_slot_id, "p11_kit_uri_get_slot_id");
  library.bind(uri_get_token_info, "p11_kit_uri_get_token_info");
  library.bind(uri_match_slot_info, "p11_kit_uri_match_slot_info");
  library.bind(uri_match_token_info, "p11_kit_uri_match_token_info");
  library.bind(modules_load, "p11_kit_modules_load");
  library.bind(modules_release, "p11_kit_modules_release");
  library.bind(module_get_name, "p11_kit_module_get_name");
  library.bind(config_option, "p11_kit_config_option");
}

LibP11Api::LibP11Api() {
  library.bind(CTX_new, "PKCS11_CTX_new");
  library.bind(CTX_load, "PKCS11_CTX_load");
  library.bind(CTX_unload, "PKCS11_CTX_unload");
  library.bind(CTX_free, "PKCS11_CTX_free");
  library.bind(set_ui_method, "PKCS11_set_ui_method");
  library.bind(enumerate_slots, "PKCS11_enumerate_slots");
  library.bind(release_all_slots, "PKCS11_release_all_slots");
  library.bind(get_slotid_from_slot, "PKCS11_get_slotid_from_slot");
  library.bind(is_logged_in, "PKCS11_is_logged_in");
  library.bind(login, "PKCS11_login");
  library.bind(enumerate_keys, "PKCS11_enumerate_keys");
  library.bind(enumerate_certs, "PKCS11_enumerate_certs");
  library.bind(get_private_key, "PKCS11_get_private_key");
  library.bind(ERR_get_CKR_code, "ERR_get_CKR_code");
}

const P11KitApi& p11_kit() {
  static auto* lazy = new LazyLibrary<P11KitApi>;  // never destroyed: see LazyLibrary
  return lazy->get();
}

const LibP11Api& libp11() {
  static auto* lazy = new LazyLibrary<LibP11Api>;
  return lazy->get();
}

}  // namespace rolesanywhere::pkcs11_detail
