#include "formats/column_spec.hpp"

#include "certifier/core/error.hpp"
#include "formats/atomic_file.hpp"
#include "formats/python_random.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <numeric>
#include <sstream>

namespace nncert {

namespace {

// A spec is a few hundred bytes; anything this large is not one.
constexpr std::size_t kMaxSpecBytes = std::size_t{1} << 20;

std::string at(const toml::source_region& r) {
  return "line " + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

// Reads one spec file; every error names the file and the TOML node it is about.
class SpecReader {
 public:
  explicit SpecReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& what) const {
    throw InputError(path_, at(where), what);
  }

  void check_keys(const toml::table& t, std::initializer_list<const char*> allowed, const std::string& what) const {
    for (const auto& [key, value] : t) {
      if (std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key.str() == a; })) continue;
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      fail(key.source(), "unknown key \"" + std::string(key.str()) + "\" in " + what + " (expected one of: " + list + ")");
    }
  }

  double number(const toml::node& n, const std::string& what) const {
    if (const auto v = n.value<double>(); v && std::isfinite(*v)) return *v;
    fail(n.source(), "expected a finite number for " + what);
  }

  bool boolean(const toml::node& n, const std::string& what) const {
    if (const auto* b = n.as_boolean()) return b->get();
    fail(n.source(), "expected true or false for " + what);
  }

  std::uint64_t natural(const toml::node& n, const std::string& what) const {
    if (const auto* i = n.as_integer(); i && i->get() >= 0) return static_cast<std::uint64_t>(i->get());
    fail(n.source(), "expected a non-negative integer for " + what);
  }

  // A column by header name (string) or 0-based index (integer).
  std::string column(const toml::node& n) const {
    if (const auto* s = n.as_string(); s && !s->get().empty()) return s->get();
    if (const auto* i = n.as_integer(); i && i->get() >= 0) return std::to_string(i->get());
    fail(n.source(), "expected a column: a header name (string) or a 0-based index (integer)");
  }

  const toml::array& array(const toml::node& n, const std::string& what) const {
    if (const auto* a = n.as_array()) return *a;
    fail(n.source(), "expected an array for " + what);
  }

  ColumnScaling scaling(const toml::node& n) const {
    ColumnScaling c;
    const auto* t = n.as_table();
    if (!t) {
      c.column = column(n);
      return c;
    }
    check_keys(*t, {"column", "divide", "clamp", "integer", "binary"}, "a column entry");
    const toml::node* col = t->get("column");
    if (!col) fail(n.source(), "expected a \"column\" key naming the column");
    c.column = column(*col);
    if (const toml::node* d = t->get("divide")) {
      c.divide = number(*d, "divide");
      if (!(c.divide > 0)) fail(d->source(), "expected a positive divisor");
    }
    if (const toml::node* cl = t->get("clamp")) {
      const toml::array& a = array(*cl, "clamp");
      if (a.size() != 2) fail(cl->source(), "expected clamp = [lo, hi]");
      c.clamp.emplace(number(a[0], "clamp lo"), number(a[1], "clamp hi"));
      if (c.clamp->first > c.clamp->second) fail(cl->source(), "expected lo <= hi in clamp = [lo, hi]");
    }
    if (const toml::node* i = t->get("integer")) c.integer = boolean(*i, "integer");
    if (const toml::node* b = t->get("binary")) c.binary = boolean(*b, "binary");
    c.integer = c.integer || c.binary;
    return c;
  }

  std::vector<ColumnScaling> scalings(const toml::node& n, const std::string& what) const {
    std::vector<ColumnScaling> out;
    for (const toml::node& e : array(n, what)) out.push_back(scaling(e));
    return out;
  }

  SplitPart part(const toml::node& n, const std::string& what) const {
    if (n.is_integer()) return {natural(n, what + " (a row count)"), std::nullopt};
    const double f = number(n, what);
    if (!(f >= 0 && f <= 1)) fail(n.source(), "expected a fraction in [0, 1] (or an integer row count) for " + what);
    return {std::nullopt, f};
  }

  SplitSpec split(const toml::table& t) const {
    check_keys(t, {"train", "validation", "test", "shuffle", "seed"}, "[split]");
    SplitSpec s;
    if (const toml::node* n = t.get("train")) s.train = part(*n, "train");
    if (const toml::node* n = t.get("validation")) s.validation = part(*n, "validation");
    if (const toml::node* n = t.get("test")) s.test = part(*n, "test");
    if (int{!s.train.given()} + int{!s.validation.given()} + int{!s.test.given()} > 1)
      fail(t.source(), "expected at least two of train, validation, test (an absent one takes the rest)");
    if (const toml::node* n = t.get("shuffle")) {
      const auto* m = n->as_string();
      const std::string v = m ? m->get() : "";
      if (v == "none") s.shuffle = ShuffleMethod::None;
      else if (v == "seeded") s.shuffle = ShuffleMethod::Seeded;
      else if (v == "python") s.shuffle = ShuffleMethod::Python;
      else fail(n->source(), "expected shuffle = \"none\", \"seeded\" or \"python\"");
    }
    if (const toml::node* n = t.get("seed")) s.seed = natural(*n, "seed");
    return s;
  }

  ColumnSpec spec(const toml::table& root) const {
    check_keys(root, {"header", "drop", "inputs", "targets", "split"}, "the spec");
    ColumnSpec spec;
    spec.path = path_;
    if (const toml::node* n = root.get("header")) spec.header = boolean(*n, "header");
    if (const toml::node* n = root.get("drop"))
      for (const toml::node& e : array(*n, "drop")) spec.drop.push_back(column(e));
    if (const toml::node* n = root.get("inputs")) {
      spec.inputs = scalings(*n, "inputs");
      if (spec.inputs.empty()) fail(n->source(), "expected at least one input column (or no inputs key: all the others)");
    }
    const toml::node* targets = root.get("targets");
    if (!targets) fail(root.source(), "expected a \"targets\" array naming the regression target columns");
    spec.targets = scalings(*targets, "targets");
    if (spec.targets.empty()) fail(targets->source(), "expected at least one target column");
    if (const toml::node* n = root.get("split")) {
      const auto* t = n->as_table();
      if (!t) fail(n->source(), "expected a [split] table");
      spec.split = split(*t);
    } else {
      spec.split.validation.count = 0;  // no split: every row trains
      spec.split.test.count = 0;
      spec.split.shuffle = ShuffleMethod::None;
    }
    return spec;
  }

 private:
  std::string path_;
};

// Applies each column's divide/clamp to the matching row of `m` (features or targets x samples)
// and checks the integer/binary declarations on the scaled values.
void scale_rows(Matrix& m, const std::vector<ColumnScaling>& cols, const std::string& file, std::size_t first_line) {
  for (std::size_t r = 0; r < cols.size(); ++r) {
    const ColumnScaling& c = cols[r];
    auto row = m.row(static_cast<Eigen::Index>(r));
    row /= c.divide;
    if (c.clamp) row = row.cwiseMax(c.clamp->first).cwiseMin(c.clamp->second);
    if (!c.integer) continue;
    for (Eigen::Index i = 0; i < row.size(); ++i) {
      const double v = row[i];
      if (c.binary ? (v == 0 || v == 1) : v == std::floor(v)) continue;
      std::ostringstream value;
      value << v;
      throw InputError(file, "line " + std::to_string(first_line + static_cast<std::size_t>(i)),
                       "expected " + std::string(c.binary ? "0 or 1" : "an integer") + " in column \"" + c.column +
                           "\" (declared " + (c.binary ? "binary" : "integer") + "), found " + value.str() +
                           " after scaling");
    }
  }
}

std::vector<std::string> column_names(const std::vector<ColumnScaling>& cols) {
  std::vector<std::string> names;
  for (const ColumnScaling& c : cols) names.push_back(c.column);
  return names;
}

std::size_t part_rows(const SplitPart& p, std::size_t n) {
  return p.count ? *p.count : static_cast<std::size_t>(std::llround(*p.fraction * static_cast<double>(n)));
}

// Rows per part, in the order train, validation, test.
std::array<std::size_t, 3> part_sizes(const SplitSpec& s, std::size_t n, const std::string& data_name) {
  std::array<SplitPart, 3> parts{s.train, s.validation, s.test};
  // Three fractions round independently: they must add up to 1, and train takes what the
  // rounding of the other two leaves.
  if (s.train.fraction && s.validation.fraction && s.test.fraction) {
    if (std::fabs(*s.train.fraction + *s.validation.fraction + *s.test.fraction - 1) > 1e-9)
      throw InputError(data_name, "split", "expected the train, validation and test fractions to add up to 1");
    parts[0] = {};
  }
  std::array<std::size_t, 3> rows{};
  std::size_t given = 0, absent = parts.size();
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (!parts[k].given()) {
      absent = k;
      continue;
    }
    rows[k] = part_rows(parts[k], n);
    given += rows[k];
  }
  if (given > n || (absent == parts.size() && given != n))
    throw InputError(data_name, "split",
                     "expected train + validation + test to be the " + std::to_string(n) +
                         " rows of the data, the column spec asks for " + std::to_string(rows[0]) + " + " +
                         std::to_string(rows[1]) + " + " + std::to_string(rows[2]) +
                         (absent == parts.size() ? "" : " (the absent part taking the rest)"));
  if (absent != parts.size()) rows[absent] = n - given;
  if (rows[0] == 0)
    throw InputError(data_name, "split", "expected at least one training row, " + std::to_string(n) + " rows in all");
  return rows;
}

}  // namespace

std::string to_string(ShuffleMethod method) {
  switch (method) {
    case ShuffleMethod::None: return "none";
    case ShuffleMethod::Seeded: return "seeded";
    case ShuffleMethod::Python: return "python";
  }
  return "?";
}

ColumnSpec parse_column_spec(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, at(e.source()), std::string(e.description()));
  }
  return SpecReader(path).spec(root);
}

ColumnSpec load_column_spec(const std::string& path) { return parse_column_spec(read_file(path, kMaxSpecBytes), path); }

Dataset load_csv_columns(const std::string& csv_path, const ColumnSpec& spec) {
  const std::string text = read_file(csv_path);
  CsvOptions options;
  options.header = spec.header ? *spec.header : csv_has_header(text);
  options.features = column_names(spec.inputs);
  options.targets = column_names(spec.targets);
  options.ignore = spec.drop;
  options.scale = 1;  // each column is scaled by its own entry below
  Dataset d = parse_csv(text, options, csv_path);
  const std::size_t first_line = options.header ? 2 : 1;
  scale_rows(d.X, spec.inputs, csv_path, first_line);
  scale_rows(d.targets, spec.targets, csv_path, first_line);
  // The integer copy serves quantized inputs; it only matches X when no column was rescaled.
  if (!std::all_of(spec.inputs.begin(), spec.inputs.end(), [](const ColumnScaling& c) { return c.identity(); }))
    d.raw.reset();
  d.integer_features.assign(d.features(), false);
  for (std::size_t k = 0; k < spec.inputs.size(); ++k) d.integer_features[k] = spec.inputs[k].integer;
  return d;
}

DataSplit split_rows(const Dataset& data, const SplitSpec& split, std::uint64_t seed) {
  const std::size_t n = data.size();
  const auto rows = part_sizes(split, n, data.name);
  const std::uint64_t s = split.seed ? *split.seed : seed;
  std::vector<std::size_t> order;
  switch (split.shuffle) {
    case ShuffleMethod::None:
      order.resize(n);
      std::iota(order.begin(), order.end(), std::size_t{0});
      break;
    case ShuffleMethod::Seeded: order = shuffled_indices(n, s); break;
    case ShuffleMethod::Python: order = python_shuffled_indices(n, s); break;
  }
  const auto part = [&](std::size_t first, std::size_t count) {
    const auto begin = order.begin() + static_cast<std::ptrdiff_t>(first);
    return select(data, std::vector<std::size_t>(begin, begin + static_cast<std::ptrdiff_t>(count)));
  };
  return {part(0, rows[0]), part(rows[0], rows[1]), part(rows[0] + rows[1], rows[2])};
}

DataSplit load_csv_split(const std::string& csv_path, const ColumnSpec& spec, std::uint64_t seed) {
  return split_rows(load_csv_columns(csv_path, spec), spec.split, seed);
}

}  // namespace nncert
