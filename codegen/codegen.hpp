// QNetwork -> dependency-free integer C++ (DESIGN §6): one header, one source and the runtime
// kernels header, compiling alone with any C++11 compiler, bit-exact with the §3.2 evaluator.
#pragma once

#include "certifier/core/model.hpp"
#include "codegen/ctypes.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace nncert::codegen {

// Which runtime kernel the layers call (runtime/nncert_kernels.h). Both compute every row in the
// reference order, so both rest on the certified accumulator proof as it stands.
enum class Kernel {
  Reference,  // nncert_rt::dense: one row per pass, sizes and shifts as run-time arguments
  Blocked,    // nncert_rt::dense_rows: four rows per pass, one instantiation per layer, inlined
};

struct Options {
  std::string name = "model";  // C identifier prefix: <name>_infer, <name>_predict, <name>.h
  std::string ns;              // optional C++ namespace ("a::b" allowed) around the API
  bool allow_sparse = true;    // pruned layers in CSR when that is smaller
  Kernel kernel = Kernel::Blocked;
};

struct GeneratedFile {
  std::string name;  // file name inside the output folder
  std::string text;
};

// What each layer became, for the ROM/RAM report.
struct LayerReport {
  std::size_t inputs = 0, outputs = 0, nonzero = 0;
  bool sparse = false;
  CType weight_type = CType::Int64, bias_type = CType::Int64;
  int shift = 0;           // requantization shift s
  std::size_t rom_bytes = 0;
};

struct Generated {
  std::vector<GeneratedFile> files;  // <name>.h, <name>.cpp, nncert_kernels.h
  CType accumulator = CType::Int64;  // exactly the QNetwork's (proven, certified) accumulator type
  CType input_type = CType::Int64, output_type = CType::Int64, activation_type = CType::Int64;
  std::size_t rom_bytes = 0;         // every static const array (weights, biases, sparse indices)
  std::size_t ram_bytes = 0;         // the two ping-pong activation buffers
  std::size_t weight_bytes = 0;      // dense weight + bias payload in the narrowest types (no indices)
  std::vector<LayerReport> layers;
  std::string digest;                // SHA-256 of the QNetwork the code implements
};

// Throws InputError when the model has no QNetwork, the name is not a C identifier, the QNetwork
// names an accumulator type its proof does not support, or no exact int64 implementation exists
// (a partial sum could overflow int64).
Generated generate(const Model& model, const Options& options);

// A tiny header `nncert_model.h` binding the generic conformance harness
// (runtime/conform_main.cpp) to the model named `options.name`.
GeneratedFile harness_binding(const Options& options);

}  // namespace nncert::codegen
