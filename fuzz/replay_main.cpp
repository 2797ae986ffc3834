// Replays inputs through a harness's LLVMFuzzerTestOneInput without libFuzzer, so every build
// (gcc included) runs the seed corpora and the saved crash inputs as ctest tests.
//
//   replay_<target> PATH...   each PATH a file, or a directory whose files are run in name order;
//                             a directory that does not exist is skipped (a target may have no
//                             regression inputs yet)
//
// A harness reports a failed invariant with a trap; the name of the input being run is then
// printed from the signal handler, so the failing file is known.
#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

char current_input[4096] = "";

void name_the_input(int signal_number) {
  constexpr char kPrefix[] = "\nreplay: crashed on input ";
  [[maybe_unused]] ssize_t ignored = ::write(2, kPrefix, sizeof kPrefix - 1);
  ignored = ::write(2, current_input, std::strlen(current_input));
  ignored = ::write(2, "\n", 1);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

bool run_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes{std::istreambuf_iterator<char>(file),
                                std::istreambuf_iterator<char>()};
  std::snprintf(current_input, sizeof current_input, "%s", path.c_str());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  for (int signal_number : {SIGILL, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP})
    std::signal(signal_number, name_the_input);
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);

  int replayed = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path = argv[i];
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(path))
        if (entry.is_regular_file() && entry.path().filename().string().front() != '.')
          files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        ok = run_file(file) && ok;
        ++replayed;
      }
    } else if (std::filesystem::exists(path, error)) {
      ok = run_file(path) && ok;
      ++replayed;
    }
  }
  std::printf("replayed %d input%s\n", replayed, replayed == 1 ? "" : "s");
  if (replayed == 0) {
    std::fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  return ok ? 0 : 1;
}
