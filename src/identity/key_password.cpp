#include "identity_detail.hpp"

namespace rolesanywhere::identity_detail {

const std::optional<SecretString>& KeyPassword::get(const std::string& label) {
  if (!password_ && ask_ && !asked_) {
    asked_ = true;  // set first: a provider that throws is not asked again either
    password_ = ask_(label);
  }
  return password_;
}

Error KeyPassword::missing(const std::string& label) const {
  if (flag_.empty())
    return Error(Error::Kind::kInput, label + " is encrypted and no password was given");
  return Error(Error::Kind::kInput, label + " is encrypted; give its password with " + flag_);
}

}  // namespace rolesanywhere::identity_detail
