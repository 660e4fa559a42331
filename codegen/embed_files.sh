#!/bin/sh
# Writes the C++ source that embeds runtime/ and targets/ into the tool: embed_files.sh OUT.cpp.
# The build runs it (CMakeLists.txt) whenever one of those files changes.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
{
  echo "// Generated at build time by codegen/embed_files.sh from runtime/ and targets/."
  echo "#include \"codegen/embedded_files.hpp\""
  echo
  echo "#include \"certifier/core/error.hpp\""
  echo
  echo "namespace nncert::codegen {"
  echo
  echo "const std::vector<EmbeddedFile>& embedded_files() {"
  echo "  static const std::vector<EmbeddedFile> files{"
  cd "$root"
  for f in runtime/nncert_kernels.h runtime/conform_main.cpp targets/*/*; do
    printf '      {"%s", R"nncert_embedded(' "$f"
    cat "$f"
    printf ')nncert_embedded"},\n'

  done
  echo "  };"
  echo "  return files;"
  echo "}"
  echo
  echo "const std::string& embedded(const std::string& path) {"
  echo "  for (const EmbeddedFile& f : embedded_files())"
  echo "    if (f.path == path) return f.text;"
  echo "  throw InternalError(\"no embedded file \" + path);"
  echo "}"
  echo
  echo "}  // namespace nncert::codegen"
} > "$out.tmp"
mv "$out.tmp" "$out"
