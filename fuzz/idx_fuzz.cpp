// libFuzzer target for the IDX reader. The input is two files in one: a 16-bit big-endian
// length, the images bytes, then the labels bytes, so that the fuzzer can grow either file
// (and gzip either) while keeping their counts in step. Only InputError is an expected outcome;
// anything else, or a dataset that breaks its invariants, is a finding.
#include "certifier/core/error.hpp"
#include "formats/dataset.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void check(const nncert::Dataset& d) {
  const bool ok = d.raw && d.raw->rows() == d.X.rows() && d.raw->cols() == d.X.cols() &&
                  d.labels.size() == d.size() && d.size() > 0 && d.features() > 0 && d.num_classes <= 256 &&
                  std::all_of(d.labels.begin(), d.labels.end(), [&](int l) { return l >= 0 && l < d.num_classes; }) &&
                  d.raw->minCoeff() >= 0 && d.raw->maxCoeff() <= 255 && d.X.minCoeff() >= 0 && d.X.maxCoeff() <= 1;
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t images_size = std::min<std::size_t>((std::size_t{data[0]} << 8) | data[1], size - 2);
  const char* bytes = reinterpret_cast<const char*>(data) + 2;
  const std::string images(bytes, images_size);
  const std::string labels(bytes + images_size, size - 2 - images_size);
  try {
    check(nncert::parse_idx(images, labels, "fuzz-images", "fuzz-labels"));
  } catch (const nncert::InputError&) {
  }
  return 0;
}
