// nncert runtime kernels: the integer fixed-point layer that generated models call
// (DESIGN section 3.2, the QVIP semantics). C++11, freestanding: only <stdint.h> and <stddef.h>,
// no heap, no floating point, no division, no exceptions. `nncert codegen` copies this file
// next to the generated model (the build embeds it in the tool, see codegen/embed_files.sh).
#ifndef NNCERT_KERNELS_H
#define NNCERT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// Section 3.2 rounds with an arithmetic right shift: floor((acc + 2^(s-1)) / 2^s). C++11 leaves `>>` of
// a negative value implementation-defined; every compiler nncert targets (GCC, Clang) shifts
// arithmetically. This line refuses to compile anywhere that does not.
typedef char nncert_requires_arithmetic_shift[((-3) >> 1) == -2 ? 1 : -1];

namespace nncert_rt {

// One output of a layer: acc is the exact accumulator (bias already aligned to its scale).
//   s > 0 : round half up, then shift:   (acc + 2^(s-1)) >> s
//   s <= 0: exact scale-up:              acc * 2^-s   (the code generator proved it fits Acc)
// then clamp to [lo, hi]; lo = 0 on hidden layers is the ReLU.
// `s`, `lo` and `hi` are compile-time constants at every call, so the branch folds away.
template <typename Acc>
inline Acc requantize(Acc acc, int s, Acc lo, Acc hi) {
  Acc v;
  if (s > 0)
    v = static_cast<Acc>((acc + (static_cast<Acc>(1) << (s - 1))) >> s);
  else
    v = static_cast<Acc>(acc * (static_cast<Acc>(1) << -s));
  return v < lo ? lo : (v > hi ? hi : v);
}

// Dense layer, row-major weights (n_out rows of n_in). The inner loop is a plain
// multiply-accumulate over contiguous arrays, which compilers vectorise.
template <typename Acc, typename W, typename B, typename In, typename Out>
inline void dense(const W* w, const B* bias, const In* x, Out* y, size_t n_in, size_t n_out, int s, Acc lo,
                  Acc hi) {
  for (size_t j = 0; j < n_out; ++j) {
    const W* row = w + j * n_in;
    Acc acc = static_cast<Acc>(bias[j]);
    for (size_t k = 0; k < n_in; ++k) acc += static_cast<Acc>(row[k]) * static_cast<Acc>(x[k]);
    y[j] = static_cast<Out>(requantize<Acc>(acc, s, lo, hi));
  }
}

// Dense layer of a pruned network in compressed sparse rows: row j's nonzero weights are
// w[start[j] .. start[j+1]) at input columns col[...]. Same arithmetic, zero terms skipped
// (they add nothing, so the result is identical to the dense kernel's).
template <typename Acc, typename W, typename B, typename Idx, typename Ptr, typename In, typename Out>
inline void dense_sparse(const W* w, const Idx* col, const Ptr* start, const B* bias, const In* x, Out* y,
                         size_t n_out, int s, Acc lo, Acc hi) {
  for (size_t j = 0; j < n_out; ++j) {
    Acc acc = static_cast<Acc>(bias[j]);
    for (Ptr i = start[j]; i < start[j + 1]; ++i) acc += static_cast<Acc>(w[i]) * static_cast<Acc>(x[col[i]]);
    y[j] = static_cast<Out>(requantize<Acc>(acc, s, lo, hi));
  }
}

// First index of the largest value: QVIP's tie rule, the one the certifier verified.
template <typename T>
inline int argmax_first(const T* y, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (y[i] > y[best]) best = i;
  return static_cast<int>(best);
}

}  // namespace nncert_rt

#endif  // NNCERT_KERNELS_H
