#include "formats/dataset_digest.hpp"

#include "certifier/core/digest.hpp"

#include <string_view>

namespace nncert {

std::string dataset_digest(const Dataset& data) {
  // Hash each array in place (no copy of a 60000 x 784 matrix), then the three digests.
  auto view = [](const auto* p, std::size_t n) {
    return std::string_view(reinterpret_cast<const char*>(p), n * sizeof(*p));
  };
  return sha256_hex(sha256_hex(view(data.X.data(), static_cast<std::size_t>(data.X.size()))) +
                    sha256_hex(view(data.labels.data(), data.labels.size())) +
                    sha256_hex(view(data.targets.data(), static_cast<std::size_t>(data.targets.size()))));
}

}  // namespace nncert
