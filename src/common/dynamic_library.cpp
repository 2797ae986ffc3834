#include "dynamic_library.hpp"

#include "rolesanywhere/error.hpp"

#include <dlfcn.h>

#include <system_error>
#include <thread>

namespace rolesanywhere {
namespace {

std::string install_hint(const LibraryInfo& info) {
  return "which " + info.needed_by + " needs; install the Debian package " + info.package;
}

std::string last_dl_error() {
  const char* text = dlerror();
  return text ? text : "unknown error";
}

}  // namespace

DynamicLibrary::DynamicLibrary(LibraryInfo info) : info_(std::move(info)) {
  dlerror();  // clear any earlier message
  handle_ = dlopen(info_.soname.c_str(), RTLD_LAZY | RTLD_LOCAL);
  if (!handle_)
    throw Error(Error::Kind::kNotSupported,
                "cannot load " + info_.name + " (" + last_dl_error() + "), " + install_hint(info_));
}

DynamicLibrary::~DynamicLibrary() {
  if (handle_) dlclose(handle_);
}

void* DynamicLibrary::symbol(const char* name) const {
  dlerror();
  void* address = dlsym(handle_, name);
  if (!address)
    throw Error(Error::Kind::kNotSupported, "cannot use " + info_.name + " (" + info_.soname +
                                                " has no " + name + ": " + last_dl_error() + "), " +
                                                install_hint(info_) + " in a newer version");
  return address;
}

void preload_in_background(std::function<void()> load) {
  try {
    std::thread([load = std::move(load)] {
      try {
        load();
      } catch (...) {
        // Kept by the loader and thrown again by the call that needs the library.
      }
    }).detach();
  } catch (const std::system_error&) {
    // No thread: the library is loaded when it is first needed instead.
  }
}

}  // namespace rolesanywhere
