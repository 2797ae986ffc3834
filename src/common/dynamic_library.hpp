// Shared libraries loaded when the code that needs them first runs, not before main: a command
// that never sends a request, serves or opens a token does not pay for libcurl's dependency tree,
// libmicrohttpd or the PKCS#11 stack. Each user (src/session/curl_api.hpp, src/httpd/mhd_api.hpp,
// src/pkcs11/p11_api.hpp) keeps a table of function pointers in a LazyLibrary, loaded once.
#pragma once

#include <exception>
#include <functional>
#include <mutex>
#include <string>

namespace rolesanywhere {

// What a library is to the person who has to install it: every message names it, what needed it
// and the Debian package that provides it.
struct LibraryInfo {
  std::string name;       // "libcurl"
  std::string soname;     // "libcurl.so.4"
  std::string needed_by;  // "CreateSession"
  std::string package;    // "libcurl4"
};

// A dlopen handle, closed by its destructor. RTLD_LAZY, as the linked library was bound before:
// binding all of libcurl's dependency tree at once costs about a millisecond; the functions we
// call are looked up (and checked) one by one with dlsym. RTLD_LOCAL keeps its symbols private.
class DynamicLibrary {
 public:
  // Throws Error(kNotSupported): "cannot load libcurl (libcurl.so.4: cannot open shared object
  // file: ...), which CreateSession needs; install the Debian package libcurl4".
  explicit DynamicLibrary(LibraryInfo info);
  ~DynamicLibrary();
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;

  const LibraryInfo& info() const noexcept { return info_; }

  // The address of `name`; throws Error(kNotSupported) naming the library, the symbol, what
  // needed it and the package when this version of the library does not have it.
  void* symbol(const char* name) const;

  // Sets `pointer` to the function `name` in the library: bind(api.easy_init, "curl_easy_init").
  template <typename Function>
  void bind(Function*& pointer, const char* name) const {
    pointer = reinterpret_cast<Function*>(symbol(name));
  }

 private:
  LibraryInfo info_;
  void* handle_ = nullptr;
};

// A table of functions (`Api`, constructible without arguments, throwing Error when its library
// cannot be loaded) built once, at the first get(), whichever thread asks first; concurrent
// callers wait for that load. A failed load is kept and thrown again by every later get(), so a
// failure in a background preload is reported by the call that needs the library. The table is
// never destroyed: a thread may still use the library while the process exits, and the library
// stays loaded for the process's life.
template <typename Api>
class LazyLibrary {
 public:
  const Api& get() {
    std::call_once(once_, [this] {
      try {
        api_ = new Api();
      } catch (...) {
        failure_ = std::current_exception();
      }
    });
    if (!api_) std::rethrow_exception(failure_);
    return *api_;
  }

  // Starts the load on a thread of its own and returns at once; a later get() finds the table
  // loaded or waits for the load to finish. `this` must live as long as the process (the tables
  // are leaked singletons). `before_thread_exit`, when given, runs last on that thread, to free
  // what the library's initialisation kept for the thread.
  void preload(std::function<void()> before_thread_exit = {});

  // For exit: waits for a background load in progress to finish and keeps one not started yet
  // from starting, so the process never exits (running atexit handlers such as OpenSSL's
  // cleanup) while another thread is inside dlopen or the library's initialisation.
  void settle_preload();

 private:
  std::once_flag once_;
  const Api* api_ = nullptr;
  std::exception_ptr failure_;
  std::mutex preload_mutex_;  // held by a background load for its whole run
  bool settled_ = false;      // no background load may start any more
};

// Runs `load` on a detached thread, swallowing what it throws (the later real load reports it).
// When no thread can be started it does nothing: the load then happens when it is needed.
void preload_in_background(std::function<void()> load);

template <typename Api>
void LazyLibrary<Api>::preload(std::function<void()> before_thread_exit) {
  preload_in_background([this, before_thread_exit = std::move(before_thread_exit)] {
    const std::lock_guard lock(preload_mutex_);
    if (settled_) return;
    try {
      get();
    } catch (...) {
      if (before_thread_exit) before_thread_exit();
      throw;
    }
    if (before_thread_exit) before_thread_exit();
  });
}

template <typename Api>
void LazyLibrary<Api>::settle_preload() {
  const std::lock_guard lock(preload_mutex_);
  settled_ = true;
}

}  // namespace rolesanywhere
