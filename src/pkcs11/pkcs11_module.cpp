// Which PKCS#11 module to load, and the loaded module with its slots as one RAII object.
#include "p11_api.hpp"
#include "pkcs11_detail.hpp"

#include "rolesanywhere/error.hpp"

#include <dlfcn.h>
#include <p11-kit/p11-kit.h>

#include <cstdlib>

namespace rolesanywhere::pkcs11_detail {
namespace {

// p11-kit-proxy offers the tokens of every module registered with p11-kit, which is how a
// properly packaged smart card driver or HSM is found without any flag.
constexpr const char* kProxyModule = "p11-kit-proxy.so";

// The library path of a module registered with p11-kit under `name` (module-name=).
std::string registered_module_path(const std::string& name, const std::string& shown_uri) {
  CK_FUNCTION_LIST** modules = p11_kit().modules_load(nullptr, P11_KIT_MODULE_UNMANAGED);
  std::string path;
  std::string known;
  for (CK_FUNCTION_LIST** module = modules; module && *module; ++module) {
    char* module_name = p11_kit().module_get_name(*module);
    if (module_name) {
      if (!known.empty()) known += ", ";
      known += module_name;
      if (name == module_name)
        if (char* library = p11_kit().config_option(*module, "module")) {
          path = library;
          std::free(library);
        }
      std::free(module_name);
    }
  }
  if (modules) p11_kit().modules_release(modules);
  if (path.empty())
    throw Error(Error::Kind::kInvalidArgument,
                shown_uri + ": no module named '" + name + "' is registered with p11-kit" +
                    (known.empty() ? std::string() : " (registered: " + known + ")"));
  return path;
}

// Keeps the module mapped until the process exits, whatever libp11 does when it unloads it:
// some vendor modules leave threads or atexit handlers behind after C_Finalize, which crash once
// their code is unmapped, and LeakSanitizer can attribute a module's leaks only while it is
// mapped. A module that cannot be opened here is left for libp11 to report.
void keep_module_mapped(const std::string& path) {
  if (void* handle = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE))
    ::dlclose(handle);
}

}  // namespace

std::string resolve_module_path(const std::string& flag_module, const Uri* uri) {
  if (!flag_module.empty()) return flag_module;
  if (uri) {
    if (std::string path = uri->module_path(); !path.empty()) return path;
    if (std::string name = uri->module_name(); !name.empty())
      return registered_module_path(name, uri->shown());
  }
  return kProxyModule;
}

Module::Module(const std::string& path, PinContext* pins, const std::string& module_flag)
    : path_(path) {
  context_ = libp11().CTX_new();
  if (!context_) throw Error(Error::Kind::kInternal, "cannot create a libp11 context");
  libp11().set_ui_method(context_, context_pin_ui_method(), pins);
  keep_module_mapped(path);
  if (libp11().CTX_load(context_, path.c_str()) != 0) {
    const std::string reason = take_failure_reason();
    libp11().CTX_free(context_);
    throw Error(Error::Kind::kInput,
                "cannot load the PKCS#11 module " + path + reason +
                    (module_flag.empty() ? "" : "; name an installed module with " + module_flag));
  }
  if (libp11().enumerate_slots(context_, &slots_, &slot_count_) != 0) {
    const std::string reason = take_failure_reason();
    libp11().CTX_unload(context_);
    libp11().CTX_free(context_);
    throw Error(Error::Kind::kInput, "cannot list the slots of PKCS#11 module " + path + reason);
  }
}

Module::~Module() {
  if (slots_) libp11().release_all_slots(context_, slots_, slot_count_);
  libp11().CTX_unload(context_);
  libp11().CTX_free(context_);
}

std::vector<PKCS11_SLOT*> Module::token_slots() const {
  std::vector<PKCS11_SLOT*> slots;
  for (unsigned int i = 0; i < slot_count_; ++i)
    if (slots_[i].token && slots_[i].token->initialized) slots.push_back(&slots_[i]);
  return slots;
}

}  // namespace rolesanywhere::pkcs11_detail
