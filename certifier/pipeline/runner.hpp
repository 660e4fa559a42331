// Running a pipeline into a bundle folder with resumption (issue 17): every stage's settings and
// inputs are digested (SHA-256); a stage whose digest and outputs are unchanged since its last
// successful run is skipped, a stage that runs invalidates every stage after it. The manifest is
// written last, atomically, so a half-run pipeline never leaves a bundle `check` accepts.
#pragma once

#include "certifier/pipeline/pipeline_spec.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nncert::pipeline {

struct StageRecord {
  std::string name, kind;
  nlohmann::json settings;
  std::string digest;                         // settings + inputs + tool version
  std::map<std::string, std::string> inputs;  // bundle-relative path -> SHA-256
  std::map<std::string, std::string> outputs; // bundle-relative path -> SHA-256
  std::string model, code;                    // bundle-relative, when the stage made one
  double seconds = 0;
  bool skipped = false;                       // resumed from an earlier run
  nlohmann::json summary;
};
nlohmann::json to_json(const StageRecord& r);
StageRecord record_from_json(const nlohmann::json& j);

struct RunRequest {
  std::string pipeline;                // PIPELINE.toml
  std::filesystem::path bundle;        // output folder (created)
  std::function<void(const StageRecord&, std::size_t index, std::size_t total)> on_stage;  // after each stage
  std::function<void(const StageSpec&, std::size_t index, std::size_t total)> on_start;   // before each stage
};

struct RunResult {
  std::vector<StageRecord> stages;  // those that ran or were skipped, in order
  int exit_code = 0;                // 0, or the failed stage's exit code
  std::string failed_stage, reason;
  nlohmann::json manifest;          // written to bundle/manifest.json when exit_code == 0
};

// InputError (exit 2) for a bad pipeline file; a failing stage is reported in the result (its bad
// input included, exit code 2), never thrown, so the caller can name the stage.
RunResult run_pipeline(const RunRequest& request);

// SHA-256 of a file's bytes.
std::string file_digest(const std::filesystem::path& file);

}  // namespace nncert::pipeline
