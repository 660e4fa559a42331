#include "formats/sample_selection.hpp"

#include "certifier/core/error.hpp"
#include "formats/column_spec.hpp"

#include <charconv>
#include <string_view>

namespace nncert {

std::pair<std::size_t, std::size_t> parse_sample_range(const std::string& spec) {
  auto number = [&](std::string_view s) {
    std::size_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
      throw InputError("--samples", "'" + spec + "'", "expected A:B with non-negative integers A <= B");
    return v;
  };
  const auto colon = spec.find(':');
  const std::size_t a = number(std::string_view(spec).substr(0, colon));
  const std::size_t b = colon == std::string::npos ? a : number(std::string_view(spec).substr(colon + 1));
  if (b < a) throw InputError("--samples", "'" + spec + "'", "expected A <= B");
  return {a, b};
}

Shard parse_shard(const std::string& spec) {
  if (spec.empty()) return {};
  const auto bad = [&] { return InputError("--shard", "'" + spec + "'", "expected K/N with integers 1 <= K <= N"); };
  const auto slash = spec.find('/');
  if (slash == std::string::npos) throw bad();
  std::size_t k = 0, n = 0;
  const std::string_view a = std::string_view(spec).substr(0, slash), b = std::string_view(spec).substr(slash + 1);
  const auto ra = std::from_chars(a.data(), a.data() + a.size(), k);
  const auto rb = std::from_chars(b.data(), b.data() + b.size(), n);
  if (a.empty() || b.empty() || ra.ec != std::errc() || rb.ec != std::errc() || ra.ptr != a.data() + a.size() ||
      rb.ptr != b.data() + b.size() || k < 1 || k > n)
    throw bad();
  return {k - 1, n};
}

namespace {

Dataset column_spec_test_part(const std::string& csv, const std::string& columns, std::uint64_t seed) {
  Dataset test = load_csv_split(csv, load_column_spec(columns), seed).test;
  if (test.size() == 0) throw InputError(columns, "[split]", "expected a test part (test = a count or a fraction)");
  return test;
}

}  // namespace

SampleSelection select_range(Dataset data, const std::string& samples) {
  SampleSelection s{std::move(data), 0};
  if (samples.empty()) return s;
  const auto [a, b] = parse_sample_range(samples);
  if (b >= s.data.size())
    throw InputError("--samples", "'" + samples + "'",
                     "sample " + std::to_string(b) + " is out of range: " + s.data.name + " has " +
                         std::to_string(s.data.size()) + " samples");
  s.data = subset(s.data, a, b);
  s.first = a;
  return s;
}

SampleSelection select_samples(const std::string& data_spec, const std::string& samples, std::size_t inputs,
                               const std::string& columns, std::uint64_t seed) {
  SampleSelection s = select_range(
      columns.empty() ? load_dataset(data_spec, "test") : column_spec_test_part(data_spec, columns, seed), samples);
  if (s.data.features() != inputs)
    throw InputError(s.data.name, "features",
                     "has " + std::to_string(s.data.features()) + " features, the model expects " + std::to_string(inputs));
  return s;
}

void require_on_input_grid(const QNetwork& net, const Dataset& data, std::size_t i, std::size_t id) {
  const auto x = data.raw_sample(i);
  for (std::size_t k = 0; k < x.size(); ++k)
    if (x[k] < net.cx.lo() || x[k] > net.cx.hi())
      throw InputError(data.name, "sample " + std::to_string(id) + " feature " + std::to_string(k),
                       "value " + std::to_string(x[k]) + " is off the input grid " + to_string(net.cx));
}

}  // namespace nncert
