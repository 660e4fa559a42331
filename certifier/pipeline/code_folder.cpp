#include "certifier/pipeline/code_folder.hpp"

#include "certifier/core/error.hpp"
#include "formats/atomic_file.hpp"

#include <algorithm>

namespace nncert::pipeline {

namespace fs = std::filesystem;

CodeOnDisk read_code(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw InputError(dir.string(), "folder", "expected a folder of generated code");
  CodeOnDisk code;
  std::vector<fs::path> sources;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".cpp") sources.push_back(e.path());
  if (sources.size() != 1)
    throw InputError(dir.string(), "files", "expected exactly one generated <name>.cpp, found " + std::to_string(sources.size()));
  code.options.name = sources.front().stem().string();
  std::vector<std::string> names{code.options.name + ".h", code.options.name + ".cpp", "nncert_kernels.h"};
  for (const std::string& name : names) {
    if (!fs::is_regular_file(dir / name)) throw InputError((dir / name).string(), "file", "missing from the generated code");
    code.generated.files.push_back({name, read_file((dir / name).string())});
  }
  return code;
}

}  // namespace nncert::pipeline
