// The tool version recorded in every certificate, report and bundle manifest.
#pragma once

namespace nncert {

inline constexpr const char* kToolVersion = "nncert 0.1.0";

}  // namespace nncert
