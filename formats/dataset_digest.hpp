// The digest of a dataset's exact contents, recorded in a trained model's provenance and in a
// pipeline's stage inputs: a dataset is named by what it holds, not by its path.
#pragma once

#include "formats/dataset.hpp"

#include <string>

namespace nncert {

// SHA-256 over the SHA-256s of the stored features (doubles), labels (int32) and targets (doubles).
std::string dataset_digest(const Dataset& data);

}  // namespace nncert
