#include "formats/python_random.hpp"

#include "certifier/core/error.hpp"

#include <array>
#include <bit>
#include <numeric>
#include <random>

namespace nncert {

namespace {

constexpr std::size_t kStateWords = 624;

// A SeedSequence whose generate() writes the MT19937 state CPython's init_by_array leaves
// (Matsumoto & Nishimura's mt19937ar.c, called by random_seed() with the 32-bit words of |S|,
// least significant first). std::seed_seq mixes differently, so it cannot be used. The standard
// fixes how mersenne_twister_engine::seed(q) turns these words into its state (one word each,
// and mt[0] = 0x80000000 keeps it from the all-zero fix-up), so the engine then produces
// CPython's genrand_uint32() sequence.
class InitByArray {
 public:
  using result_type = std::uint_least32_t;
  explicit InitByArray(std::uint64_t seed) {
    key_.push_back(static_cast<std::uint32_t>(seed));
    if (seed >> 32) key_.push_back(static_cast<std::uint32_t>(seed >> 32));
  }

  template <typename It>
  void generate(It first, It last) const {
    if (static_cast<std::size_t>(last - first) != kStateWords) throw InternalError("init_by_array: expected 624 words");
    std::array<std::uint32_t, kStateWords> mt{};
    mt[0] = 19650218U;  // init_genrand(19650218)
    for (std::size_t i = 1; i < kStateWords; ++i)
      mt[i] = 1812433253U * (mt[i - 1] ^ (mt[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    std::size_t i = 1, j = 0;
    for (std::size_t k = std::max(kStateWords, key_.size()); k > 0; --k) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525U)) + key_[j] + static_cast<std::uint32_t>(j);
      if (++i >= kStateWords) {
        mt[0] = mt[kStateWords - 1];
        i = 1;
      }
      if (++j >= key_.size()) j = 0;
    }
    for (std::size_t k = kStateWords - 1; k > 0; --k) {
      mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941U)) - static_cast<std::uint32_t>(i);
      if (++i >= kStateWords) {
        mt[0] = mt[kStateWords - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000U;  // MSB is 1, assuring a non-zero initial array
    std::copy(mt.begin(), mt.end(), first);
  }

 private:
  std::vector<std::uint32_t> key_;  // at least one word: seed 0 is the key {0}, as in CPython
};

// random._randbelow_with_getrandbits(n): getrandbits(n.bit_length()) until the draw is below n;
// getrandbits(k) for k <= 32 is the top k bits of one 32-bit output.
std::size_t randbelow(std::mt19937& mt, std::uint32_t n) {
  const int k = std::bit_width(n);
  for (;;) {
    const std::uint32_t r = static_cast<std::uint32_t>(mt()) >> (32 - k);
    if (r < n) return r;
  }
}

}  // namespace

std::vector<std::size_t> python_shuffled_indices(std::size_t n, std::uint64_t seed) {
  if (n >= (std::size_t{1} << 32)) throw InternalError("python_shuffled_indices: n must be below 2^32");
  std::vector<std::size_t> x(n);
  std::iota(x.begin(), x.end(), std::size_t{0});
  InitByArray seq(seed);
  std::mt19937 mt(seq);
  // random.shuffle: for i in reversed(range(1, len(x))): j = randbelow(i + 1); swap x[i], x[j].
  for (std::size_t i = n > 0 ? n - 1 : 0; i >= 1; --i)
    std::swap(x[i], x[randbelow(mt, static_cast<std::uint32_t>(i + 1))]);
  return x;
}

}  // namespace nncert
