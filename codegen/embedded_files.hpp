// The runtime and target files `nncert codegen` and `nncert conform` write out, compiled into
// the binary so the tool works away from its source tree. codegen/embedded_files.cpp is
// regenerated from runtime/ and targets/ by codegen/embed_files.sh; a test keeps them identical.
#pragma once

#include <string>
#include <vector>

namespace nncert::codegen {

struct EmbeddedFile {
  std::string path;  // repository path, e.g. "runtime/nncert_kernels.h"
  std::string text;
};

const std::vector<EmbeddedFile>& embedded_files();
// Text of the embedded file at repository path `path`; InternalError when there is none.
const std::string& embedded(const std::string& path);

}  // namespace nncert::codegen
