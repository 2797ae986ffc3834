// The container authorization token file (src/serve/container_token.hpp), read as serve reads
// --container-token-file. The reader takes a path, so the input goes into a memfd and the
// reader opens it by its /proc/self/fd path: the same open and read as for a file on disk.
//
// Input: the file's bytes.
//
// Invariants:
//   1. a token is read exactly when the file holds 16 to 4096 bytes once trailing CR and LF are
//      dropped, and it is those bytes;
//   2. every failure is Error(kInput) naming the flag, and never quotes the file's content: its
//      message is the same for a file of the same length with other characters.
#include "fuzz_support.hpp"
#include "serve/container_token.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/unique_fd.hpp"

#include <sys/mman.h>
#include <unistd.h>

using namespace rolesanywhere;

namespace {

// The file's bytes with every character but the trailing line end replaced by another one.
std::string other_characters(std::string_view content, std::size_t kept) {
  std::string other(content);
  for (std::size_t i = 0; i < kept; ++i) other[i] = other[i] == 'x' ? 'y' : 'x';
  return other;
}

bool rewrite(int fd, std::string_view content) {
  return ::ftruncate(fd, 0) == 0 &&
         ::pwrite(fd, content.data(), content.size(), 0) == static_cast<ssize_t>(content.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view content = fuzz::as_text(data, size);
  const UniqueFd fd(::memfd_create("fuzz-container-token", MFD_CLOEXEC));
  if (!fd || !rewrite(fd.get(), content)) return 0;
  const std::string path = "/proc/self/fd/" + std::to_string(fd.get());
  const std::string flag = "--container-token-file";

  std::string_view expected = content;
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r'))
    expected.remove_suffix(1);
  const bool acceptable = size <= 4096 && expected.size() >= 16;
  try {
    const SecretString token = serve::read_or_create_container_token(path, flag);
    fuzz::check(acceptable, "only a file of 16 to 4096 bytes gives a token");
    fuzz::check(token.reveal() == expected, "the token is the file without its line end");
  } catch (const Error& error) {
    const std::string message = error.what();
    fuzz::check(!acceptable, "a file of 16 to 4096 bytes gives a token", message);
    fuzz::check(error.kind() == Error::Kind::kInput, "a bad token file is Error(kInput)", message);
    fuzz::check(message.rfind(flag + " " + path + ": ", 0) == 0,
                "the error names the flag and the file", message);
    if (!rewrite(fd.get(), other_characters(content, expected.size()))) return 0;
    try {
      (void)serve::read_or_create_container_token(path, flag);
      fuzz::violated("a file of the same length is refused too");
    } catch (const Error& other) {
      fuzz::check(message == other.what(), "the error does not depend on the token's characters",
                  message + " / " + other.what());
    }
  }
  return 0;
}
