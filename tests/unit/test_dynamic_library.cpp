// Libraries loaded at first use (common/dynamic_library.hpp): the message when one cannot be
// loaded, symbol lookup, and the once-only table a background preload shares with later calls.
#include "common/dynamic_library.hpp"
#include "rolesanywhere/error.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace rolesanywhere;

namespace {

const LibraryInfo kMissing{"libexample", "libexample-does-not-exist.so.9", "the example command",
                           "libexample9"};
const LibraryInfo kLibc{"the C library", "libc.so.6", "everything", "libc6"};

template <typename Function>
Error error_of(Function&& function) {
  try {
    function();
  } catch (const Error& error) {
    return error;
  }
  FAIL("no Error was thrown");
  return Error(Error::Kind::kInternal, "");
}

// A table whose library cannot be loaded; counts the attempts.
std::atomic<int> missing_attempts{0};
struct MissingApi {
  MissingApi() {
    ++missing_attempts;
    DynamicLibrary library(kMissing);
  }
};

// A table that loads slowly, so concurrent callers overlap; counts the loads.
std::atomic<int> slow_loads{0};
struct SlowApi {
  SlowApi() {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    library.bind(strlen, "strlen");
    ++slow_loads;
  }
  DynamicLibrary library{kLibc};
  decltype(&std::strlen) strlen = nullptr;
};

}  // namespace

TEST_CASE("a library that cannot be loaded is named with what needed it and its package") {
  const Error error = error_of([] { DynamicLibrary library(kMissing); });
  CHECK(error.kind() == Error::Kind::kNotSupported);
  const std::string message = error.what();
  CHECK(message.starts_with("cannot load libexample (libexample-does-not-exist.so.9: "));
  CHECK(message.find("cannot open shared object file") != std::string::npos);
  CHECK(
      message.ends_with("), which the example command needs; install the Debian package "
                        "libexample9"));
}

TEST_CASE("a function a library lacks is named with the library and its package") {
  const DynamicLibrary library(kLibc);
  const Error error = error_of([&] { library.symbol("no_such_function_in_libc"); });
  CHECK(error.kind() == Error::Kind::kNotSupported);
  const std::string message = error.what();
  CHECK(message.starts_with("cannot use the C library (libc.so.6 has no no_such_function_in_libc"));
  CHECK(message.find("which everything needs; install the Debian package libc6") !=
        std::string::npos);
}

TEST_CASE("bind finds a function that can be called") {
  const DynamicLibrary library(kLibc);
  decltype(&std::strlen) length = nullptr;
  library.bind(length, "strlen");
  REQUIRE(static_cast<bool>(length));
  CHECK(length("four") == 4);
}

TEST_CASE("a failed load is reported by every later call, a background preload's included") {
  // Held by a static, as the real tables are: never destroyed, still reachable at exit.
  static auto* const lazy = new LazyLibrary<MissingApi>;
  missing_attempts = 0;
  lazy->preload();
  // The preload's failure is neither fatal nor lost: the real load reports it.
  for (int i = 0; i < 2; ++i) {
    const Error error = error_of([&] { lazy->get(); });
    CHECK(std::string(error.what()).starts_with("cannot load libexample ("));
  }
  CHECK(missing_attempts == 1);
}

TEST_CASE("the table is loaded once when many threads ask for it at the same time") {
  static auto* const lazy = new LazyLibrary<SlowApi>;
  slow_loads = 0;
  lazy->preload();
  std::vector<std::thread> threads;
  std::atomic<int> lengths{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] { lengths += static_cast<int>(lazy->get().strlen("ab")); });
  for (auto& thread : threads) thread.join();
  CHECK(lengths == 8);
  CHECK(slow_loads == 1);
}

TEST_CASE("settling waits for a background load in progress, or keeps it from starting") {
  static auto* const lazy = new LazyLibrary<SlowApi>;
  slow_loads = 0;
  lazy->preload();
  lazy->settle_preload();
  const int loads_when_settled = slow_loads;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Either the load had started (and settle waited for it) or it never runs in the background.
  CHECK(slow_loads == loads_when_settled);
  // A real load still works afterwards.
  CHECK(lazy->get().strlen("abc") == 3);
}
