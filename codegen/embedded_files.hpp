// The runtime and target files `nncert codegen` and `nncert conform` write out, compiled into
// the binary so the tool works away from its source tree. Their definitions are generated at
// build time by codegen/embed_files.sh from runtime/ and targets/.
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
