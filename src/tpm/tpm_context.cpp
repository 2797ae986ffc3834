#include "tpm_context.hpp"

#include "tss2_rc.hpp"

#include "rolesanywhere/error.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <cstdlib>
#include <string_view>

namespace rolesanywhere::tpm_detail {
namespace {

constexpr const char* kProviderName = "tpm2";
constexpr const char* kDebianPackage = "tpm2-openssl";

// Where OpenSSL looks for provider modules: OPENSSL_MODULES, else its built-in MODULESDIR
// (OpenSSL_version says 'MODULESDIR: "/usr/lib/x86_64-linux-gnu/ossl-modules"').
std::string modules_directory() {
  if (const char* set = std::getenv("OPENSSL_MODULES"); set && *set) return set;
  std::string_view text = OpenSSL_version(OPENSSL_MODULES_DIR);
  const auto open = text.find('"');
  const auto close = text.rfind('"');
  if (open == std::string_view::npos || close <= open) return std::string(text);
  return std::string(text.substr(open + 1, close - open - 1));
}

}  // namespace

TctiChoice current_tcti() {
  const char* device = std::getenv("TPM_DEVICE");
  struct stat status {};
  const bool is_socket = device && ::stat(device, &status) == 0 && S_ISSOCK(status.st_mode);
  return choose_tcti(std::getenv("TPM2OPENSSL_TCTI"), device, is_socket);
}

std::shared_ptr<TpmContext> TpmContext::open(const DebugSink& debug_sink) {
  std::shared_ptr<TpmContext> context(new TpmContext());
  const std::string module = modules_directory() + "/" + kProviderName + ".so";
  if (::access(module.c_str(), R_OK) != 0)
    throw Error(Error::Kind::kNotSupported,
                "TPM keys need the tpm2 OpenSSL provider, which is not installed (no " + module +
                    "); on Debian and Ubuntu: apt-get install " + kDebianPackage);
  context->reached_through_ = describe_tcti(current_tcti());
  context->libctx_ = OSSL_LIB_CTX_new();
  if (!context->libctx_)
    throw Error(Error::Kind::kInternal, "cannot create an OpenSSL library context");
  // The default provider first: fetches without a property query then find its digests, not
  // the TPM's.
  ERR_clear_error();
  context->default_provider_ = OSSL_PROVIDER_load(context->libctx_, "default");
  if (!context->default_provider_)
    throw Error(Error::Kind::kInternal,
                "cannot load OpenSSL's default provider: " + openssl_error_text());
  debug(debug_sink, "TPM: loading the tpm2 OpenSSL provider (" + module +
                        "), reaching the TPM through " + context->reached_through_);
  context->tpm2_provider_ = OSSL_PROVIDER_load(context->libctx_, kProviderName);
  if (!context->tpm2_provider_) {
    const TpmError error = take_tpm_error();
    throw Error(Error::Kind::kTransport, "no TPM could be reached through " +
                                             context->reached_through_ +
                                             (error.text.empty() ? "" : ": " + error.text));
  }
  return context;
}

TpmContext::~TpmContext() {
  if (tpm2_provider_) OSSL_PROVIDER_unload(tpm2_provider_);
  if (default_provider_) OSSL_PROVIDER_unload(default_provider_);
  if (libctx_) OSSL_LIB_CTX_free(libctx_);
}

}  // namespace rolesanywhere::tpm_detail
