// Generated code as it lies in a folder (a stage's output, a bundle's code/): read back so that
// conformance builds exactly the shipped bytes, not a fresh generation.
#pragma once

#include "codegen/codegen.hpp"

#include <filesystem>

namespace nncert::pipeline {

struct CodeOnDisk {
  codegen::Generated generated;  // files only (name and text)
  codegen::Options options;      // name: the stem of the one <name>.cpp
};

// InputError unless the folder holds exactly one <name>.cpp with its <name>.h and nncert_kernels.h.
CodeOnDisk read_code(const std::filesystem::path& dir);

}  // namespace nncert::pipeline
