// The .nnc model file (DESIGN §5): FlatBuffers (schema formats/nnc.fbs) holding the float
// network, an optional QNetwork, provenance and certificates.
#pragma once

#include "certifier/core/model.hpp"

#include <string>

namespace nncert {

// Loads and validates: FlatBuffers verifier first, then our own shape/value checks
// (check_network, check_qnetwork). Throws InputError naming the file and the problem.
Model load_nnc(const std::string& path);
Model parse_nnc(const std::string& bytes, const std::string& name_for_errors);

// Serializes and writes atomically (temp file in the same folder, fsync, rename).
void save_nnc(const Model& model, const std::string& path);
std::string serialize_nnc(const Model& model);

}  // namespace nncert
