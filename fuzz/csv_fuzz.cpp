// libFuzzer target for the CSV reader. The first byte picks the options (header, selected
// feature/label/target columns by name or index, scale) so that column resolution is fuzzed
// along with the text. Only InputError is an expected outcome; anything else, or a dataset that
// breaks its invariants, is a finding.
#include "certifier/core/error.hpp"
#include "formats/dataset.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

nncert::CsvOptions options_from(std::uint8_t bits) {
  nncert::CsvOptions o;
  o.header = bits & 1;
  if (bits & 2) o.targets = {bits & 16 ? "y" : "1"};
  if (bits & 4) o.features = {bits & 16 ? "a" : "0", "2"};
  if (bits & 8) o.label = bits & 16 ? "label" : "3";
  if (bits & 32) o.scale = 0.5;
  return o;
}

void check(const nncert::Dataset& d) {
  const auto n = static_cast<Eigen::Index>(d.size());
  bool ok = d.size() > 0 && d.features() > 0 && d.X.allFinite();
  ok = ok && (d.labels.empty() || d.labels.size() == d.size());
  ok = ok && (d.targets.size() == 0 || (d.targets.cols() == n && d.targets.allFinite()));
  ok = ok && (!d.raw || (d.raw->rows() == d.X.rows() && d.raw->cols() == n));
  ok = ok && std::all_of(d.labels.begin(), d.labels.end(), [&](int l) { return l >= 0 && l < d.num_classes; });
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  (void)nncert::csv_has_header(text);
  try {
    check(nncert::parse_csv(text, options_from(data[0]), "fuzz.csv"));
  } catch (const nncert::InputError&) {
  }
  return 0;
}
