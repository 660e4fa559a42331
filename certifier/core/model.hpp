// What a .nnc file carries (DESIGN §5): the float network, optionally its fixed-point form,
// where it came from, and the certificates proved about it.
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/core/qnetwork.hpp"

#include <optional>
#include <string>
#include <vector>

namespace nncert {

struct Provenance {
  std::string source;          // e.g. "onnx:model.onnx", "train"
  std::string dataset;         // dataset name or path
  std::string dataset_digest;  // SHA-256 hex of the dataset bytes, when known
  std::string training_config; // free-form (JSON) description of how it was made
  std::uint64_t seed = 0;
};

// One proved (or refuted) property, bound to the exact weights by their digest.
struct Certificate {
  std::string property;      // e.g. "robust linf:2 sample 17", "vnnlib:prop_1.vnnlib"
  std::string method;        // e.g. "deeppoly", "ilp-compact/cbc"
  std::string verdict;       // "verified" | "falsified" | "unknown"
  double bound = 0;          // radius or bound the verdict is about
  double seconds = 0;
  std::string tool_version;
  std::string weights_digest;  // digest of the network (float or Q) the verdict is about
  std::string network;         // "float" or "quantized"
};

struct Model {
  Network network;
  std::optional<QNetwork> qnetwork;
  Provenance provenance;
  std::vector<Certificate> certificates;
};

}  // namespace nncert
