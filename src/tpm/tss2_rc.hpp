// What a TPM failure means for the person: the TSS2 response codes tpm2-openssl reports,
// sorted into the few cases that call for different words or a different reaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::tpm_detail {

enum class TpmFailure {
  kOther,
  kAuthorization,  // wrong password (TPM_RC_AUTH_FAIL, TPM_RC_BAD_AUTH): never to be retried
  kLockout,        // dictionary-attack lockout (TPM_RC_LOCKOUT)
  kCannotSign,     // the key may not sign this way (TPM_RC_KEY, _ATTRIBUTES, _SCHEME)
  kNoSuchObject,   // no object at that handle (TPM_RC_HANDLE)
  kGone,           // the TPM or the loaded key went away: TCTI I/O, TPM restarted, or the
                   // connection broke during a command (ESYS out of sequence)
};

TpmFailure classify_tss2_rc(std::uint32_t rc);

// A TPM error as tpm2-openssl reports it: the TSS2 response code and the TSS's words for it.
struct TpmError {
  std::optional<std::uint32_t> rc;
  std::string text;  // "tpm:session(1):the authorization HMAC check failed ..."; may be empty
};
// tpm2-openssl puts "<decimal rc> <Tss2_RC_Decode text>" in the error's data.
std::optional<TpmError> parse_tpm_error_data(std::string_view data);
// The first TPM error in OpenSSL's error queue (else its last reason, as text); clears the queue.
TpmError take_tpm_error();

}  // namespace rolesanywhere::tpm_detail
