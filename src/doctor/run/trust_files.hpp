// The files about trust that doctor reads besides the identity: the trust anchor's CA
// certificates, the CRLs imported into it, and the CA bundle that verifies the service
// (AWS_CA_BUNDLE). Each read is a finding; what could not be read is left out.
#pragma once

#include "rolesanywhere/doctor.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rolesanywhere::doctor_detail {

// files.trust_anchor
std::vector<X509Ptr> load_trust_anchor(const std::string& path, const doctor::Labels& labels,
                                       doctor::Findings& findings);
// files.crl
std::vector<doctor::X509CrlPtr> load_crls(const std::string& path, const doctor::Labels& labels,
                                          doctor::Findings& findings);
// env.ca_bundle: AWS_CA_BUNDLE readable and holding certificates, or not set.
doctor::Finding check_ca_bundle(const std::optional<std::string>& bundle);

}  // namespace rolesanywhere::doctor_detail
