// nncert conformance harness (DESIGN section 6): runs the generated model on every test vector and
// prints every output integer, so the host can compare them with the reference evaluator.
//
// Input file (default "vectors.txt" in the working directory, or argv[1]): whitespace-separated
// decimal integers: the vector count N, then N * NNCERT_INPUTS input values.
// Output: one line per vector with its NNCERT_OUTPUTS integers, then
//   "digest <16 hex digits>"  FNV-1a 64 of all outputs (as little-endian int64), and
//   "vectors <N>".
// Exit code 0 when every vector was read, 3 on a malformed or missing file.
// Only <stdio.h> beyond the model: the same source runs hosted (Linux, qemu-user) and bare
// metal with semihosting (newlib's rdimon), where main() is called with no arguments.
#include <stdint.h>
#include <stdio.h>

#include "nncert_model.h"

// Inferences per vector (the first one's outputs are printed; the rest recompute them).
// `nncert conform --count-instructions` builds 1 and 11 and divides the difference by 10, so
// reading, printing and start-up cancel and only inference is counted.
#ifndef NNCERT_REPEAT
#define NNCERT_REPEAT 1
#endif

namespace {

// Reads one decimal integer; false at end of file or on anything else.
bool read_int(FILE* f, int64_t* out) {
  int c = fgetc(f);
  while (c == ' ' || c == '\n' || c == '\r' || c == '\t') c = fgetc(f);
  bool negative = false;
  if (c == '-') {
    negative = true;
    c = fgetc(f);
  }
  if (c < '0' || c > '9') return false;
  int64_t v = 0;
  while (c >= '0' && c <= '9') {
    v = v * 10 + (c - '0');
    c = fgetc(f);
  }
  *out = negative ? -v : v;
  return true;
}

uint64_t fnv1a(uint64_t h, int64_t v) {
  const uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) {
    h ^= (u >> (8 * i)) & 0xFF;
    h *= 1099511628211ULL;
  }
  return h;
}

nncert_input_t x[NNCERT_INPUTS];
nncert_output_t y[NNCERT_OUTPUTS];

int run(const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) {
    printf("error: cannot open %s\n", path);
    return 3;
  }
  int64_t count = 0;
  if (!read_int(f, &count) || count < 0) {
    printf("error: %s: expected the vector count\n", path);
    return 3;
  }
  uint64_t digest = 14695981039346656037ULL;
  for (int64_t n = 0; n < count; ++n) {
    for (int i = 0; i < NNCERT_INPUTS; ++i) {
      int64_t v = 0;
      if (!read_int(f, &v)) {
        printf("error: %s: vector %ld is incomplete\n", path, static_cast<long>(n));
        return 3;
      }
      x[i] = static_cast<nncert_input_t>(v);
    }
    for (int r = 0; r < NNCERT_REPEAT; ++r) nncert_infer(x, y);
    for (int o = 0; o < NNCERT_OUTPUTS; ++o) {
      printf(o ? " %ld" : "%ld", static_cast<long>(y[o]));
      digest = fnv1a(digest, y[o]);
    }
    printf("\n");
  }
  fclose(f);
  printf("digest %08lx%08lx\n", static_cast<unsigned long>(digest >> 32), static_cast<unsigned long>(digest & 0xFFFFFFFFu));
  printf("vectors %ld\n", static_cast<long>(count));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc > 1 ? argv[1] : "vectors.txt"); }
