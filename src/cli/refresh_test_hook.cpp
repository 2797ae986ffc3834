#include "refresh_test_hook.hpp"

#include "rolesanywhere/error.hpp"

#include <string>
#include <string_view>

namespace rolesanywhere::cli {
namespace {

constexpr std::string_view kFlag = "--refresh-before-expiry";

}  // namespace

std::optional<std::chrono::seconds> take_refresh_before_expiry(std::vector<char*>& args) {
  std::optional<std::chrono::seconds> value;
  for (std::size_t i = 1; i < args.size();) {
    const std::string_view arg = args[i];
    std::string text;
    std::size_t consumed = 0;
    if (arg == kFlag) {
      if (i + 1 >= args.size())
        throw Error(Error::Kind::kInvalidArgument, std::string(kFlag) + " needs SECONDS");
      text = args[i + 1];
      consumed = 2;
    } else if (arg.starts_with(std::string(kFlag) + "=")) {
      text = arg.substr(kFlag.size() + 1);
      consumed = 1;
    } else {
      ++i;
      continue;
    }
    if (text.empty() || text.size() > 6 ||
        text.find_first_not_of("0123456789") != std::string::npos)
      throw Error(Error::Kind::kInvalidArgument,
                  std::string(kFlag) + " " + text + ": must be a whole number of seconds");
    value = std::chrono::seconds(std::stol(text));
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i + consumed));
  }
  return value;
}

RefreshPolicy refresh_policy(std::optional<std::chrono::seconds> refresh_before_expiry) {
  RefreshPolicy policy;
  if (refresh_before_expiry) {
    policy.refresh_before_expiry = *refresh_before_expiry;
    policy.max_jitter = std::chrono::seconds(0);
    policy.max_sleep_slice = std::chrono::milliseconds(500);
    policy.max_retry = std::chrono::milliseconds(3'000);
    policy.min_refresh_interval = std::chrono::milliseconds(0);  // stress tests refresh flat out
  }
  return policy;
}

}  // namespace rolesanywhere::cli
