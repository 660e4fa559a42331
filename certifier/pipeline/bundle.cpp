#include "certifier/pipeline/bundle.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/core/version.hpp"
#include "certifier/pipeline/code_folder.hpp"
#include "certifier/pipeline/report.hpp"
#include "conform/conformance.hpp"
#include "formats/atomic_file.hpp"
#include "formats/model_file.hpp"

#include <algorithm>
#include <map>

namespace nncert::pipeline {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr const char* kModelFile = "model.nnc";
constexpr const char* kCodeFolder = "code";
constexpr const char* kReportFile = "report.html";
constexpr std::size_t kCheckVectors = 200;

// Property digests of the verification stages' samples, by property text.
std::map<std::string, std::string> property_digests(const std::vector<StageRecord>& stages) {
  std::map<std::string, std::string> out;
  for (const StageRecord& r : stages)
    if (r.summary.contains("samples"))
      for (const Json& row : r.summary["samples"])
        if (row.contains("property_digest"))
          out[row["property"].get<std::string>()] = row["property_digest"].get<std::string>();
  return out;
}

Json certificates_json(const Model& m, const std::vector<StageRecord>& stages) {
  const auto digests = property_digests(stages);
  Json out = Json::array();
  for (const Certificate& c : m.certificates) {
    const auto d = digests.find(c.property);
    out.push_back({{"property", c.property}, {"method", c.method}, {"verdict", c.verdict}, {"bound", c.bound},
                   {"seconds", c.seconds}, {"tool_version", c.tool_version}, {"weights_digest", c.weights_digest},
                   {"network", c.network},
                   {"property_digest", d != digests.end() ? d->second : sha256_hex(c.property)}});
  }
  return out;
}

void copy_file_atomic(const fs::path& from, const fs::path& to) { write_file_atomic(to.string(), read_file(from.string())); }

}  // namespace

Json write_bundle(const PipelineSpec& spec, const std::string& pipeline_file, const fs::path& bundle,
                  const std::vector<StageRecord>& stages) {
  std::string model_rel, code_rel;
  for (const StageRecord& r : stages) {
    if (!r.model.empty()) model_rel = r.model;
    if (!r.code.empty()) code_rel = r.code;
  }
  Json files = Json::object();
  const Model m = load_model((bundle / model_rel).string());
  copy_file_atomic(bundle / model_rel, bundle / kModelFile);
  files[kModelFile] = file_digest(bundle / kModelFile);
  Json manifest{{"format", kBundleFormat},
                {"tool_version", kToolVersion},
                {"pipeline", {{"name", spec.name}, {"file", fs::path(pipeline_file).filename().string()},
                              {"sha256", file_digest(pipeline_file)}, {"seed", spec.seed},
                              {"eval_data", spec.eval_data}, {"eval_samples", spec.eval_samples}}},
                {"stages", Json::array()}};
  for (const StageRecord& r : stages) manifest["stages"].push_back(to_json(r));
  manifest["model"] = {{"file", kModelFile}, {"float_digest", digest(m.network)},
                       {"qnetwork_digest", m.qnetwork ? digest(*m.qnetwork) : ""}};
  fs::remove_all(bundle / kCodeFolder);
  if (!code_rel.empty()) {
    fs::create_directories(bundle / kCodeFolder);
    const CodeOnDisk code = read_code(bundle / code_rel);
    Json code_files = Json::array();
    for (const auto& f : code.generated.files) {
      const fs::path to = bundle / kCodeFolder / f.name;
      write_file_atomic(to.string(), f.text);
      const std::string rel = std::string(kCodeFolder) + "/" + f.name;
      files[rel] = file_digest(to);
      code_files.push_back(rel);
    }
    manifest["code"] = {{"folder", kCodeFolder}, {"name", code.options.name}, {"files", code_files},
                        {"qnetwork_digest", manifest["model"]["qnetwork_digest"]}};
  }
  manifest["certificates"] = certificates_json(m, stages);
  write_file_atomic((bundle / kReportFile).string(), render_report(manifest));
  files[kReportFile] = file_digest(bundle / kReportFile);
  manifest["files"] = files;
  write_file_atomic((bundle / kManifestFile).string(), manifest.dump(2) + "\n");
  return manifest;
}

namespace {

void check_digests(const fs::path& bundle, const std::map<std::string, std::string>& files, CheckResult& out) {
  for (const auto& [file, sha] : files) {
    ++out.checked_files;
    if (!fs::is_regular_file(bundle / file)) {
      out.problems.push_back((bundle / file).string() + ": missing (the manifest lists it)");
      continue;
    }
    const std::string actual = file_digest(bundle / file);
    if (actual != sha)
      out.problems.push_back((bundle / file).string() + ": sha256 " + actual.substr(0, 16) +
                             "... differs from the manifest's " + sha.substr(0, 16) + "...");
  }
}

// The certificates the manifest states are the .nnc's, about its exact weights.
void check_certificates(const Json& manifest, const Model& m, CheckResult& out) {
  const std::string qd = m.qnetwork ? digest(*m.qnetwork) : "", fd = digest(m.network);
  for (const Json& c : manifest.at("certificates")) {
    ++out.certificates;
    const std::string property = c.at("property").get<std::string>(), weights = c.at("weights_digest").get<std::string>();
    const bool in_model = std::any_of(m.certificates.begin(), m.certificates.end(), [&](const Certificate& k) {
      return k.property == property && k.weights_digest == weights && k.verdict == c.at("verdict").get<std::string>();
    });
    if (!in_model) out.problems.push_back("certificate \"" + property + "\" is not in model.nnc");
    if (weights != qd && weights != fd)
      out.problems.push_back("certificate \"" + property + "\" is about weights " + weights.substr(0, 16) +
                             "..., neither the QNetwork nor the float network of model.nnc");
  }
}

// code <-> QNetwork: the shipped code is what codegen makes of the QNetwork, and it computes the
// reference evaluator's integers on the host.
void check_code(const fs::path& bundle, const Json& manifest, const Model& m, CheckResult& out) {
  if (!manifest.contains("code")) return;
  const CodeOnDisk shipped = read_code(bundle / manifest["code"]["folder"].get<std::string>());
  codegen::Options o = shipped.options;
  bool dense = false;
  for (const Json& s : manifest.at("stages"))
    if (s.at("kind") == "codegen") dense = s.at("settings").at("dense").get<bool>();
  o.allow_sparse = !dense;
  const codegen::Generated fresh = codegen::generate(m, o);
  for (const auto& f : fresh.files) {
    const auto same = std::find_if(shipped.generated.files.begin(), shipped.generated.files.end(),
                                   [&](const codegen::GeneratedFile& g) { return g.name == f.name; });
    if (same == shipped.generated.files.end() || same->text != f.text)
      out.problems.push_back((bundle / "code" / f.name).string() +
                             ": differs from the code generated from model.nnc's QNetwork");
  }
  conform::ConformRequest request;
  request.targets = conform::choose_targets("host");
  const std::uint64_t seed = manifest.at("pipeline").at("seed").get<std::uint64_t>();
  const conform::Vectors v = conform::make_vectors(*m.qnetwork, {kCheckVectors, "", "", seed});
  conform::ConformReport r;
  try {
    r = conform::run_conformance(*m.qnetwork, shipped.generated, shipped.options, v, request);
  } catch (const InternalError& e) {  // shipped code that no longer builds or runs
    out.problems.push_back(std::string("conform on host: ") + e.what());
    return;
  }
  out.conform_vectors = v.x.size();
  out.conform_mismatches = r.mismatches;
  if (r.mismatches)
    out.problems.push_back("conform on host: " + std::to_string(r.mismatches) + " of " + std::to_string(v.x.size()) +
                           " vectors differ from the reference evaluator (" + r.targets.front().first_mismatch + ")");
}

}  // namespace

CheckResult check_bundle(const fs::path& bundle) {
  const fs::path file = bundle / kManifestFile;
  if (!fs::is_regular_file(file))
    throw InputError(file.string(), "file", "missing: not a finished bundle (the pipeline did not complete)");
  Json manifest;
  try {
    manifest = Json::parse(read_file(file.string()));
    if (manifest.at("format") != kBundleFormat) throw InputError(file.string(), "format", std::string("expected ") + kBundleFormat);
  } catch (const Json::exception& e) {
    throw InputError(file.string(), "json", std::string("expected a bundle manifest: ") + e.what());
  }
  CheckResult out;
  try {
    check_digests(bundle, manifest.at("files").get<std::map<std::string, std::string>>(), out);
    for (const Json& s : manifest.at("stages"))
      check_digests(bundle, s.at("outputs").get<std::map<std::string, std::string>>(), out);
    const Model m = load_model((bundle / manifest.at("model").at("file").get<std::string>()).string());
    if (digest(m.network) != manifest["model"].at("float_digest"))
      out.problems.push_back("model.nnc: float network digest differs from the manifest's");
    if (m.qnetwork && digest(*m.qnetwork) != manifest["model"].at("qnetwork_digest"))
      out.problems.push_back("model.nnc: QNetwork digest differs from the manifest's");
    check_certificates(manifest, m, out);
    if (m.qnetwork) check_code(bundle, manifest, m, out);
  } catch (const Json::exception& e) {
    throw InputError(file.string(), "json", std::string("malformed manifest: ") + e.what());
  }
  return out;
}

}  // namespace nncert::pipeline
