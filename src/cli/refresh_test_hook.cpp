#include "refresh_test_hook.hpp"

#include "argv_secrets.hpp"

#include "rolesanywhere/error.hpp"

#include <string>
#include <string_view>

namespace rolesanywhere::cli {
namespace {

// Removes `FLAG SECONDS` and `FLAG=SECONDS` from args and returns the last value given.
std::optional<std::chrono::seconds> take_seconds(std::vector<char*>& args,
                                                 const std::string_view flag) {
  std::optional<std::chrono::seconds> value;
  for (std::size_t i = 1; i < args.size();) {
    const std::string_view arg = args[i];
    std::string text;
    std::size_t consumed = 0;
    if (arg == flag) {
      if (i + 1 >= args.size())
        throw Error(Error::Kind::kInvalidArgument, std::string(flag) + " needs SECONDS");
      text = args[i + 1];
      consumed = 2;
    } else if (arg.starts_with(std::string(flag) + "=")) {
      text = arg.substr(flag.size() + 1);
      consumed = 1;
    } else {
      ++i;
      continue;
    }
    if (text.empty() || text.size() > 6 ||
        text.find_first_not_of("0123456789") != std::string::npos)
      throw Error(Error::Kind::kInvalidArgument, std::string(flag) + " " + shown_argument(text) +
                                                     ": must be a whole number of seconds");
    value = std::chrono::seconds(std::stol(text));
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i + consumed));
  }
  return value;
}

}  // namespace

std::optional<std::chrono::seconds> take_refresh_before_expiry(std::vector<char*>& args) {
  return take_seconds(args, "--refresh-before-expiry");
}

std::optional<std::chrono::seconds> take_announce_after(std::vector<char*>& args) {
  return take_seconds(args, "--announce-after");
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
