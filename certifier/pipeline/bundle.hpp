// The certified bundle (issue 17): the final .nnc, the generated code, report.html and
// manifest.json (stages, tool version, settings, digests, certificates with their property
// digests). `check_bundle` re-derives every fact the manifest states: file digests, the code from
// the QNetwork, the certificates in the .nnc, and conformance of the shipped code on the host.
#pragma once

#include "certifier/pipeline/pipeline_spec.hpp"
#include "certifier/pipeline/runner.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace nncert::pipeline {

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kBundleFormat = "nncert-bundle/1";

// Copies the last model and code into the bundle, writes report.html, then manifest.json
// (atomically, last). Returns the manifest.
nlohmann::json write_bundle(const PipelineSpec& spec, const std::string& pipeline_file, const std::filesystem::path& bundle,
                            const std::vector<StageRecord>& stages);

struct CheckResult {
  std::vector<std::string> problems;  // one line each: what does not match
  std::size_t checked_files = 0, certificates = 0, conform_vectors = 0, conform_mismatches = 0;
  bool ok() const { return problems.empty(); }
  // DESIGN §7: 1 when the only problem is the code disagreeing with the evaluator on the host
  // (a conformance mismatch), 2 for a bundle whose digests or certificates do not match.
  int exit_code() const { return ok() ? 0 : problems.size() == 1 && conform_mismatches > 0 ? 1 : 2; }
};

// InputError when the bundle has no (readable) manifest: an unfinished or foreign folder.
CheckResult check_bundle(const std::filesystem::path& bundle);

}  // namespace nncert::pipeline
