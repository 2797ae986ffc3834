#include "rolesanywhere/credential_service.hpp"
#include "rolesanywhere/refresher.hpp"

namespace rolesanywhere {

FirstFetch::Outcome FirstFetch::run(const std::function<void()>& fetch,
                                    bool refusal_stops) noexcept {
  try {
    fetch();
    publish(Outcome::kSucceeded, nullptr, {});
    return Outcome::kSucceeded;
  } catch (const Error& error) {
    if (error.kind() == Error::Kind::kCancelled) {
      publish(Outcome::kCancelled, nullptr, {});
      return Outcome::kCancelled;
    }
    const Outcome outcome =
        // The line the refresher draws between retrying fast and slowly: what it calls permanent
        // would fail again at once, so at start-up it is reported instead.
        refusal_stops && is_permanent_failure(error) ? Outcome::kRejected : Outcome::kRetrying;
    publish(outcome, std::current_exception(), error.what());
    return outcome;
  } catch (const std::exception& unexpected) {
    // Not one of ours: nothing says it will pass, so it is reported rather than retried forever.
    publish(Outcome::kRejected, std::current_exception(), unexpected.what());
    return Outcome::kRejected;
  } catch (...) {
    publish(Outcome::kRejected,
            std::make_exception_ptr(Error(Error::Kind::kInternal, "unknown failure")),
            "unknown failure");
    return Outcome::kRejected;
  }
}

void FirstFetch::reject(std::exception_ptr error, std::string message) {
  publish(Outcome::kRejected, std::move(error), std::move(message));
}

void FirstFetch::publish(Outcome outcome, std::exception_ptr error, std::string message) {
  {
    std::lock_guard lock(mutex_);
    outcome_ = outcome;
    error_ = std::move(error);
    message_ = std::move(message);
  }
  changed_.notify_all();
}

FirstFetch::Outcome FirstFetch::wait_for_change(Outcome seen, std::chrono::milliseconds limit,
                                                const std::stop_token& stop) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, stop, limit, [&] { return outcome_ != seen; });
  return outcome_;
}

FirstFetch::Outcome FirstFetch::outcome() const {
  std::lock_guard lock(mutex_);
  return outcome_;
}

std::string FirstFetch::failure_message() const {
  std::lock_guard lock(mutex_);
  return message_;
}

void FirstFetch::rethrow_rejection() const {
  std::exception_ptr error;
  {
    std::lock_guard lock(mutex_);
    error = error_;
  }
  if (error) std::rethrow_exception(error);
  throw Error(Error::Kind::kInternal, "the first CreateSession was not rejected");
}

}  // namespace rolesanywhere
