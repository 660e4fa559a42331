// Datasets for training, evaluation and verification: IDX (MNIST/Fashion-MNIST, gzip or raw)
// and CSV. Features are normalized to [0,1] for float networks; the raw integer values are kept
// because quantized networks take them as their exact integer input (e.g. pixels 0..255).
#pragma once

#include "certifier/core/network.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nncert {

struct Dataset {
  std::string name;
  Matrix X;                            // features x samples, normalized (pixels / 255)
  std::vector<int> labels;             // one per sample (classification); empty for regression
  Matrix targets;                      // outputs x samples (regression); empty for classification
  std::optional<Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>> raw;  // integer features
  int num_classes = 0;

  std::size_t size() const { return static_cast<std::size_t>(X.cols()); }
  std::size_t features() const { return static_cast<std::size_t>(X.rows()); }
  std::vector<std::int64_t> raw_sample(std::size_t i) const;  // throws if no integer features
};

// IDX images (idx3, ubyte) + labels (idx1, ubyte); gzip or raw, detected from the bytes.
Dataset load_idx(const std::string& images_path, const std::string& labels_path);

struct CsvOptions {
  bool header = false;                  // first row names the columns
  std::vector<std::string> features;    // column names (header) or 0-based indices; empty = all but label/targets
  std::string label;                    // label column ("" = none); default for headerless: column 0
  std::vector<std::string> targets;     // regression target columns
  double scale = 0;                     // divide features by this (0 = 255 if all features are integers in 0..255, else 1)
};
Dataset load_csv(const std::string& path, const CsvOptions& options);

// Resolves a --data argument: "fashion-mnist" (the Debian dataset; `split` = "train"|"test"),
// "fashion-mnist-train"/"fashion-mnist-test", an IDX images file (labels found by replacing
// "images" with "labels" in its name), or a .csv file (headerless label-first rows, or with a
// header when the first row is not numeric).
Dataset load_dataset(const std::string& spec, const std::string& split = "test");

// Samples first..last inclusive ("--samples A:B" on the command line, as in "images 0-99").
// Throws InputError when the range is empty or past the end.
Dataset subset(const Dataset& data, std::size_t first, std::size_t last);

// Random split by seed: returns {train, validation} with `validation_fraction` in the second.
std::pair<Dataset, Dataset> split(const Dataset& data, double validation_fraction, std::uint64_t seed);

}  // namespace nncert
