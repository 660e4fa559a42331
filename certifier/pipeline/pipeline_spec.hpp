// PIPELINE.toml (issue 17): the stages a project runs, train -> prune -> quantize -> verify ->
// codegen -> conform, each with its settings. Every key is declared with its type and default, so
// a stage's effective settings (defaults filled in) are one JSON value to digest and to record.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace nncert::pipeline {

enum class StageKind { Train, Prune, Quantize, Verify, Codegen, Conform };
std::string to_string(StageKind k);

struct StageSpec {
  StageKind kind = StageKind::Train;
  std::string name;         // the kind ("train"), or the [[stage]]'s id key when one kind appears twice
  nlohmann::json settings;  // every declared key, defaults filled in (object, sorted keys)
};

struct PipelineSpec {
  std::string name = "pipeline";
  std::uint64_t seed = 0;          // every randomised stage takes its seed from here
  std::string eval_data;           // accuracy after each model stage: dataset spec ("" = none)
  std::string eval_samples;        // A:B of its test split ("" = all)
  std::vector<StageSpec> stages;   // in order
};

// Reads a pipeline file. InputError "FILE: line L:C: ..." on unknown keys or stage kinds, values of
// the wrong type, a pipeline that does not start from train, or a stage before its input exists
// (verify/codegen/conform before quantize).
PipelineSpec load_pipeline(const std::string& path);

}  // namespace nncert::pipeline
