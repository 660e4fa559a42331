// The one small text writer every emitter uses (STYLE: "one small writer that handles
// indentation and names"), so the generated code has a single, consistent layout.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace nncert::codegen {

class Writer {
 public:
  void line(const std::string& text = "");
  void open(const std::string& head);                 // "head {" and indent
  void close(const std::string& tail = "}");          // dedent and "tail"
  void comment(const std::string& text);              // "// text", wrapped at ~100 columns
  // `static const <type> <name>[n] = { ... };` with `per_line` values per row; `row_label`
  // non-empty puts a "// <row_label> j" comment before every `row` values.
  void array(const std::string& type, const std::string& name, const std::vector<std::int64_t>& values,
             std::size_t per_line = 16, std::size_t row = 0, const std::string& row_label = "");
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
  int indent_ = 0;
};

// A C integer literal that means `v` in any C++11 compiler (LL suffix beyond 32 bits).
std::string literal(std::int64_t v);
// Escapes text for a C string literal / makes it safe inside a // comment (one line, ASCII).
std::string c_string(const std::string& text);
std::string comment_safe(const std::string& text);

}  // namespace nncert::codegen
