// The targets `nncert conform` builds the generated code for (DESIGN §6): each one's toolchain
// (a shell test and the Debian package that provides it) and the extra start-up files it needs.
#pragma once

#include <string>
#include <vector>

namespace nncert::conform {

struct Tool {
  std::string command;  // shell test that succeeds when the tool is there
  std::string package;  // Debian package providing it
};

struct Target {
  std::string name;
  std::vector<Tool> tools;
  std::vector<std::string> extra_files;  // copied from targets/<files_from>/ into the source folder
  std::string files_from;                // default: the target's own folder
  bool emulated = true;                  // runs under QEMU, so instructions can be counted
};

const std::vector<Target>& targets();

// The targets `name` selects ("all" = every one). InputError when the name is unknown or a
// toolchain is missing (naming the Debian packages to install): bad usage, exit 2.
std::vector<const Target*> choose_targets(const std::string& name);

}  // namespace nncert::conform
