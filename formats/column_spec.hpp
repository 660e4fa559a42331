// The column spec of a CSV regression dataset (`--columns SPEC`, TOML): which columns are the
// inputs and the targets, how each is scaled, which inputs are integer-valued, and how the rows
// split into train / validation / test. examples/manners/columns.toml documents every key.
#pragma once

#include "formats/dataset.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nncert {

// One selected column: value = raw / divide, then clamped to [clamp->first, clamp->second].
struct ColumnScaling {
  std::string column;                           // header name or 0-based index (as text)
  double divide = 1;                            // positive, finite
  std::optional<std::pair<double, double>> clamp;  // lo <= hi
  bool integer = false;                         // scaled values are integers (checked on load)
  bool binary = false;                          // scaled values are 0 or 1 (checked); implies integer

  bool identity() const { return divide == 1 && !clamp; }
};

// Part sizes: a count of rows (TOML integer) or a fraction of all rows (TOML float, rounded to
// the nearest row). An absent part takes the rows the others leave.
struct SplitPart {
  std::optional<std::size_t> count;
  std::optional<double> fraction;
  bool given() const { return count || fraction; }
};

enum class ShuffleMethod {
  None,    // file order
  Seeded,  // nncert's own seeded permutation (the one `split` in dataset.hpp uses)
  Python,  // CPython's random.seed(seed); random.shuffle, reproduced exactly
};

struct SplitSpec {
  SplitPart train, validation, test;
  ShuffleMethod shuffle = ShuffleMethod::Seeded;
  // Fixes the split whatever --seed says (a published split stays the same while --seed varies
  // the initialisation); absent = the seed load_csv_split is given.
  std::optional<std::uint64_t> seed;
};

struct ColumnSpec {
  std::string path;                  // the spec file, for messages
  std::optional<bool> header;        // absent = detected from the first row
  std::vector<std::string> drop;     // columns that must exist and are never read
  std::vector<ColumnScaling> inputs;   // in network input order; empty = every column not dropped or a target
  std::vector<ColumnScaling> targets;  // in network output order; at least one
  SplitSpec split;
};

// Parses and checks the spec; InputError(path, "line L:C", what) on bad TOML, unknown keys,
// wrong types or values (e.g. divide <= 0, clamp lo > hi, two parts both absent).
ColumnSpec load_column_spec(const std::string& path);
ColumnSpec parse_column_spec(const std::string& text, const std::string& path);

struct DataSplit {
  Dataset train, validation, test;  // validation / test may be empty (size 0)
};

// The dataset the spec describes, whole: inputs and targets scaled, integer_features set. Bad
// cells (NaN, non-numbers, ragged rows) and a missing column are InputErrors naming the CSV.
Dataset load_csv_columns(const std::string& csv_path, const ColumnSpec& spec);

// Permutes the rows (spec.split.shuffle, by spec.split.seed or else `seed`) and cuts them into
// train, validation and test in that order. InputError when the sizes do not fit the rows.
DataSplit split_rows(const Dataset& data, const SplitSpec& split, std::uint64_t seed);

// load_csv_columns + split_rows.
DataSplit load_csv_split(const std::string& csv_path, const ColumnSpec& spec, std::uint64_t seed);

std::string to_string(ShuffleMethod method);

}  // namespace nncert
