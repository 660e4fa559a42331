// SHA-256 digests of the exact weights, over a canonical byte encoding (little-endian
// fixed-width integers and IEEE-754 doubles, layer by layer, row-major), so a digest is
// the same on every machine and names exactly one network.
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/core/qnetwork.hpp"

#include <string>
#include <string_view>

namespace nncert {

std::string sha256_hex(std::string_view bytes);
std::string digest(const Network& net);
std::string digest(const QNetwork& net);

}  // namespace nncert
