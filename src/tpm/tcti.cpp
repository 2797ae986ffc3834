// Where the TSS finds the TPM: tpm2-openssl reads TPM2OPENSSL_TCTI itself; aws_signing_helper's
// TPM_DEVICE is translated into it, and the TSS's own log lines are silenced, both through the
// environment, because that is where the TSS libraries read their settings.
#include "rolesanywhere/tpm.hpp"

#include <sys/stat.h>

#include <cstdlib>

namespace rolesanywhere {
namespace {

constexpr const char* kProviderTcti = "TPM2OPENSSL_TCTI";
constexpr const char* kSigningHelperDevice = "TPM_DEVICE";
constexpr const char* kTssLog = "TSS2_LOG";

std::string translate_device(const std::string& device, bool is_socket) {
  return (is_socket ? "swtpm:path=" : "device:") + device;
}

bool is_unix_socket(const std::string& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 && S_ISSOCK(status.st_mode);
}

bool set(const char* value) { return value && *value; }

}  // namespace

TctiChoice choose_tcti(const char* tpm2openssl_tcti, const char* tpm_device,
                       bool device_is_socket) {
  if (set(tpm2openssl_tcti)) {
    if (set(tpm_device) && translate_device(tpm_device, device_is_socket) == tpm2openssl_tcti)
      return {tpm2openssl_tcti, std::string(kSigningHelperDevice) + "=" + tpm_device};
    return {tpm2openssl_tcti, kProviderTcti};
  }
  if (set(tpm_device))
    return {translate_device(tpm_device, device_is_socket),
            std::string(kSigningHelperDevice) + "=" + tpm_device};
  return {};
}

std::string describe_tcti(const TctiChoice& choice) {
  if (choice.tcti.empty())
    return "the TSS's default TCTIs (tabrmd, device:/dev/tpmrm0, device:/dev/tpm0, swtpm and "
           "mssim on localhost:2321; set TPM2OPENSSL_TCTI or TPM_DEVICE to choose)";
  return choice.tcti + " (" + choice.origin + ")";
}

std::vector<EnvironmentSetting> tss_environment(
    const std::function<const char*(const char*)>& getenv,
    const std::function<bool(const std::string&)>& is_socket) {
  std::vector<EnvironmentSetting> settings;
  if (!getenv(kTssLog)) settings.push_back({kTssLog, "all+NONE"});
  const char* device = getenv(kSigningHelperDevice);
  if (!set(getenv(kProviderTcti)) && set(device))
    settings.push_back({kProviderTcti, translate_device(device, is_socket(device))});
  return settings;
}

void prepare_tss_environment() {
  for (const EnvironmentSetting& setting : tss_environment(::getenv, is_unix_socket))
    ::setenv(setting.name.c_str(), setting.value.c_str(), 1);
}

}  // namespace rolesanywhere
