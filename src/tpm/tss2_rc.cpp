#include "tss2_rc.hpp"

#include <openssl/err.h>

#include <charconv>

namespace rolesanywhere::tpm_detail {
namespace {

// TSS2_RC: the layer in bits 16-23 (0: the TPM itself, 10: the TCTI, 12: a resource manager
// passing on the TPM's answer); the TPM's code in the low 16 bits.
constexpr std::uint32_t kLayerShift = 16;
constexpr std::uint32_t kTpmLayer = 0;
constexpr std::uint32_t kEsysLayer = 7;
constexpr std::uint32_t kSysLayer = 8;
constexpr std::uint32_t kTctiLayer = 10;
// The TSS's own base codes (bits 0-15 in its layers).
constexpr std::uint32_t kBadSequence = 7;  // a command cut short left the context unusable
constexpr std::uint32_t kIoError = 10;
constexpr std::uint32_t kResourceManagerTpmLayer = 12;

constexpr std::uint32_t kFormatOne = 0x080;  // RC_FMT1: error number in bits 0-5

constexpr std::uint32_t kAuthFail = 0x08e;
constexpr std::uint32_t kBadAuth = 0x0a2;
constexpr std::uint32_t kAttributes = 0x082;
constexpr std::uint32_t kScheme = 0x092;
constexpr std::uint32_t kKey = 0x09c;
constexpr std::uint32_t kHandle = 0x08b;
constexpr std::uint32_t kInitialize = 0x100;  // the TPM was restarted and not started up
constexpr std::uint32_t kLockout = 0x921;
// TPM_RC_REFERENCE_H0..H6 and _S0..S6: the command names a transient object or a session that
// is not loaded (any more: the TPM restarted since it was loaded).
constexpr std::uint32_t kReferenceH0 = 0x910;
constexpr std::uint32_t kReferenceS6 = 0x91e;

}  // namespace

TpmFailure classify_tss2_rc(std::uint32_t rc) {
  const std::uint32_t layer = (rc >> kLayerShift) & 0xff;
  if (layer == kTctiLayer) return TpmFailure::kGone;
  // A connection that broke during a command leaves ESYS's context out of step for good.
  if ((layer == kEsysLayer || layer == kSysLayer) &&
      ((rc & 0xffff) == kBadSequence || (rc & 0xffff) == kIoError))
    return TpmFailure::kGone;
  if (layer != kTpmLayer && layer != kResourceManagerTpmLayer) return TpmFailure::kOther;
  const std::uint32_t code = rc & 0xffff;
  if (code & kFormatOne) {
    switch (kFormatOne | (code & 0x3f)) {  // without the handle, parameter or session number
      case kAuthFail:
      case kBadAuth:
        return TpmFailure::kAuthorization;
      case kAttributes:
      case kScheme:
      case kKey:
        return TpmFailure::kCannotSign;
      case kHandle:
        return TpmFailure::kNoSuchObject;
      default:
        return TpmFailure::kOther;
    }
  }
  if (code == kLockout) return TpmFailure::kLockout;
  if (code == kInitialize) return TpmFailure::kGone;
  if (code >= kReferenceH0 && code <= kReferenceS6) return TpmFailure::kGone;
  return TpmFailure::kOther;
}

std::optional<TpmError> parse_tpm_error_data(std::string_view data) {
  std::uint32_t rc = 0;
  const auto [end, error] = std::from_chars(data.data(), data.data() + data.size(), rc);
  if (error != std::errc() || end == data.data()) return std::nullopt;
  std::string_view text(end, static_cast<std::size_t>(data.data() + data.size() - end));
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return TpmError{rc, std::string(text)};
}

TpmError take_tpm_error() {
  std::optional<TpmError> found;
  std::string last_reason;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    if (!found && data && (flags & ERR_TXT_STRING)) found = parse_tpm_error_data(data);
    if (const char* reason = ERR_reason_error_string(code)) last_reason = reason;
  }
  if (found) return *found;
  return TpmError{std::nullopt, last_reason};
}

}  // namespace rolesanywhere::tpm_detail
