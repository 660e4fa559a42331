#include "codegen/writer.hpp"

namespace nncert::codegen {

void Writer::line(const std::string& text) {
  if (!text.empty()) out_ << std::string(static_cast<std::size_t>(indent_) * 2, ' ') << text;
  out_ << '\n';
}

void Writer::open(const std::string& head) {
  line(head + " {");
  ++indent_;
}

void Writer::close(const std::string& tail) {
  --indent_;
  line(tail);
}

void Writer::comment(const std::string& text) {
  constexpr std::size_t kWidth = 96;
  std::string rest = comment_safe(text);
  while (rest.size() > kWidth) {
    std::size_t cut = rest.rfind(' ', kWidth);
    if (cut == std::string::npos || cut == 0) cut = kWidth;
    line("// " + rest.substr(0, cut));
    rest = rest.substr(cut + (rest[cut] == ' ' ? 1 : 0));
    rest = "   " + rest;  // continuation lines are indented
  }
  line(rest.empty() ? "//" : "// " + rest);
}

void Writer::array(const std::string& type, const std::string& name, const std::vector<std::int64_t>& values,
                   std::size_t per_line, std::size_t row, const std::string& row_label) {
  open("static const " + type + " " + name + "[" + std::to_string(values.size()) + "] =");
  std::string current;
  std::size_t on_line = 0;
  auto flush = [&] {
    if (on_line) line(current);
    current.clear();
    on_line = 0;
  };
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (row && i % row == 0) {
      flush();
      line("// " + row_label + " " + std::to_string(i / row));
    } else if (on_line == per_line) {
      flush();
    }
    current += (on_line ? " " : "") + literal(values[i]) + ",";
    ++on_line;
  }
  flush();
  close("};");
}

std::string literal(std::int64_t v) {
  const bool wide = v > 2147483647LL || v < -2147483647LL;
  return std::to_string(v) + (wide ? "LL" : "");
}

std::string c_string(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += std::string("\\") + c;
    else if (c >= 0x20 && c < 0x7f)
      out += c;
    else
      out += '?';
  }
  return out;
}

std::string comment_safe(const std::string& text) {
  std::string out;
  for (char c : text) out += (c >= 0x20 && c < 0x7f && c != '\\') ? c : ' ';
  return out;
}

}  // namespace nncert::codegen
