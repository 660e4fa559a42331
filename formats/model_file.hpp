// Loads and saves a model by file extension: .onnx (float network only) or .nnc (everything).
#pragma once

#include "certifier/core/model.hpp"

#include <string>

namespace nncert {

Model load_model(const std::string& path);

// Saves atomically. Writing ONNX keeps only the float network; `dropped` (if given) is set to a
// description of what the format could not hold ("" when nothing was lost).
void save_model(const Model& model, const std::string& path, std::string* dropped = nullptr);

}  // namespace nncert
