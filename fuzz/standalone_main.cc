// fuzz/standalone_main.cc — runs files through LLVMFuzzerTestOneInput without
// libFuzzer (fuzz/coverage.sh links it with -fprofile-instr-generate builds).
// Arguments are files or directories (read recursively). If an oracle aborts,
// the coverage profile gathered so far is still written.
#include <unistd.h>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" __attribute__((weak)) int __llvm_profile_write_file(void);

namespace {

const char* g_current = "";

void on_abort(int) {
  std::fprintf(stderr, "aborted on %s\n", g_current);
  if (__llvm_profile_write_file != nullptr) __llvm_profile_write_file();
  _exit(1);
}

void run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string name = path.string();
  g_current = name.c_str();
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGABRT, on_abort);
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(arg))
        if (entry.is_regular_file()) run_file(entry.path()), ++count;
    } else {
      run_file(arg), ++count;
    }
  }
  std::fprintf(stderr, "ran %zu inputs\n", count);
  return 0;
}
