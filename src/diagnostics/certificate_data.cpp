#include "rolesanywhere/diagnostics.hpp"

#include <nlohmann/json.hpp>

namespace rolesanywhere {

std::string certificate_data_json(X509* certificate) {
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  std::string key_type;
  std::vector<std::string> algorithms;
  if (key && EVP_PKEY_is_a(key, "RSA")) {
    key_type = "RSA";
    algorithms = {"RSASHA256", "RSASHA384", "RSASHA512"};
  } else if (key && EVP_PKEY_is_a(key, "EC")) {
    key_type = "EC";
    algorithms = {"ECSHA256", "ECSHA384", "ECSHA512"};
  } else {
    algorithms = {"SHA256", "SHA384", "SHA512"};
  }
  // nlohmann's ordered_json keeps the field order aws_signing_helper prints.
  nlohmann::ordered_json data;
  data["keyType"] = key_type;
  data["certificateData"] = der_base64(certificate);
  data["serialNumber"] = serial_decimal(certificate);
  data["supportedAlgorithms"] = algorithms;
  return data.dump();
}

}  // namespace rolesanywhere
