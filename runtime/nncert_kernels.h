// nncert runtime kernels: the integer fixed-point layer that generated models call
// (DESIGN section 3.2, the QVIP semantics). C++11, freestanding: only <stdint.h> and <stddef.h>
// (and the compiler's intrinsics header on Arm DSP / MVE cores), no heap, no floating point, no
// division, no exceptions. `nncert codegen` copies this file next to the generated model (the
// build embeds it in the tool, see codegen/embed_files.sh).
#ifndef NNCERT_KERNELS_H
#define NNCERT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// Arm cores with the M-profile vector extension (Cortex-M55, M85): dense_rows uses MVE,
// VMLADAVA over eight 16-bit lanes. Else Arm cores with the DSP extension (Cortex-M4, M7,
// M33 ...): SMLAD, two 16-bit multiply-adds per instruction. <arm_mve.h> and <arm_acle.h> are
// the compiler's own headers, like <stdint.h>.
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && defined(__GNUC__)
#include <arm_mve.h>
#define NNCERT_MVE 1
#elif defined(__ARM_FEATURE_SIMD32) && defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
#include <arm_acle.h>
#define NNCERT_SMLAD 1
#endif

// Section 3.2 rounds with an arithmetic right shift: floor((acc + 2^(s-1)) / 2^s). C++11 leaves `>>` of
// a negative value implementation-defined; every compiler nncert targets (GCC, Clang) shifts
// arithmetically. This line refuses to compile anywhere that does not.
typedef char nncert_requires_arithmetic_shift[((-3) >> 1) == -2 ? 1 : -1];

namespace nncert_rt {

// Every kernel is forced inline (GCC, Clang) and takes the layer's sizes, shift and clamp as
// template arguments, so each layer is its own instantiation with its constants folded even at
// -Os, where GCC would otherwise emit one shared out-of-line body with run-time arguments.
#if defined(__GNUC__)
#define NNCERT_INLINE inline __attribute__((always_inline))
#else
#define NNCERT_INLINE inline
#endif

// One output of a layer: acc is the exact accumulator (bias already aligned to its scale).
//   s > 0 : round half up, then shift:   (acc + 2^(s-1)) >> s
//   s <= 0: exact scale-up:              acc * 2^-s   (the code generator proved it fits Acc)
// then clamp to [lo, hi]; lo = 0 on hidden layers is the ReLU.
// `s`, `lo` and `hi` are compile-time constants at every call, so the branch folds away.
template <typename Acc>
NNCERT_INLINE Acc requantize(Acc acc, int s, Acc lo, Acc hi) {
  Acc v;
  if (s > 0)
    v = static_cast<Acc>((acc + (static_cast<Acc>(1) << (s - 1))) >> s);
  else
    v = static_cast<Acc>(acc * (static_cast<Acc>(1) << -s));
  return v < lo ? lo : (v > hi ? hi : v);
}

// The reference kernel: dense layer, row-major weights (n_out rows of n_in), one row per pass.
// Summation order per row: bias, then k = 0 .. n_in-1. Obligation: the certified accumulator
// proof as stated (every partial sum in this order, every product and the rounding offset fit Acc),
// so no signed arithmetic here can overflow.
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

// Row-blocked dense kernel: four output rows per pass, each input value loaded once and used by
// all four (the reference kernel loads it once per row). Each row still sums bias, then
// k = 0 .. NIn-1, exactly the reference order; only independent rows are interleaved.
// Obligation: the same certified proof as the reference kernel (partial sums in this order fit).
namespace detail {

template <bool>
struct flag {};
template <typename A, typename B>
struct same {
  static const bool value = false;
};
template <typename A>
struct same<A, A> {
  static const bool value = true;
};

template <typename Acc, size_t NIn, size_t NOut, int S, Acc Lo, Acc Hi, typename W, typename B, typename In,
          typename Out>
NNCERT_INLINE void dense_rows(const W* w, const B* bias, const In* x, Out* y, flag<false>) {
  const size_t blocked = NOut - NOut % 4;  // constants, so the tail loop vanishes when NOut % 4 == 0
  for (size_t j = 0; j < blocked; j += 4) {
    const W* r0 = w + j * NIn;
    Acc a0 = static_cast<Acc>(bias[j]), a1 = static_cast<Acc>(bias[j + 1]);
    Acc a2 = static_cast<Acc>(bias[j + 2]), a3 = static_cast<Acc>(bias[j + 3]);
    for (size_t k = 0; k < NIn; ++k) {
      const Acc xk = static_cast<Acc>(x[k]);
      a0 += static_cast<Acc>(r0[k]) * xk;
      a1 += static_cast<Acc>(r0[NIn + k]) * xk;
      a2 += static_cast<Acc>(r0[2 * NIn + k]) * xk;
      a3 += static_cast<Acc>(r0[3 * NIn + k]) * xk;
    }
    y[j] = static_cast<Out>(requantize<Acc>(a0, S, Lo, Hi));
    y[j + 1] = static_cast<Out>(requantize<Acc>(a1, S, Lo, Hi));
    y[j + 2] = static_cast<Out>(requantize<Acc>(a2, S, Lo, Hi));
    y[j + 3] = static_cast<Out>(requantize<Acc>(a3, S, Lo, Hi));
  }
  for (size_t j = blocked; j < NOut; ++j) {  // the last NOut % 4 rows, one at a time
    const W* row = w + j * NIn;
    Acc acc = static_cast<Acc>(bias[j]);
    for (size_t k = 0; k < NIn; ++k) acc += static_cast<Acc>(row[k]) * static_cast<Acc>(x[k]);
    y[j] = static_cast<Out>(requantize<Acc>(acc, S, Lo, Hi));
  }
}

#if defined(NNCERT_SMLAD)
NNCERT_INLINE uint32_t load_word(const void* p) {  // any alignment (ARMv7E-M loads unaligned words)
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}
// Bytes 0 and 2 (lanes02) or 1 and 3 (lanes13) of a word as two 16-bit lanes, sign- or
// zero-extended by the element type. The rotated forms are one instruction (SXTB16 Rd, Rm, ROR #8),
// which GCC does not form from the intrinsic of a rotate, hence the one-line asm.
NNCERT_INLINE int16x2_t lanes02(uint32_t word, const int8_t*) { return __sxtb16(static_cast<int8x4_t>(word)); }
NNCERT_INLINE int16x2_t lanes02(uint32_t word, const uint8_t*) { return static_cast<int16x2_t>(__uxtb16(word)); }
NNCERT_INLINE int16x2_t lanes13(uint32_t word, const int8_t*) {
  int16x2_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(word));
  return r;
}
NNCERT_INLINE int16x2_t lanes13(uint32_t word, const uint8_t*) {
  int16x2_t r;
  __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(word));
  return r;
}

// SMLAD kernel (int8 weights, 8-bit activations, int32 accumulator, NIn % 4 == 0): four rows per
// pass; each word of four activations is split once (UXTB16 / SXTB16, and again with ROR #8)
// and shared by the four rows, each of which loads one word of weights and issues two SMLADs.
// Summation order changes: row j adds w0*x0 + w2*x2, then w1*x1 + w3*x3, per word.
// Obligation: "the final accumulator fits int32, partial sums wrap mod 2^32". SMLAD adds modulo
// 2^32 in hardware (an intrinsic, not signed C++ arithmetic, so no overflow UB) and a sum taken
// mod 2^32 in any order equals the exact sum when that fits; the certificate's int32 proof bounds
// the final sum and the rounding offset, which is all requantize needs.
template <typename Acc, size_t NIn, size_t NOut, int S, Acc Lo, Acc Hi, typename B, typename In, typename Out>
NNCERT_INLINE void dense_rows(const int8_t* w, const B* bias, const In* x, Out* y, flag<true>) {
  const size_t blocked = NOut - NOut % 4;
  for (size_t j = 0; j < blocked; j += 4) {
    const int8_t* r0 = w + j * NIn;
    int32_t a0 = static_cast<int32_t>(bias[j]), a1 = static_cast<int32_t>(bias[j + 1]);
    int32_t a2 = static_cast<int32_t>(bias[j + 2]), a3 = static_cast<int32_t>(bias[j + 3]);
    for (size_t k = 0; k < NIn; k += 4) {
      const uint32_t xw = load_word(x + k);
      const int16x2_t x02 = lanes02(xw, x), x13 = lanes13(xw, x);
      const int8_t* const weight = 0;  // selects the signed overloads
      const uint32_t w0 = load_word(r0 + k), w1 = load_word(r0 + NIn + k);
      const uint32_t w2 = load_word(r0 + 2 * NIn + k), w3 = load_word(r0 + 3 * NIn + k);
      a0 = __smlad(lanes13(w0, weight), x13, __smlad(lanes02(w0, weight), x02, a0));
      a1 = __smlad(lanes13(w1, weight), x13, __smlad(lanes02(w1, weight), x02, a1));
      a2 = __smlad(lanes13(w2, weight), x13, __smlad(lanes02(w2, weight), x02, a2));
      a3 = __smlad(lanes13(w3, weight), x13, __smlad(lanes02(w3, weight), x02, a3));
    }
    y[j] = static_cast<Out>(requantize<Acc>(a0, S, Lo, Hi));
    y[j + 1] = static_cast<Out>(requantize<Acc>(a1, S, Lo, Hi));
    y[j + 2] = static_cast<Out>(requantize<Acc>(a2, S, Lo, Hi));
    y[j + 3] = static_cast<Out>(requantize<Acc>(a3, S, Lo, Hi));
  }
  if (blocked < NOut)  // the last NOut % 4 rows in the reference order
    dense<Acc>(w + blocked * NIn, bias + blocked, x, y + blocked, NIn, NOut - blocked, S, Lo, Hi);
}
#endif

#if defined(NNCERT_MVE)
// Eight activations widened to 16-bit lanes (VLDRB.U16 / VLDRB.S16).
NNCERT_INLINE int16x8_t lanes8(const uint8_t* p) { return vreinterpretq_s16_u16(vldrbq_u16(p)); }
NNCERT_INLINE int16x8_t lanes8(const int8_t* p) { return vldrbq_s16(p); }
// Sixteen activations as signed bytes: int8 as they are; uint8 re-centred, x XOR 0x80 = x - 128.
NNCERT_INLINE int8x16_t lanes16(const int8_t* p) { return vldrbq_s8(p); }
NNCERT_INLINE int8x16_t lanes16(const uint8_t* p) {
  return vreinterpretq_s8_u8(veorq_u8(vldrbq_u8(p), vdupq_n_u8(0x80)));
}
// What re-centring took away: 128 * sum(w) for uint8 activations, nothing for int8.
NNCERT_INLINE uint32_t recentred(uint32_t wsum, const uint8_t*) { return wsum << 7; }
NNCERT_INLINE uint32_t recentred(uint32_t, const int8_t*) { return 0; }
// a + r modulo 2^32, back in int32 (GCC and Clang convert out-of-range values modulo 2^32).
NNCERT_INLINE int32_t add_mod32(int32_t a, uint32_t r) { return static_cast<int32_t>(static_cast<uint32_t>(a) + r); }

// MVE kernels (int8 weights, 8-bit activations, int32 accumulator): four rows per pass, the
// activations loaded once and shared by the four rows; each row loads its weights and adds their
// dot product with the activations in one VMLADAVA.
// With NIn % 16 == 0, sixteen int8 lanes (VMLADAVA.S8); uint8 activations are re-centred to
// x - 128 (one VEOR shared by the rows) and each row also sums its weights (VADDVA.S8), adding
// 128 * sum(w) back at the end: sum w*x = sum w*(x - 128) + 128 * sum(w), exact. Else eight
// 16-bit lanes (VLDRB.S16 / .U16, VMLADAVA.S16), NIn % 8 == 0.
// Summation order changes (lanes added in the hardware's order, the re-centring term last).
// Obligation: "the final accumulator fits int32, partial sums wrap mod 2^32": VMLADAVA and
// VADDVA add modulo 2^32 and add_mod32 is unsigned, so no signed-overflow UB; the certificate's
// int32 proof bounds the final sum and the rounding offset.
template <typename Acc, size_t NIn, size_t NOut, int S, Acc Lo, Acc Hi, typename B, typename In, typename Out>
NNCERT_INLINE void mve_rows(const int8_t* w, const B* bias, const In* x, Out* y, flag<true>) {  // 16 lanes
  const size_t blocked = NOut - NOut % 4;
  for (size_t j = 0; j < blocked; j += 4) {
    const int8_t* r0 = w + j * NIn;
    int32_t a0 = static_cast<int32_t>(bias[j]), a1 = static_cast<int32_t>(bias[j + 1]);
    int32_t a2 = static_cast<int32_t>(bias[j + 2]), a3 = static_cast<int32_t>(bias[j + 3]);
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;  // sum(w) per row, for uint8 activations
    const int8_t *p0 = r0, *p1 = r0 + NIn, *p2 = r0 + 2 * NIn, *p3 = r0 + 3 * NIn;  // post-incremented loads
    for (size_t k = 0; k < NIn; k += 16, p0 += 16, p1 += 16, p2 += 16, p3 += 16) {
      const int8x16_t xv = lanes16(x + k);
      const int8x16_t w0 = vldrbq_s8(p0), w1 = vldrbq_s8(p1), w2 = vldrbq_s8(p2), w3 = vldrbq_s8(p3);
      a0 = vmladavaq_s8(a0, w0, xv);
      a1 = vmladavaq_s8(a1, w1, xv);
      a2 = vmladavaq_s8(a2, w2, xv);
      a3 = vmladavaq_s8(a3, w3, xv);
      if (same<In, uint8_t>::value) {
        s0 = static_cast<uint32_t>(vaddvaq_s8(static_cast<int32_t>(s0), w0));
        s1 = static_cast<uint32_t>(vaddvaq_s8(static_cast<int32_t>(s1), w1));
        s2 = static_cast<uint32_t>(vaddvaq_s8(static_cast<int32_t>(s2), w2));
        s3 = static_cast<uint32_t>(vaddvaq_s8(static_cast<int32_t>(s3), w3));
      }
    }
    y[j] = static_cast<Out>(requantize<Acc>(add_mod32(a0, recentred(s0, x)), S, Lo, Hi));
    y[j + 1] = static_cast<Out>(requantize<Acc>(add_mod32(a1, recentred(s1, x)), S, Lo, Hi));
    y[j + 2] = static_cast<Out>(requantize<Acc>(add_mod32(a2, recentred(s2, x)), S, Lo, Hi));
    y[j + 3] = static_cast<Out>(requantize<Acc>(add_mod32(a3, recentred(s3, x)), S, Lo, Hi));
  }
  if (blocked < NOut)  // the last NOut % 4 rows in the reference order
    dense<Acc>(w + blocked * NIn, bias + blocked, x, y + blocked, NIn, NOut - blocked, S, Lo, Hi);
}

template <typename Acc, size_t NIn, size_t NOut, int S, Acc Lo, Acc Hi, typename B, typename In, typename Out>
NNCERT_INLINE void mve_rows(const int8_t* w, const B* bias, const In* x, Out* y, flag<false>) {  // 8 lanes
  const size_t blocked = NOut - NOut % 4;
  for (size_t j = 0; j < blocked; j += 4) {
    const int8_t* r0 = w + j * NIn;
    int32_t a0 = static_cast<int32_t>(bias[j]), a1 = static_cast<int32_t>(bias[j + 1]);
    int32_t a2 = static_cast<int32_t>(bias[j + 2]), a3 = static_cast<int32_t>(bias[j + 3]);
    for (size_t k = 0; k < NIn; k += 8) {
      const int16x8_t xv = lanes8(x + k);
      a0 = vmladavaq_s16(a0, vldrbq_s16(r0 + k), xv);
      a1 = vmladavaq_s16(a1, vldrbq_s16(r0 + NIn + k), xv);
      a2 = vmladavaq_s16(a2, vldrbq_s16(r0 + 2 * NIn + k), xv);
      a3 = vmladavaq_s16(a3, vldrbq_s16(r0 + 3 * NIn + k), xv);
    }
    y[j] = static_cast<Out>(requantize<Acc>(a0, S, Lo, Hi));
    y[j + 1] = static_cast<Out>(requantize<Acc>(a1, S, Lo, Hi));
    y[j + 2] = static_cast<Out>(requantize<Acc>(a2, S, Lo, Hi));
    y[j + 3] = static_cast<Out>(requantize<Acc>(a3, S, Lo, Hi));
  }
  if (blocked < NOut)  // the last NOut % 4 rows in the reference order
    dense<Acc>(w + blocked * NIn, bias + blocked, x, y + blocked, NIn, NOut - blocked, S, Lo, Hi);
}

template <typename Acc, size_t NIn, size_t NOut, int S, Acc Lo, Acc Hi, typename B, typename In, typename Out>
NNCERT_INLINE void dense_rows(const int8_t* w, const B* bias, const In* x, Out* y, flag<true>) {
  mve_rows<Acc, NIn, NOut, S, Lo, Hi>(w, bias, x, y, flag<NIn % 16 == 0>());
}
#endif

}  // namespace detail

// Row-blocked dense layer: the generated code's call for every dense layer. The header picks
// the kernel for the core it is compiled for, at compile time: MVE on Helium cores, else SMLAD
// on Arm DSP cores, when the layer's types allow it; else the portable four-row kernel. Each states its obligation above.
template <typename Acc, size_t NIn, size_t NOut, int S, Acc Lo, Acc Hi, typename W, typename B, typename In,
          typename Out>
NNCERT_INLINE void dense_rows(const W* w, const B* bias, const In* x, Out* y) {
  const bool bytes = detail::same<Acc, int32_t>::value && detail::same<W, int8_t>::value &&
                     (detail::same<In, uint8_t>::value || detail::same<In, int8_t>::value);
#if defined(NNCERT_MVE)
  const bool simd = bytes && NIn % 8 == 0;
#elif defined(NNCERT_SMLAD)
  const bool simd = bytes && NIn % 4 == 0;
#else
  const bool simd = bytes && false;
#endif
  detail::dense_rows<Acc, NIn, NOut, S, Lo, Hi>(w, bias, x, y, detail::flag<simd>());
}

// Dense layer of a pruned network in compressed sparse rows: row j's nonzero weights are
// w[start[j] .. start[j+1]) at input columns col[...]. Same arithmetic and per-row order as the
// reference kernel with the zero terms skipped (they add nothing). Obligation: the certified
// proof (the skipped terms are zero, so every partial sum here is one of the proven ones).
// The loop index is a size_t, not the (narrow) Ptr type, so no zero-extend per nonzero.
template <typename Acc, size_t NOut, int S, Acc Lo, Acc Hi, typename W, typename B, typename Idx, typename Ptr,
          typename In, typename Out>
NNCERT_INLINE void dense_sparse(const W* w, const Idx* col, const Ptr* start, const B* bias, const In* x, Out* y) {
  size_t i = start[0];
  for (size_t j = 0; j < NOut; ++j) {
    Acc acc = static_cast<Acc>(bias[j]);
    for (const size_t end = start[j + 1]; i < end; ++i)
      acc += static_cast<Acc>(w[i]) * static_cast<Acc>(x[col[i]]);
    y[j] = static_cast<Out>(requantize<Acc>(acc, S, Lo, Hi));
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
