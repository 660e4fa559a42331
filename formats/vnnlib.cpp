#include "formats/vnnlib.hpp"

#include "certifier/core/error.hpp"
#include "formats/atomic_file.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>

namespace nncert {

namespace {

struct Node {
  std::string atom;  // empty for a list
  std::vector<Node> list;
  bool is_list = false;
  int line = 0, col = 0;
  std::string pos() const { return "line " + std::to_string(line) + ":" + std::to_string(col); }
};

constexpr int kMaxDepth = 256;          // nesting beyond this is not a property anyone writes
constexpr std::size_t kMaxTerms = 200000;  // DNF size guard (and/or products can explode)

class Reader {
 public:
  Reader(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  std::vector<Node> read_all() {
    std::vector<Node> top;
    for (;;) {
      skip();
      if (i_ >= s_.size()) return top;
      top.push_back(read(0));
    }
  }

 private:
  [[noreturn]] void fail(int line, int col, const std::string& what) const {
    throw InputError(name_, "line " + std::to_string(line) + ":" + std::to_string(col), what);
  }
  void advance() {
    if (s_[i_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++i_;
  }
  void skip() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ';') {
        while (i_ < s_.size() && s_[i_] != '\n') advance();
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance();
      } else {
        return;
      }
    }
  }
  Node read(int depth) {
    if (depth > kMaxDepth) fail(line_, col_, "nesting deeper than " + std::to_string(kMaxDepth));
    Node n;
    n.line = line_;
    n.col = col_;
    if (s_[i_] == ')') fail(line_, col_, "unexpected ')'");
    if (s_[i_] == '(') {
      n.is_list = true;
      advance();
      for (;;) {
        skip();
        if (i_ >= s_.size()) fail(n.line, n.col, "'(' is never closed");
        if (s_[i_] == ')') {
          advance();
          return n;
        }
        n.list.push_back(read(depth + 1));
      }
    }
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '(' || c == ')' || c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r') break;
      if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126)
        fail(line_, col_, "unexpected character (code " + std::to_string(static_cast<unsigned char>(c)) + ")");
      n.atom.push_back(c);
      advance();
    }
    return n;
  }

  const std::string& s_;
  const std::string& name_;
  std::size_t i_ = 0;
  int line_ = 1, col_ = 1;
};

// The four kinds of variable: X_i, Y_i and the second copy's Xp_i, Yp_i.
enum VarKind : std::size_t { kX, kY, kXp, kYp, kKinds };
constexpr const char* kPrefix[kKinds] = {"X_", "Y_", "Xp_", "Yp_"};

struct VarName {
  VarKind kind;
  std::size_t index;
  bool input() const { return kind == kX || kind == kXp; }
};

struct Linear {
  std::map<std::size_t, double> v[kKinds];
  double c = 0;
  Linear& add(const Linear& o, double k) {
    for (std::size_t kind = 0; kind < kKinds; ++kind)
      for (auto [i, coef] : o.v[kind]) v[kind][i] += k * coef;
    c += k * o.c;
    return *this;
  }
  bool constant() const {
    for (const auto& m : v)
      if (!m.empty()) return false;
    return true;
  }
};

using Dnf = std::vector<std::vector<VnnlibAtom>>;

class Parser {
 public:
  Parser(std::string name, std::size_t ni, std::size_t no) : name_(std::move(name)), exp_in_(ni), exp_out_(no) {}

  VnnlibSpec parse(const std::vector<Node>& top) {
    Dnf all{{}};  // conjunction of asserts: start with "true"
    bool any_assert = false;
    for (const Node& n : top) {
      if (!n.is_list || n.list.empty() || n.list[0].is_list)
        fail(n, "expected (declare-const ...) or (assert ...)");
      const std::string& head = n.list[0].atom;
      if (head == "declare-const") {
        declare(n);
      } else if (head == "assert") {
        if (n.list.size() != 2) fail(n, "assert takes exactly one formula, got " + std::to_string(n.list.size() - 1));
        all = conj(all, formula(n.list[1]), n);
        any_assert = true;
      } else if (head == "check-sat" || head == "set-logic" || head == "get-model" || head == "exit" ||
                 head == "set-info" || head == "set-option") {
        // Harmless SMT-LIB commands some generators emit; they do not change the property.
      } else {
        fail(n.list[0], "unsupported command '" + head + "' (expected declare-const or assert)");
      }
    }
    if (!any_assert) throw InputError(name_, "end of file", "no assert: the property is empty");
    VnnlibSpec spec;
    spec.num_inputs = exp_in_ ? exp_in_ : num_x_;
    spec.num_outputs = exp_out_ ? exp_out_ : num_y_;
    spec.copies = second_copy_ ? 2 : 1;
    if (!integer_.empty()) {
      spec.integer_x.assign(spec.num_inputs, false);
      if (second_copy_) spec.integer_xp.assign(spec.num_inputs, false);
      for (const VarName& v : integer_) (v.kind == kX ? spec.integer_x : spec.integer_xp)[v.index] = true;
    }
    spec.terms = std::move(all);
    return spec;
  }

 private:
  [[noreturn]] void fail(const Node& n, const std::string& what) const { throw InputError(name_, n.pos(), what); }

  void declare(const Node& n) {
    if (n.list.size() != 3 || n.list[1].is_list || n.list[2].is_list)
      fail(n, "expected (declare-const X_i Real) or (declare-const Y_i Real)");
    const VarName v = variable_name(n.list[1]);
    const std::string& name = n.list[1].atom;
    const std::string& sort = n.list[2].atom;
    if (sort != "Real" && !(sort == "Int" && v.input()))
      fail(n.list[2], v.input() ? "expected the sort Real or Int, got '" + sort + "'"
                                : "outputs are Real, got '" + sort + "'");
    if (declared_.count(name)) fail(n.list[1], "'" + name + "' is declared twice");
    declared_.insert({name, true});
    if (sort == "Int") integer_.push_back(v);
    if (v.kind == kXp || v.kind == kYp) second_copy_ = true;
    if (v.input()) {
      if (exp_in_ && v.index >= exp_in_)
        fail(n.list[1], "'" + name + "' is beyond the network's " + std::to_string(exp_in_) + " inputs");
      num_x_ = std::max(num_x_, v.index + 1);
    } else {
      if (exp_out_ && v.index >= exp_out_)
        fail(n.list[1], "'" + name + "' is beyond the network's " + std::to_string(exp_out_) + " outputs");
      num_y_ = std::max(num_y_, v.index + 1);
    }
  }

  // X_<i>, Y_<i>, Xp_<i> or Yp_<i>.
  static std::optional<VarName> parse_variable(const std::string& a) {
    for (std::size_t kind = 0; kind < kKinds; ++kind) {
      const std::string prefix = kPrefix[kind];
      if (a.size() <= prefix.size() || a.compare(0, prefix.size(), prefix) != 0) continue;
      std::size_t index = 0;
      const auto [end, ec] = std::from_chars(a.data() + prefix.size(), a.data() + a.size(), index);
      if (ec != std::errc() || end != a.data() + a.size() || index > 100000000) return std::nullopt;
      return VarName{static_cast<VarKind>(kind), index};
    }
    return std::nullopt;
  }

  VarName variable_name(const Node& n) const {
    if (auto v = parse_variable(n.atom)) return *v;
    fail(n, "unsupported variable name '" + n.atom + "' (expected X_<i>, Y_<i>, or Xp_<i>, Yp_<i> for a second copy)");
  }

  static std::optional<double> number(const std::string& a) {
    if (a.empty()) return std::nullopt;
    const char c = a[0];
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.')) return std::nullopt;
    double v = 0;
    const char* b = a.data();
    if (*b == '+') ++b;
    const auto [end, ec] = std::from_chars(b, a.data() + a.size(), v);
    if (ec == std::errc::result_out_of_range) return std::numeric_limits<double>::infinity();
    if (ec != std::errc() || end != a.data() + a.size()) return std::nullopt;
    return v;
  }

  Linear term(const Node& n) const {
    Linear r;
    if (!n.is_list) {
      if (auto v = number(n.atom)) {
        if (!std::isfinite(*v)) fail(n, "number '" + n.atom + "' is not finite");
        r.c = *v;
        return r;
      }
      std::string lower;
      for (char ch : n.atom) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
      if (lower == "nan" || lower == "inf" || lower == "-inf" || lower == "+inf" || lower == "infinity" ||
          lower == "-nan" || lower == "-infinity")
        fail(n, "number '" + n.atom + "' is not finite");
      if (!declared_.count(n.atom)) {
        if (parse_variable(n.atom)) fail(n, "unknown variable '" + n.atom + "' (not declared with declare-const)");
        fail(n, "unknown symbol '" + n.atom + "' (expected a number or a declared X_i/Y_i)");
      }
      const VarName v = variable_name(n);
      r.v[v.kind][v.index] = 1.0;
      return r;
    }
    if (n.list.empty() || n.list[0].is_list) fail(n, "expected an operator after '('");
    const std::string& op = n.list[0].atom;
    const std::size_t argc = n.list.size() - 1;
    if (op == "+") {
      if (argc < 1) fail(n, "'+' needs at least one argument");
      for (std::size_t i = 1; i < n.list.size(); ++i) r.add(term(n.list[i]), 1.0);
      return r;
    }
    if (op == "-") {
      if (argc < 1) fail(n, "'-' needs at least one argument");
      if (argc == 1) return r.add(term(n.list[1]), -1.0);
      r = term(n.list[1]);
      for (std::size_t i = 2; i < n.list.size(); ++i) r.add(term(n.list[i]), -1.0);
      return r;
    }
    if (op == "*") {
      if (argc < 2) fail(n, "'*' needs at least two arguments");
      r.c = 1.0;
      bool have_var = false;
      for (std::size_t i = 1; i < n.list.size(); ++i) {
        Linear t = term(n.list[i]);
        if (t.constant()) {
          Linear s;
          r = s.add(r, t.c);
        } else {
          if (have_var || !r.constant()) fail(n.list[i], "non-linear product: only constants times one term are supported");
          have_var = true;
          Linear s;
          r = s.add(t, r.c);
        }
      }
      if (!std::isfinite(r.c)) fail(n, "product overflows");
      return r;
    }
    if (op == "<=" || op == ">=" || op == "<" || op == ">" || op == "and" || op == "or" || op == "=")
      fail(n, "'" + op + "' is a formula, expected a term");
    fail(n.list[0], "unsupported operator '" + op + "'");
  }

  VnnlibAtom atom(const Linear& lhs_minus_rhs, const Node& n) const {
    VnnlibAtom a;
    std::vector<std::pair<std::size_t, double>>* out[kKinds] = {&a.x_terms, &a.y_terms, &a.xp_terms, &a.yp_terms};
    for (std::size_t kind = 0; kind < kKinds; ++kind)
      for (auto [i, v] : lhs_minus_rhs.v[kind]) {
        if (!std::isfinite(v)) fail(n, "coefficient is not finite");
        if (v != 0) out[kind]->push_back({i, v});
      }
    a.rhs = -lhs_minus_rhs.c;
    if (!std::isfinite(a.rhs)) fail(n, "constant is not finite");
    a.position = std::to_string(n.line) + ":" + std::to_string(n.col);
    return a;
  }

  Dnf conj(const Dnf& a, const Dnf& b, const Node& where) const {
    if (a.size() * b.size() > kMaxTerms)
      fail(where, "the property expands to more than " + std::to_string(kMaxTerms) + " cases");
    Dnf r;
    r.reserve(a.size() * b.size());
    for (const auto& ta : a)
      for (const auto& tb : b) {
        auto t = ta;
        t.insert(t.end(), tb.begin(), tb.end());
        r.push_back(std::move(t));
      }
    return r;
  }

  Dnf formula(const Node& n) const {
    if (!n.is_list) {
      if (n.atom == "true") return Dnf{{}};
      if (n.atom == "false") return Dnf{};
      fail(n, "expected a formula such as (<= a b), (and ...), (or ...); got '" + n.atom + "'");
    }
    if (n.list.empty() || n.list[0].is_list) fail(n, "expected an operator after '('");
    const std::string& op = n.list[0].atom;
    const std::size_t argc = n.list.size() - 1;
    if (op == "and") {
      if (argc < 1) fail(n, "'and' needs at least one argument");
      Dnf r{{}};
      for (std::size_t i = 1; i < n.list.size(); ++i) r = conj(r, formula(n.list[i]), n);
      return r;
    }
    if (op == "or") {
      if (argc < 1) fail(n, "'or' needs at least one argument");
      Dnf r;
      for (std::size_t i = 1; i < n.list.size(); ++i) {
        Dnf f = formula(n.list[i]);
        if (r.size() + f.size() > kMaxTerms)
          fail(n, "the property expands to more than " + std::to_string(kMaxTerms) + " cases");
        r.insert(r.end(), f.begin(), f.end());
      }
      return r;
    }
    if (op == "<=" || op == ">=" || op == "<" || op == ">") {
      if (argc < 2) fail(n, "'" + op + "' needs at least two arguments, got " + std::to_string(argc));
      std::vector<VnnlibAtom> t;
      for (std::size_t i = 1; i + 1 < n.list.size(); ++i) {
        Linear d = term(n.list[i]);
        const Linear rhs = term(n.list[i + 1]);
        d.add(rhs, -1.0);  // lhs - rhs
        if (op == ">=" || op == ">") {
          Linear neg;
          d = neg.add(d, -1.0);
        }
        t.push_back(atom(d, n));
      }
      return Dnf{t};
    }
    if (op == "=" || op == "not" || op == "=>" || op == "distinct" || op == "ite")
      fail(n.list[0], "unsupported operator '" + op + "' (the VNN-LIB subset has and, or, <=, >=)");
    fail(n.list[0], "unsupported operator '" + op + "'");
  }

  std::string name_;
  std::size_t exp_in_, exp_out_;
  std::size_t num_x_ = 0, num_y_ = 0;
  bool second_copy_ = false;
  std::vector<VarName> integer_;
  std::map<std::string, bool> declared_;
};

}  // namespace

bool VnnlibSpec::has_integer_inputs() const {
  for (bool b : integer_x)
    if (b) return true;
  for (bool b : integer_xp)
    if (b) return true;
  return false;
}

VnnlibSpec parse_vnnlib(const std::string& text, const std::string& name, std::size_t expected_inputs,
                        std::size_t expected_outputs) {
  Reader reader(text, name);
  const std::vector<Node> top = reader.read_all();
  return Parser(name, expected_inputs, expected_outputs).parse(top);
}

VnnlibSpec load_vnnlib(const std::string& path, std::size_t expected_inputs, std::size_t expected_outputs) {
  return parse_vnnlib(read_file(path, std::size_t{1} << 28), path, expected_inputs, expected_outputs);
}

std::string format_vnn_result(VnnResult result, const Vector* x, const Vector* y) {
  switch (result) {
    case VnnResult::Unsat: return "unsat\n";
    case VnnResult::Timeout: return "timeout\n";
    case VnnResult::Unknown: return "unknown\n";
    case VnnResult::Error: return "error\n";
    case VnnResult::Sat: break;
  }
  std::ostringstream s;
  s << "sat\n(";
  char buf[64];
  auto put = [&](const char* name, const Vector* v) {
    if (!v) return;
    for (Eigen::Index i = 0; i < v->size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.17g", (*v)[i]);
      s << (s.tellp() > 5 ? "\n " : "") << "(" << name << "_" << i << " " << buf << ")";
    }
  };
  put("X", x);
  put("Y", y);
  s << ")\n";
  return s.str();
}

}  // namespace nncert
