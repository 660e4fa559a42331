// Host-side conformance engine (DESIGN §6): writes generated code beside runtime/conform_main.cpp,
// builds it through targets/<T>/build.sh, runs it through targets/<T>/run.sh on test vectors and
// compares every output integer with the §3.2 reference evaluator. The verdict is the mismatch count.
#pragma once

#include "codegen/codegen.hpp"
#include "conform/targets.hpp"
#include "conform/vectors.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nncert::conform {

struct TargetResult {
  std::string target;
  std::size_t vectors = 0, mismatches = 0, mismatched_values = 0;
  double build_seconds = 0, run_seconds = 0;
  std::string digest, first_mismatch;
  std::optional<double> instructions;  // executed per inference (count_instructions)
};

struct ConformRequest {
  std::vector<const Target*> targets;  // choose_targets()
  std::filesystem::path work;          // keep sources, builds and outputs here; empty = a temporary folder
  std::string cflags;                  // extra target compiler flags
  bool count_instructions = false;     // executed instructions per inference under QEMU
  std::function<void(std::size_t done, const std::string& target)> on_target;  // progress
};

struct ConformReport {
  std::vector<TargetResult> targets;
  std::size_t mismatches = 0;  // over all targets
  std::size_t macs = 0;        // multiply-accumulates of one dense inference
};

// Runs `code` (generated for `net` with `options`; its files may come from disk, e.g. a bundle)
// on every requested target. InternalError when a build or run fails.
ConformReport run_conformance(const QNetwork& net, const codegen::Generated& code, const codegen::Options& options,
                              const Vectors& vectors, const ConformRequest& request);

}  // namespace nncert::conform
