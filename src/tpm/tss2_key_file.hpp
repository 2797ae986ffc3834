// TSS2 key files ("ASN.1 specification for TPM 2.0 key files"), read far enough to decide before
// the TPM is asked anything: is it a key the TPM can load, does it need a password (emptyAuth),
// can it sign, under which parent was it made.
//
//   TPMKey ::= SEQUENCE {
//     type       OBJECT IDENTIFIER,                 -- 2.23.133.10.1.3: a loadable key
//     emptyAuth  [0] EXPLICIT BOOLEAN OPTIONAL,     -- absent: the key has a password
//     policy     [1] EXPLICIT SEQUENCE OF ... OPTIONAL,
//     secret     [2] EXPLICIT OCTET STRING OPTIONAL,
//     authPolicy [3] EXPLICIT SEQUENCE OF ... OPTIONAL,
//     parent     INTEGER,                           -- 0x40000001: the owner hierarchy's primary
//     pubkey     OCTET STRING,                      -- TPM2B_PUBLIC
//     privkey    OCTET STRING }                     -- TPM2B_PRIVATE, sealed by the parent
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::tpm_detail {

constexpr std::uint16_t kTpmAlgRsa = 0x0001;
constexpr std::uint16_t kTpmAlgEcc = 0x0023;
constexpr std::uint32_t kTpmaObjectSign = 0x00040000;  // TPMA_OBJECT_SIGN_ENCRYPT
constexpr std::uint32_t kOwnerHierarchy = 0x40000001;  // TPM2_RH_OWNER

struct Tss2KeyFile {
  bool empty_auth = false;
  std::uint32_t parent = 0;
  std::uint16_t key_type = 0;    // TPMT_PUBLIC.type: kTpmAlgRsa, kTpmAlgEcc, ...
  std::uint32_t attributes = 0;  // TPMT_PUBLIC.objectAttributes

  bool can_sign() const noexcept { return (attributes & kTpmaObjectSign) != 0; }
  // "the owner hierarchy's primary key", "persistent key 0x81000001"
  std::string parent_description() const;
};

// The DER of the TSS2 key in `bytes`: its PEM block decoded, or `bytes` themselves when they are
// DER opening with a TPMKey object identifier; nullopt when it is neither.
std::optional<std::string> tss2_key_der(std::string_view bytes);

// The fields above, from a TSS2 key file's contents. Throws Error(kInput) naming `label` when it
// is not a loadable key (sealed data, say) or is malformed.
Tss2KeyFile parse_tss2_key(std::string_view bytes, const std::string& label);

}  // namespace rolesanywhere::tpm_detail
