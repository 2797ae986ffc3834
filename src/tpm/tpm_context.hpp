// One connection to the TPM: an OpenSSL library context of its own with the default provider and
// then tpm2-openssl's loaded into it. Its own context, so nothing else in the process (the
// digests of SigV4, TLS, the cache) is ever routed to the TPM, and so a TPM that went away can be
// reached again through a fresh context. Every key loaded through it must be freed before it.
#pragma once

#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/tpm.hpp"

#include <openssl/provider.h>

#include <memory>
#include <string>

namespace rolesanywhere::tpm_detail {

// What signs and loads from the tpm2 provider asks for: its implementations, never another's.
constexpr const char* kTpmPropertyQuery = "?provider=tpm2";

class TpmContext {
 public:
  // Loads the providers. Throws Error: kNotSupported when tpm2-openssl is not installed (naming
  // the package), kTransport when no TPM answers (naming what was tried).
  static std::shared_ptr<TpmContext> open(const DebugSink& debug_sink);
  ~TpmContext();
  TpmContext(const TpmContext&) = delete;
  TpmContext& operator=(const TpmContext&) = delete;

  OSSL_LIB_CTX* libctx() const noexcept { return libctx_; }
  // The TCTI in use, for messages: "swtpm:port=2321 (TPM2OPENSSL_TCTI)".
  const std::string& reached_through() const noexcept { return reached_through_; }

 private:
  TpmContext() = default;
  OSSL_LIB_CTX* libctx_ = nullptr;
  OSSL_PROVIDER* default_provider_ = nullptr;
  OSSL_PROVIDER* tpm2_provider_ = nullptr;
  std::string reached_through_;
};

// The TCTI this process would use, from its environment.
TctiChoice current_tcti();

}  // namespace rolesanywhere::tpm_detail
