// fuzz/standalone_main.cc — runs files through LLVMFuzzerTestOneInput without
// libFuzzer (fuzz/coverage.sh links it with -fprofile-instr-generate builds).
// Arguments are files or directories (read recursively); a path that does not
// exist is refused (exit 2) rather than run as an empty input. If an oracle
// aborts, the coverage profile gathered so far is still written.
#include <unistd.h>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "chatframe_tools/cli.hpp"

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
  std::vector<std::string> inputs;
  CLI::App app{"Runs files through the fuzz target's LLVMFuzzerTestOneInput, without libFuzzer.",
               std::filesystem::path(argv[0]).filename().string()};
  app.add_option("INPUT", inputs, "input files, or directories of them (read recursively)")
      ->check(CLI::ExistingPath);
  if (const auto status = chatframe_tools::parse(app, argc, argv)) return *status;
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::size_t count = 0;
  for (const std::string& input : inputs) {
    const std::filesystem::path arg(input);
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
