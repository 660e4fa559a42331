// Datasets for training, evaluation and verification: IDX (MNIST/Fashion-MNIST, gzip or raw)
// and CSV. Features are normalized to [0,1] for float networks; the raw integer values are kept
// because quantized networks take them as their exact integer input (e.g. pixels 0..255).
//
// Every reader validates before it allocates (sizes against the data length, bounded row,
// column and decompressed-byte counts) and reports bad input as one InputError line naming the
// file, the position (byte offset for IDX, line:column for CSV) and what was expected.
#pragma once

#include "certifier/core/network.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nncert {

struct Dataset {
  std::string name;
  Matrix X;                            // features x samples, normalized (pixels / 255)
  std::vector<int> labels;             // one per sample (classification); empty for regression
  Matrix targets;                      // outputs x samples (regression); empty for classification
  std::optional<Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>> raw;  // integer features
  int num_classes = 0;                 // max label + 1 (0 for regression)
  // One flag per feature (or empty: none declared): true when the feature only takes integer
  // values, e.g. the 0/1 scene flags of MANNERS-DB, which a MILP must keep integer.
  std::vector<bool> integer_features;

  std::size_t size() const { return static_cast<std::size_t>(X.cols()); }
  std::size_t features() const { return static_cast<std::size_t>(X.rows()); }
  // Throws InputError when the dataset has no integer features, InternalError when i >= size().
  std::vector<std::int64_t> raw_sample(std::size_t i) const;
};

// IDX images (magic 0x00000803: unsigned bytes, 3 dimensions) + labels (0x00000801); gzip or
// raw, detected from the bytes. Decompression stops as soon as the output exceeds what the IDX
// header promises, and no header may promise more than 1 GiB of pixels.
Dataset load_idx(const std::string& images_path, const std::string& labels_path);
// The same from bytes already in memory (the fuzzers' entry point); names are used in errors.
Dataset parse_idx(const std::string& image_bytes, const std::string& label_bytes, const std::string& images_name,
                  const std::string& labels_name);

struct CsvOptions {
  bool header = false;                  // first row names the columns
  std::vector<std::string> features;    // column names (header) or 0-based indices; empty = all but label/targets/ignore
  // Label column, name or index. "" picks the default when `targets` is empty: the column named
  // "label" if the header has one, else column 0. With targets the default is no label.
  std::string label;
  std::vector<std::string> targets;     // regression target columns (names or indices)
  double scale = 0;                     // divide features by this (0 = 255 if all features are integers in 0..255, else 1)
  std::vector<std::string> ignore;      // columns that must exist but are never read
};
// Cells are comma-separated numbers (std::from_chars syntax, optionally double-quoted and
// space-padded); NaN/Inf, ragged rows and an empty file are errors. At most 10^7 rows,
// 10^5 columns and 10^8 selected cells; labels are integers in 0..99999.
Dataset load_csv(const std::string& path, const CsvOptions& options);
Dataset parse_csv(const std::string& text, const CsvOptions& options, const std::string& name);

// True when the first row of `text` has a cell that is not a number, i.e. it names columns.
bool csv_has_header(const std::string& text);

// Resolves a --data argument: "fashion-mnist" (the Debian dataset; `split` = "train"|"test"),
// "fashion-mnist-train"/"fashion-mnist-test", a .csv file (headerless label-first rows, or with
// a header when the first row is not numeric), or an IDX images file (labels found by replacing
// "images" with "labels" and "idx3" with "idx1" in its file name).
Dataset load_dataset(const std::string& spec, const std::string& split = "test");

// Samples first..last inclusive ("--samples A:B" on the command line, as in "images 0-99").
// Throws InputError when the range is empty or past the end.
Dataset subset(const Dataset& data, std::size_t first, std::size_t last);

// The samples idx[0], idx[1], ... in that order (indices must be below size()).
Dataset select(const Dataset& data, const std::vector<std::size_t>& idx);

// nncert's seeded permutation of 0..n-1 (Fisher-Yates over raw mt19937_64 output, so a seed
// names the same order on every platform).
std::vector<std::size_t> shuffled_indices(std::size_t n, std::uint64_t seed);

// Random split by seed: returns {train, validation} with round(validation_fraction * size)
// samples in the second (fraction in [0,1), train never empty). Both parts keep the original
// sample order; the choice is the same for a given seed on every platform.
std::pair<Dataset, Dataset> split(const Dataset& data, double validation_fraction, std::uint64_t seed);

}  // namespace nncert
