// Reading identity files that are pipes: process substitution (`--certificate <(vault read ...)`)
// and named FIFOs are allowed, but one that never delivers must not hang the helper (issue 13).
#include "identity/identity_detail.hpp"
#include "test_temp_dir.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

using namespace rolesanywhere;
using namespace rolesanywhere::identity_detail;
using namespace std::chrono_literals;

namespace {

const std::string kPem = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n";

std::string make_fifo(const test_support::TempDir& directory) {
  const std::string path = (directory.path / "identity.fifo").string();
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  return path;
}

// The message read_input_file throws, or a failed check when it returns.
std::string read_error(const std::string& path, const std::string& label,
                       std::chrono::milliseconds timeout) {
  try {
    read_input_file(path, label, timeout);
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kInput);
    return e.what();
  }
  FAIL("no error reading " << path);
  return {};
}

// Writes to a FIFO from another thread: opens it once the reader has (never blocking, so a
// reader that never comes cannot hang the test), writes `data`, then keeps it open until
// release() when asked to, as a writer that stalls would.
class FifoWriter {
 public:
  FifoWriter(std::string path, std::string data, bool stall)
      : thread_([this, path = std::move(path), data = std::move(data), stall] {
          int fd = -1;
          for (int i = 0; i < 2000 && fd < 0 && !released_; ++i) {
            fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) std::this_thread::sleep_for(5ms);  // ENXIO: no reader yet
          }
          if (fd < 0) return;
          if (!data.empty()) wrote_ = ::write(fd, data.data(), data.size()) > 0;
          while (stall && !released_) std::this_thread::sleep_for(5ms);
          ::close(fd);
        }) {}
  ~FifoWriter() {
    release();
    thread_.join();
  }
  void release() { released_ = true; }
  bool wrote() const { return wrote_; }

 private:
  std::atomic<bool> released_{false};
  std::atomic<bool> wrote_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("input file: a FIFO that nothing writes to gives up with the flag and file named") {
  const test_support::TempDir directory;
  const std::string fifo = make_fifo(directory);
  const std::string label = file_label("--certificate", "certificate file", fifo);
  // Whole seconds are said as such (the real limit is 10 s), others in milliseconds.
  CHECK(read_error(fifo, label, 1s) ==
        "--certificate " + fifo + " delivered no data within 1 s: is anything writing to it?");
  CHECK(read_error(fifo, label, 200ms) ==
        "--certificate " + fifo + " delivered no data within 200 ms: is anything writing to it?");
}

TEST_CASE("input file: a FIFO whose writer stops part way gives up too") {
  const test_support::TempDir directory;
  const std::string fifo = make_fifo(directory);
  FifoWriter writer(fifo, kPem.substr(0, 20), /*stall=*/true);
  const std::string label = file_label("", "private key file", fifo);
  // Long enough for the writer thread's part to arrive first, even on a slow sanitizer build.
  CHECK(read_error(fifo, label, 1500ms) ==
        "private key file " + fifo +
            " did not finish within 1500 ms: its writer sent part of the data, then neither more "
            "nor its end");
}

TEST_CASE("input file: a FIFO is read whole once its writer comes and closes") {
  const test_support::TempDir directory;
  const std::string fifo = make_fifo(directory);
  FifoWriter writer(fifo, kPem, /*stall=*/false);
  // The writer opens only after the reader: reading must wait for it, not take the FIFO's
  // state before any writer came for the end of the input.
  CHECK(read_input_file(fifo, "--certificate " + fifo, 30s).reveal() == kPem);
  CHECK(writer.wrote());
}

TEST_CASE("input file: a FIFO whose writer closes without writing is empty") {
  const test_support::TempDir directory;
  const std::string fifo = make_fifo(directory);
  FifoWriter writer(fifo, "", /*stall=*/false);
  CHECK(read_error(fifo, "--certificate " + fifo, 30s) == "--certificate " + fifo + " is empty");
}

TEST_CASE("input file: a pipe whose writer finished before it was opened is read at once") {
  // As `--certificate <(cat cert.pem)` when cat is done before the helper reads /dev/fd/63: its
  // end is there to be found at once, and waiting for a writer would fail after the timeout.
  for (const std::string& data : {kPem, std::string()}) {
    int ends[2];
    REQUIRE(::pipe(ends) == 0);
    if (!data.empty()) REQUIRE(::write(ends[1], data.data(), data.size()) == ssize_t(data.size()));
    ::close(ends[1]);
    const std::string path = "/dev/fd/" + std::to_string(ends[0]);
    if (data.empty()) {
      CHECK(read_error(path, "--certificate " + path, 30s) ==
            "--certificate " + path + " is empty");
    } else {
      CHECK(read_input_file(path, "--certificate " + path, 30s).reveal() == data);
    }
    ::close(ends[0]);
  }
}
