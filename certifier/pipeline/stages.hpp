// What each pipeline stage does (issue 17): one function per stage kind, calling the same library
// functions as the matching `nncert` command. A stage reads the previous stage's model file and
// writes its outputs into its own folder; the runner (runner.hpp) decides whether it runs at all.
#pragma once

#include "certifier/pipeline/pipeline_spec.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace nncert::pipeline {

struct StageContext {
  const PipelineSpec* pipeline = nullptr;
  std::filesystem::path dir;    // the stage's own output folder (exists, empty)
  std::filesystem::path model;  // the latest model file (empty before train)
  std::filesystem::path code;   // the latest generated code folder (empty before codegen)
};

struct StageOutcome {
  int exit_code = 0;       // 0 = done; else the stage failed with this code (DESIGN §7)
  std::string reason;      // why it failed
  std::filesystem::path model, code;  // what it produced (inside dir), empty when nothing of that kind
  nlohmann::json summary = nlohmann::json::object();  // accuracy, verdicts, times: for manifest and report
};

// Runs one stage. InputError for bad settings or inputs (exit 2, naming the stage's setting).
StageOutcome run_stage(const StageSpec& stage, const StageContext& context);

// The verification certificates' property digests: SHA-256 of the property text and the sample's
// integer centre, so a certificate names exactly one question.
std::string property_digest(const std::string& property, const std::vector<std::int64_t>& centre);

}  // namespace nncert::pipeline
