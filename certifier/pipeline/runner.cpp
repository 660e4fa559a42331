#include "certifier/pipeline/runner.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/core/version.hpp"
#include "certifier/pipeline/bundle.hpp"
#include "certifier/pipeline/stages.hpp"
#include "formats/atomic_file.hpp"

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace nncert::pipeline {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string file_digest(const fs::path& file) { return sha256_hex(read_file(file.string())); }

Json to_json(const StageRecord& r) {
  return {{"name", r.name},       {"kind", r.kind},     {"settings", r.settings}, {"digest", r.digest},
          {"inputs", r.inputs},   {"outputs", r.outputs}, {"model", r.model},     {"code", r.code},
          {"seconds", r.seconds}, {"skipped", r.skipped}, {"summary", r.summary}};
}

StageRecord record_from_json(const Json& j) {
  StageRecord r;
  r.name = j.at("name").get<std::string>();
  r.kind = j.at("kind").get<std::string>();
  r.settings = j.at("settings");
  r.digest = j.at("digest").get<std::string>();
  r.inputs = j.at("inputs").get<std::map<std::string, std::string>>();
  r.outputs = j.at("outputs").get<std::map<std::string, std::string>>();
  r.model = j.at("model").get<std::string>();
  r.code = j.at("code").get<std::string>();
  r.seconds = j.at("seconds").get<double>();
  r.skipped = j.at("skipped").get<bool>();
  r.summary = j.at("summary");
  return r;
}

namespace {

constexpr const char* kRecordFile = "stage.json";

std::string bundle_path(const fs::path& p, const fs::path& bundle) { return fs::relative(p, bundle).generic_string(); }

// Every regular file under `dir` except the stage record, bundle-relative, with its digest.
std::map<std::string, std::string> digest_tree(const fs::path& dir, const fs::path& bundle) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != kRecordFile) out[bundle_path(e.path(), bundle)] = file_digest(e.path());
  return out;
}

bool outputs_intact(const StageRecord& r, const fs::path& bundle) {
  for (const auto& [file, sha] : r.outputs)
    if (!fs::is_regular_file(bundle / file) || file_digest(bundle / file) != sha) return false;
  return true;
}

// What a stage's result depends on: the tool, the pipeline-wide settings, its own settings and
// the exact bytes of its inputs.
std::string stage_digest(const PipelineSpec& p, const StageSpec& s, const std::map<std::string, std::string>& inputs) {
  const Json j{{"tool", kToolVersion}, {"seed", p.seed}, {"eval_data", p.eval_data}, {"eval_samples", p.eval_samples},
               {"kind", to_string(s.kind)}, {"settings", s.settings}, {"inputs", inputs}};
  return sha256_hex(j.dump());
}

std::string stage_folder(std::size_t i, const StageSpec& s) {
  std::ostringstream name;
  name << std::setw(2) << std::setfill('0') << i + 1 << "-" << s.name;
  return name.str();
}

struct Latest {
  fs::path model, code;
};

std::map<std::string, std::string> stage_inputs(const Latest& latest, const fs::path& bundle) {
  std::map<std::string, std::string> in;
  if (!latest.model.empty()) in[bundle_path(latest.model, bundle)] = file_digest(latest.model);
  if (!latest.code.empty())
    for (const auto& [file, sha] : digest_tree(latest.code, bundle)) in[file] = sha;
  return in;
}

}  // namespace

RunResult run_pipeline(const RunRequest& rq) {
  const PipelineSpec spec = load_pipeline(rq.pipeline);
  const fs::path bundle = rq.bundle;
  fs::create_directories(bundle / "stages");
  // From here until the end the bundle is incomplete: without a manifest `check` rejects it.
  fs::remove(bundle / kManifestFile);
  RunResult result;
  Latest latest;
  bool invalidated = false;
  for (std::size_t i = 0; i < spec.stages.size(); ++i) {
    const StageSpec& s = spec.stages[i];
    const fs::path dir = bundle / "stages" / stage_folder(i, s);
    StageRecord r;
    r.name = s.name;
    r.kind = to_string(s.kind);
    r.settings = s.settings;
    r.inputs = stage_inputs(latest, bundle);
    // Data files are inputs too: a changed CSV re-runs the stages that read it.
    for (const char* key : {"data", "calib_data"})
      if (s.settings.contains(key))
        if (const std::string f = s.settings[key].get<std::string>(); !f.empty() && fs::is_regular_file(f))
          r.inputs["data:" + f] = file_digest(f);
    r.digest = stage_digest(spec, s, r.inputs);
    if (!invalidated && fs::is_regular_file(dir / kRecordFile)) {
      try {
        StageRecord old = record_from_json(Json::parse(read_file((dir / kRecordFile).string())));
        if (old.digest == r.digest && outputs_intact(old, bundle)) {
          old.skipped = true;
          r = std::move(old);
        }
      } catch (const std::exception&) {
        // An unreadable record is a stage to run again.
      }
    }
    if (rq.on_start) rq.on_start(s, i, spec.stages.size());
    if (!r.skipped) {
      invalidated = true;
      fs::remove_all(dir);
      fs::create_directories(dir);
      StageContext context{&spec, dir, latest.model, latest.code};
      const auto start = std::chrono::steady_clock::now();
      StageOutcome out;
      try {
        out = run_stage(s, context);
      } catch (const InputError& e) {
        out.exit_code = 2;
        out.reason = e.what();
      } catch (const InternalError& e) {
        out.exit_code = 4;
        out.reason = std::string("internal error: ") + e.what();
      }
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      r.summary = out.summary;
      if (out.exit_code != 0) {
        result.stages.push_back(r);
        result.exit_code = out.exit_code;
        result.failed_stage = s.name;
        result.reason = out.reason;
        return result;
      }
      if (!out.model.empty()) r.model = bundle_path(out.model, bundle);
      if (!out.code.empty()) r.code = bundle_path(out.code, bundle);
      r.outputs = digest_tree(dir, bundle);
      write_file_atomic((dir / kRecordFile).string(), to_json(r).dump(2) + "\n");
    }
    if (!r.model.empty()) latest.model = bundle / r.model;
    if (!r.code.empty()) latest.code = bundle / r.code;
    result.stages.push_back(r);
    if (rq.on_stage) rq.on_stage(r, i, spec.stages.size());
  }
  result.manifest = write_bundle(spec, rq.pipeline, bundle, result.stages);
  return result;
}

}  // namespace nncert::pipeline
