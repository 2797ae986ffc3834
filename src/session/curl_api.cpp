#include "curl_api.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <openssl/crypto.h>

#include <cstdlib>
#include <mutex>

namespace rolesanywhere {

CurlApi::CurlApi() {
  const DynamicLibrary& lib = library;
  lib.bind(global_init, "curl_global_init");
  lib.bind(easy_init, "curl_easy_init");
  lib.bind(easy_cleanup, "curl_easy_cleanup");
  lib.bind(easy_reset, "curl_easy_reset");
  lib.bind(easy_setopt, "curl_easy_setopt");
  lib.bind(easy_getinfo, "curl_easy_getinfo");
  lib.bind(easy_strerror, "curl_easy_strerror");
  lib.bind(multi_init, "curl_multi_init");
  lib.bind(multi_cleanup, "curl_multi_cleanup");
  lib.bind(multi_add_handle, "curl_multi_add_handle");
  lib.bind(multi_remove_handle, "curl_multi_remove_handle");
  lib.bind(multi_perform, "curl_multi_perform");
  lib.bind(multi_poll, "curl_multi_poll");
  lib.bind(multi_wakeup, "curl_multi_wakeup");
  lib.bind(multi_info_read, "curl_multi_info_read");
  lib.bind(multi_strerror, "curl_multi_strerror");
  lib.bind(slist_append, "curl_slist_append");
  lib.bind(slist_free_all, "curl_slist_free_all");
  // Once, before any handle, under the loader's once-only guard. Never cleaned up: a transport
  // may still be in use while the process exits.
  if (const CURLcode result = global_init(CURL_GLOBAL_DEFAULT); result != CURLE_OK)
    throw Error(Error::Kind::kInternal,
                std::string("could not initialise libcurl: ") + easy_strerror(result));
}

namespace {

LazyLibrary<CurlApi>& lazy_curl() {
  static auto* lazy = new LazyLibrary<CurlApi>;  // never destroyed: see LazyLibrary
  return *lazy;
}

}  // namespace

const CurlApi& curl_api() { return lazy_curl().get(); }

void preload_http_client() {
  static std::once_flag at_exit;
  std::call_once(at_exit, [] {
    // An exit (a credential-process answered from the cache, say) must not run OpenSSL's
    // atexit cleanup while the background thread is in curl_global_init (it crashes or hangs).
    // atexit handlers run in reverse order: OpenSSL registers its own at its first real
    // initialisation, done here first (loading the configuration, as the key parsing that
    // follows would anyway; an empty option set does nothing), so the handler that waits for
    // the load runs before it.
    OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, nullptr);
    std::atexit([] { lazy_curl().settle_preload(); });
  });
  // curl_global_init initialises OpenSSL's TLS part on the loading thread, and OpenSSL keeps
  // per-thread error state made during its initialisation past the thread's end unless told.
  lazy_curl().preload([] { OPENSSL_thread_stop(); });
}

}  // namespace rolesanywhere
