// `nncert certify` and `nncert check` end to end on a generated 4-feature dataset (seconds): the
// bundle checks; its certificates hold by enumeration of every ball point and its counterexamples
// replay; re-running resumes unchanged stages and a changed stage re-runs the rest; a changed
// byte in a generated weight, a half-run pipeline and bad pipeline files are all rejected.
#include "certifier/core/qnetwork.hpp"
#include "certifier/core/digest.hpp"
#include "formats/atomic_file.hpp"
#include "formats/model_file.hpp"
#include "tests/pipeline/tiny_pipeline.hpp"
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>

namespace nncert {
namespace {

using test::q;
using test::run_nncert;
using test::TempDir;
using test::pipeline_text;
using test::write_data;
using Json = nlohmann::json;

std::filesystem::path write_pipeline(const TempDir& tmp, const std::string& text, const std::string& name = "p.toml") {
  std::ofstream(tmp / name) << text;
  return tmp / name;
}

Json manifest(const std::filesystem::path& bundle) {
  std::ifstream in(bundle / "manifest.json");
  return Json::parse(in);
}

std::vector<std::vector<std::int64_t>> csv_rows(const std::filesystem::path& csv) {
  std::vector<std::vector<std::int64_t>> rows;
  std::ifstream in(csv);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::int64_t> r;
    std::stringstream cells(line);
    std::string c;
    while (std::getline(cells, c, ',')) r.push_back(std::stoll(c));
    rows.push_back(r);
  }
  return rows;
}

// Every integer point of the L-inf ball of radius r around x, clipped to the grid [lo, hi].
bool ball_keeps_class(const QNetwork& net, const std::vector<std::int64_t>& x, std::int64_t r, std::size_t label) {
  std::vector<std::int64_t> p(x.size());
  std::function<bool(std::size_t)> walk = [&](std::size_t k) {
    if (k == x.size()) return predict(net, p) == label;
    for (std::int64_t v = std::max(net.cx.lo(), x[k] - r); v <= std::min(net.cx.hi(), x[k] + r); ++v) {
      p[k] = v;
      if (!walk(k + 1)) return false;
    }
    return true;
  };
  return walk(0);
}

class Certify : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = write_data(tmp_);
    pipeline_ = write_pipeline(tmp_, pipeline_text(data_));
    bundle_ = tmp_ / "bundle";
  }
  test::CliResult certify() { return run_nncert("certify --json " + q(pipeline_) + " -o " + q(bundle_)); }

  TempDir tmp_;
  std::filesystem::path data_, pipeline_, bundle_;
};

TEST_F(Certify, BundleChecksAndItsVerdictsHoldByEnumeration) {
  const auto r = certify();
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const char* f : {"manifest.json", "model.nnc", "report.html", "code/tiny.cpp", "code/tiny.h", "code/nncert_kernels.h"})
    EXPECT_TRUE(std::filesystem::exists(bundle_ / f)) << f;
  const auto check = run_nncert("check --json " + q(bundle_));
  ASSERT_EQ(check.exit_code, 0) << check.err << check.out;
  EXPECT_EQ(Json::parse(check.out)["conform_mismatches"], 0);

  const Json m = manifest(bundle_);
  EXPECT_EQ(m["stages"].size(), 6u);
  const Model model = load_model((bundle_ / "model.nnc").string());
  ASSERT_TRUE(model.qnetwork);
  const auto rows = csv_rows(data_);
  std::size_t decided = 0, certificates = 0;
  for (const Json& s : m["stages"]) {
    if (s["kind"] != "verify") continue;
    for (const Json& v : s["summary"]["samples"]) {
      const std::size_t id = v["sample"];
      const std::vector<std::int64_t> x(rows[id].begin() + 1, rows[id].end());
      const std::size_t label = static_cast<std::size_t>(rows[id][0]);
      if (v["verdict"] == "verified") {
        ++decided;
        EXPECT_TRUE(ball_keeps_class(*model.qnetwork, x, 2, label)) << "sample " << id;
      } else if (v["verdict"] == "falsified") {
        ++decided;
        const std::vector<std::int64_t> cex = v["counterexample"];
        EXPECT_NE(predict(*model.qnetwork, cex), label) << "sample " << id;
        for (std::size_t k = 0; k < x.size(); ++k) EXPECT_LE(std::abs(cex[k] - x[k]), 2);
      }
    }
  }
  EXPECT_GT(decided, 0u);
  for (const Json& c : m["certificates"])
    if (c["property"].get<std::string>().rfind("robust", 0) == 0) {
      ++certificates;
      EXPECT_EQ(c["weights_digest"], m["model"]["qnetwork_digest"]);
      EXPECT_EQ(c["property_digest"].get<std::string>().size(), 64u);
    }
  EXPECT_GT(certificates, 0u);
}

TEST_F(Certify, RerunResumesAndAChangedStageRerunsTheRest) {
  ASSERT_EQ(certify().exit_code, 0);
  const Json first = manifest(bundle_);
  const auto again = certify();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const Json resumed = Json::parse(again.out);
  for (const Json& s : resumed["stages"]) EXPECT_TRUE(s["skipped"].get<bool>()) << s["name"];
  // The same deliverables, byte for byte (the report says "resumed" now, so it differs).
  Json files = manifest(bundle_)["files"], first_files = first["files"];
  files.erase("report.html");
  first_files.erase("report.html");
  EXPECT_EQ(files, first_files);

  // A new verify setting: train, prune and quantize resume; verify and everything after run.
  std::ofstream(pipeline_) << pipeline_text(data_, "encoding = \"qvip\"\n");
  const auto changed = certify();
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  const Json stages = Json::parse(changed.out)["stages"];
  ASSERT_EQ(stages.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(stages[i]["skipped"].get<bool>(), i < 3) << stages[i]["name"];
  EXPECT_EQ(run_nncert("check " + q(bundle_)).exit_code, 0);
}

// Changes one weight literal of the first weight array in the generated source by one.
void tamper_weight(const std::filesystem::path& cpp) {
  std::string text;
  {
    std::ifstream in(cpp);
    std::stringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  const std::size_t array = text.find("_w[");
  ASSERT_NE(array, std::string::npos);
  std::smatch m;
  const std::string rest = text.substr(array);
  ASSERT_TRUE(std::regex_search(rest, m, std::regex("[ \\n]([0-8]),")));
  const std::size_t at = array + static_cast<std::size_t>(m.position(1));
  text[at] = static_cast<char>(text[at] + 1);
  std::ofstream(cpp, std::ios::binary) << text;
}

TEST_F(Certify, CheckCatchesOneChangedWeightInTheCode) {
  ASSERT_EQ(certify().exit_code, 0);
  tamper_weight(bundle_ / "code" / "tiny.cpp");
  const auto r = run_nncert("check " + q(bundle_));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("tiny.cpp"), std::string::npos) << r.err;

  // Even with the manifest's digest forged to match, the code no longer is the QNetwork's.
  Json m = manifest(bundle_);
  m["files"]["code/tiny.cpp"] = sha256_hex(read_file((bundle_ / "code" / "tiny.cpp").string()));
  std::ofstream(bundle_ / "manifest.json") << m.dump(2);
  const auto forged = run_nncert("check --json " + q(bundle_));
  EXPECT_EQ(forged.exit_code, 2) << forged.err;
  const Json doc = Json::parse(forged.out);
  EXPECT_FALSE(doc["ok"].get<bool>());
  EXPECT_NE(forged.err.find("differs from the code generated from model.nnc's QNetwork"), std::string::npos) << forged.err;
}

TEST_F(Certify, AFailedStageNamesItselfAndLeavesNoCheckableBundle) {
  ASSERT_EQ(certify().exit_code, 0);
  // Radius 60 on pixel values: some sample is not robust, and require_all makes that a failure.
  std::ofstream(pipeline_) << std::regex_replace(pipeline_text(data_, "require_all = true\n"),
                                                 std::regex("linf:2"), "linf:60");
  const auto r = certify();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("stage verify failed (exit 1)"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(bundle_ / "manifest.json"));
  const auto check = run_nncert("check " + q(bundle_));
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.err.find("manifest.json"), std::string::npos) << check.err;
}

TEST_F(Certify, MissingStageInputIsExitTwoNamingTheStage) {
  std::ofstream(pipeline_) << std::regex_replace(pipeline_text(data_), std::regex("calib_data = \"[^\"]*\""),
                                                 "calib_data = \"" + (tmp_ / "absent.csv").string() + "\"");
  const auto r = certify();
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("stage quantize failed (exit 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("absent.csv"), std::string::npos) << r.err;
}

TEST(CertifyCli, BadPipelineFilesExitTwoNamingLineAndColumn) {
  TempDir tmp;
  const auto data = write_data(tmp);
  struct Case {
    std::string text, expect;
  };
  const std::string train = "[[stage]]\nkind = \"train\"\narch = \"4:2\"\n";
  const std::vector<Case> cases{
      {train + "epoch = 3\n", "p.toml: line 4:1: unknown key \"epoch\""},
      {train + "[[stage]]\nkind = \"deploy\"\n", "p.toml: line 5:8: unknown stage kind"},
      {"colour = 1\n" + train, "p.toml: line 1:1: unknown key \"colour\""},
      {train + "[[stage]]\nkind = \"codegen\"\n", "codegen needs the quantized network"},
      {train + "epochs = \"ten\"\n", "p.toml: line 4:10: expected a non-negative integer for train.epochs"},
      {"[[stage]]\nkind = \"train\"\n", "the train stage needs arch"},
      {train + "epochs = [\n", "p.toml: line"},
  };
  for (const Case& c : cases) {
    const auto p = write_pipeline(tmp, c.text);
    const auto r = run_nncert("certify " + q(p) + " -o " + q(tmp / "b"));
    EXPECT_EQ(r.exit_code, 2) << c.text;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.text << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp / "b" / "manifest.json"));
  }
  EXPECT_EQ(run_nncert("check " + q(tmp / "nothing")).exit_code, 2);
}

}  // namespace
}  // namespace nncert
