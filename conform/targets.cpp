#include "conform/targets.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>
#include <cstdlib>

namespace nncert::conform {

const std::vector<Target>& targets() {
  static const std::vector<Target> all{
      {"host", {{"command -v ${CXX:-c++}", "g++"}}, {}, "", false},
      {"armv7",
       {{"command -v arm-linux-gnueabihf-g++", "g++-arm-linux-gnueabihf"}, {"command -v qemu-arm", "qemu-user"}},
       {},
       "",
       true},
      {"riscv64",
       {{"command -v riscv64-linux-gnu-g++", "g++-riscv64-linux-gnu"}, {"command -v qemu-riscv64", "qemu-user"}},
       {},
       "",
       true},
      {"cortex-m3",
       {{"command -v arm-none-eabi-g++", "gcc-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-gcc -print-file-name=rdimon.specs)\"", "libnewlib-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-g++ -mcpu=cortex-m3 -mthumb -print-file-name=libstdc++.a)\"",
         "libstdc++-arm-none-eabi-newlib"},
        {"command -v qemu-system-arm", "qemu-system-arm"}},
       {"startup.c", "link.ld"},
       "",
       true},
      // mps2-an386 has mps2-an385's memory map: the Cortex-M3 start-up and linker script serve.
      {"cortex-m4",
       {{"command -v arm-none-eabi-g++", "gcc-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-gcc -print-file-name=rdimon.specs)\"", "libnewlib-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -print-file-name=libstdc++.a)\"",
         "libstdc++-arm-none-eabi-newlib"},
        {"command -v qemu-system-arm", "qemu-system-arm"}},
       {"startup.c", "link.ld"},
       "cortex-m3",
       true},
      // mps3-an547: code and weights in ITCM, data in DTCM; its own start-up enables MVE.
      {"cortex-m55",
       {{"command -v arm-none-eabi-g++", "gcc-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-gcc -print-file-name=rdimon.specs)\"", "libnewlib-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-g++ -mcpu=cortex-m55 -mthumb -mfloat-abi=hard -print-file-name=libstdc++.a)\"",
         "libstdc++-arm-none-eabi-newlib"},
        {"command -v qemu-system-arm", "qemu-system-arm"}},
       {"startup.c", "link.ld"},
       "",
       true},
  };
  return all;
}

std::vector<const Target*> choose_targets(const std::string& name) {
  std::vector<const Target*> chosen;
  for (const Target& t : targets())
    if (name == "all" || name == t.name) chosen.push_back(&t);
  if (chosen.empty())
    throw InputError("--target", "'" + name + "'", "expected host, armv7, riscv64, cortex-m3, cortex-m4, cortex-m55 or all");
  // A missing toolchain is bad usage (exit 2), named by the packages that provide it.
  std::vector<std::string> missing;
  for (const Target* t : chosen)
    for (const Tool& tool : t->tools)
      if (std::system(("(" + tool.command + ") >/dev/null 2>&1").c_str()) != 0 &&
          std::find(missing.begin(), missing.end(), tool.package) == missing.end())
        missing.push_back(tool.package);
  if (!missing.empty()) {
    std::string list;
    for (const auto& p : missing) list += (list.empty() ? "" : " ") + p;
    throw InputError("conform", "--target " + name, "toolchain missing; install: apt-get install " + list +
                                                          " (or `make deps-targets`)");
  }
  return chosen;
}

}  // namespace nncert::conform
