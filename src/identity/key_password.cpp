#include "identity_detail.hpp"

namespace rolesanywhere::identity_detail {

const std::optional<SecretString>& KeyPassword::get(const std::string& label) {
  if (!password_ && ask_ && !asked_) {
    asked_ = true;  // set first: a provider that throws is not asked again either
    password_ = ask_(label);
  }
  return password_;
}

}  // namespace rolesanywhere::identity_detail
