// The dataset samples a command runs on (`--data D --samples A:B`), shared by eval, verify and mrr
// so every command reads ranges the same way and names bad input the same way.
#pragma once

#include "certifier/core/qnetwork.hpp"
#include "formats/dataset.hpp"

#include <cstddef>
#include <string>
#include <utility>

namespace nncert {

// "A:B" (inclusive, as papers say "images 0-99") or "A" (one sample); InputError otherwise.
std::pair<std::size_t, std::size_t> parse_sample_range(const std::string& spec);

struct SampleSelection {
  Dataset data;           // only the selected samples
  std::size_t first = 0;  // dataset index of data's sample 0
};

// `data` restricted to `samples` ("A:B"; all when empty); InputError when out of range.
SampleSelection select_range(Dataset data, const std::string& samples);

// The test split of `data_spec` restricted to `samples` (all when empty), its width checked
// against the model's `inputs`. With a column spec (`columns`, a TOML file) the CSV is read by
// it and the test split is the spec's test part (split by `seed` unless the spec fixes it).
SampleSelection select_samples(const std::string& data_spec, const std::string& samples, std::size_t inputs,
                               const std::string& columns = "", std::uint64_t seed = 0);

// `--shard K/N`: the K-th of N disjoint parts of a batch (1 <= K <= N). Item i belongs to part
// i mod N (round robin over dataset indices or instance numbers, so the parts are deterministic,
// disjoint, cover everything and stay balanced when item costs drift along the list).
struct Shard {
  std::size_t index = 0, count = 1;  // K - 1, N
  bool contains(std::size_t item) const { return item % count == index; }
  std::string spec() const { return std::to_string(index + 1) + "/" + std::to_string(count); }
};
// "" = the whole batch (1/1); InputError unless K/N with integers 1 <= K <= N.
Shard parse_shard(const std::string& spec);

// InputError unless raw sample `i` of `data` (dataset index `id`) lies on the QNN's input grid:
// the exact verifiers reason about grid points only.
void require_on_input_grid(const QNetwork& net, const Dataset& data, std::size_t i, std::size_t id);

}  // namespace nncert
