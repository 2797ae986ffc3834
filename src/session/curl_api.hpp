// libcurl, loaded at the first CreateSession (or by preload_http_client) instead of before main:
// its Debian dependency tree (LDAP, Kerberos, RTMP, SSH, ...) costs every command that never
// sends a request. <curl/curl.h> still gives the types and constants.
#pragma once

#include "common/dynamic_library.hpp"

#include <curl/curl.h>

namespace rolesanywhere {

// The libcurl functions the transport uses. Members drop the "curl_" prefix: curl.h makes
// curl_easy_setopt and curl_easy_getinfo type-checking macros, which a member of that name would
// trip over.
struct CurlApi {
  CurlApi();  // loads libcurl.so.4, binds every function and runs curl_global_init

  DynamicLibrary library{{"libcurl", "libcurl.so.4", "CreateSession", "libcurl4"}};
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;  // variadic: called through the pointer as it is
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_cleanup) multi_cleanup;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_perform) multi_perform;
  decltype(&::curl_multi_poll) multi_poll;
  decltype(&::curl_multi_wakeup) multi_wakeup;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_multi_strerror) multi_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

// The process's libcurl, loaded and initialised once (thread-safe); waits for a load another
// thread started. Throws Error(kNotSupported) naming libcurl, CreateSession and the package
// libcurl4 when it cannot be loaded, or Error(kInternal) when curl_global_init fails.
const CurlApi& curl_api();

}  // namespace rolesanywhere
