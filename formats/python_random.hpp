// CPython's `random.seed(S); random.shuffle(rows)`, bit for bit, so that a data split published
// by a Python pipeline (e.g. the MANNERS-DB split of the CEGIS paper, seed 100) is reproduced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nncert {

// The permutation CPython 3 leaves in `x = list(range(n)); random.seed(seed); random.shuffle(x)`:
// element k is the original index now at position k. Throws InternalError for n >= 2^32 (the
// draws then need more than one 32-bit word, which nothing here needs).
std::vector<std::size_t> python_shuffled_indices(std::size_t n, std::uint64_t seed);

}  // namespace nncert
