// libp11 and p11-kit, loaded when a pkcs11: URI is first used instead of before main: a command
// with file keys never pays for the PKCS#11 stack. <libp11.h> and <p11-kit/*.h> still give the
// types and constants. libp11's EVP_PKEYs use the process's libcrypto, already loaded.
#pragma once

#include "common/dynamic_library.hpp"

#include <libp11.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

namespace rolesanywhere::pkcs11_detail {

// The p11-kit functions used here (URIs, registered modules); members drop "p11_kit_".
struct P11KitApi {
  P11KitApi();  // loads libp11-kit.so.0 and binds every function

  DynamicLibrary library{{"p11-kit", "libp11-kit.so.0", "a pkcs11: URI", "libp11-kit0"}};

  decltype(&::p11_kit_uri_new) uri_new;
  decltype(&::p11_kit_uri_free) uri_free;
  decltype(&::p11_kit_uri_parse) uri_parse;
  decltype(&::p11_kit_uri_format) uri_format;
  decltype(&::p11_kit_uri_message) uri_message;
  decltype(&::p11_kit_uri_any_unrecognized) uri_any_unrecognized;
  decltype(&::p11_kit_uri_get_attribute) uri_get_attribute;
  decltype(&::p11_kit_uri_set_attribute) uri_set_attribute;
  decltype(&::p11_kit_uri_get_module_name) uri_get_module_name;
  decltype(&::p11_kit_uri_get_module_path) uri_get_module_path;
  decltype(&::p11_kit_uri_get_pin_source) uri_get_pin_source;
  decltype(&::p11_kit_uri_get_pin_value) uri_get_pin_value;
  decltype(&::p11_kit_uri_get_slot_id) uri_get_slot_id;
  decltype(&::p11_kit_uri_get_token_info) uri_get_token_info;
  decltype(&::p11_kit_uri_match_slot_info) uri_match_slot_info;
  decltype(&::p11_kit_uri_match_token_info) uri_match_token_info;
  decltype(&::p11_kit_modules_load) modules_load;
  decltype(&::p11_kit_modules_release) modules_release;
  decltype(&::p11_kit_module_get_name) module_get_name;
  decltype(&::p11_kit_config_option) config_option;
};

// The libp11 functions used here (modules, slots, login, keys, certificates); members drop
// "PKCS11_".
struct LibP11Api {
  LibP11Api();  // loads libp11.so.3 and binds every function

  DynamicLibrary library{{"libp11", "libp11.so.3", "a pkcs11: URI", "libp11-3"}};

  decltype(&::PKCS11_CTX_new) CTX_new;
  decltype(&::PKCS11_CTX_load) CTX_load;
  decltype(&::PKCS11_CTX_unload) CTX_unload;
  decltype(&::PKCS11_CTX_free) CTX_free;
  decltype(&::PKCS11_set_ui_method) set_ui_method;
  decltype(&::PKCS11_enumerate_slots) enumerate_slots;
  decltype(&::PKCS11_release_all_slots) release_all_slots;
  decltype(&::PKCS11_get_slotid_from_slot) get_slotid_from_slot;
  decltype(&::PKCS11_is_logged_in) is_logged_in;
  decltype(&::PKCS11_login) login;
  decltype(&::PKCS11_enumerate_keys) enumerate_keys;
  decltype(&::PKCS11_enumerate_certs) enumerate_certs;
  decltype(&::PKCS11_get_private_key) get_private_key;
  decltype(&::ERR_get_CKR_code) ERR_get_CKR_code;  // the OpenSSL error library libp11 reports in
};

// The process's p11-kit and libp11, each loaded once (thread-safe). Throw Error(kNotSupported)
// naming the library, the pkcs11: URI that needed it and the Debian package when it cannot be
// loaded.
const P11KitApi& p11_kit();
const LibP11Api& libp11();

}  // namespace rolesanywhere::pkcs11_detail
