// `verify --shard K/N` and `nncert merge`: the parts of a sharded batch are disjoint, cover it, and
// merge into exactly the single run's --json document and --results file (times aside), for the
// exact QNN verifier and the float one; a bad shard spec is exit 2.
#include "tests/pipeline/tiny_pipeline.hpp"
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace nncert {
namespace {

using test::q;
using test::run_nncert;
using test::TempDir;
using Json = nlohmann::json;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Wall-clock times differ from run to run, and each run verified its own copy of the model;
// everything else must be equal.
void drop_times(Json& j) {
  if (j.is_object()) {
    j.erase("model");
    for (const char* key : {"seconds", "median_seconds"}) j.erase(key);
    for (auto& [k, v] : j.items()) drop_times(v);
  } else if (j.is_array()) {
    for (Json& v : j) drop_times(v);
  }
}

std::string drop_result_times(const std::string& lines) {
  // model,property,verdict,seconds[,counterexample]
  const std::string t = std::regex_replace(lines, std::regex("(,(?:sat|unsat|timeout|unknown)),[0-9.e+-]+"), "$1,T");
  return std::regex_replace(t, std::regex("^[^,]*,", std::regex::multiline), "M,");
}

class ShardMerge : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = test::write_data(tmp_);
    const std::string d = "\"" + data_.string() + "\"";
    std::ofstream(tmp_ / "p.toml") << "seed = 5\n[[stage]]\nkind = \"train\"\narch = \"4:8:2\"\ndata = " << d
                                   << "\nepochs = 20\nbatch = 32\nlr = 0.01\n[[stage]]\nkind = \"quantize\"\nbits = 6\n"
                                   << "calib_data = " << d << "\n";
    const auto r = run_nncert("certify " + q(tmp_ / "p.toml") + " -o " + q(tmp_ / "b"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    model_ = tmp_ / "b" / "model.nnc";
  }
  // Each run on its own copy: a run appends its certificates to the model it verifies.
  std::filesystem::path copy(const std::string& name) {
    std::filesystem::copy_file(model_, tmp_ / name);
    return tmp_ / name;
  }

  TempDir tmp_;
  std::filesystem::path data_, model_;
};

TEST_F(ShardMerge, QuantizedShardsMergeIntoTheSingleRun) {
  const std::string batch = " --robust linf:3 --data " + q(data_) + " --samples 0:40 --timeout 30";
  const auto single = run_nncert("verify --json " + q(copy("single.nnc")) + batch + " --results " + q(tmp_ / "single.txt"));
  ASSERT_NE(single.exit_code, 2) << single.err;
  std::string parts, results;
  std::set<std::size_t> seen;
  std::size_t total = 0;
  for (int k = 1; k <= 3; ++k) {
    const std::string name = "s" + std::to_string(k);
    const auto r = run_nncert("verify --json " + q(copy(name + ".nnc")) + batch + " --shard " + std::to_string(k) + "/3" +
                              " --results " + q(tmp_ / (name + ".txt")));
    ASSERT_EQ(r.exit_code, single.exit_code == 0 ? 0 : r.exit_code) << r.err;
    std::ofstream(tmp_ / (name + ".json")) << r.out;
    const Json doc = Json::parse(r.out);
    EXPECT_EQ(doc["shard"], std::to_string(k) + "/3");
    for (const Json& s : doc["samples"]) {
      EXPECT_TRUE(seen.insert(s["sample"].get<std::size_t>()).second) << "sample in two shards";
      EXPECT_EQ(s["sample"].get<std::size_t>() % 3, static_cast<std::size_t>(k - 1));
      ++total;
    }
    parts += " " + q(tmp_ / (name + ".json"));
    results += " " + q(tmp_ / (name + ".txt"));
  }
  EXPECT_EQ(total, 41u);
  // Parts in any order.
  ASSERT_EQ(run_nncert("merge" + parts + " -o " + q(tmp_ / "merged.json")).exit_code, 0);
  Json merged = Json::parse(slurp(tmp_ / "merged.json")), expected = Json::parse(single.out);
  drop_times(merged);
  drop_times(expected);
  EXPECT_EQ(merged, expected) << merged.dump(1);
  ASSERT_EQ(run_nncert("merge" + results + " -o " + q(tmp_ / "merged.txt")).exit_code, 0);
  EXPECT_EQ(drop_result_times(slurp(tmp_ / "merged.txt")), drop_result_times(slurp(tmp_ / "single.txt")));

  // A missing or doubled shard is refused.
  EXPECT_EQ(run_nncert("merge " + q(tmp_ / "s1.json") + " " + q(tmp_ / "s2.json") + " -o " + q(tmp_ / "m.json")).exit_code, 2);
  EXPECT_EQ(run_nncert("merge " + q(tmp_ / "s1.json") + " " + q(tmp_ / "s1.json") + " " + q(tmp_ / "s3.json") + " -o " +
                       q(tmp_ / "m.json")).exit_code, 2);
}

TEST_F(ShardMerge, FloatShardsMergeIntoTheSingleRun) {
  // The train stage's model has no QNetwork: verify takes the float path.
  model_ = tmp_ / "b" / "stages" / "01-train" / "model.nnc";
  const std::string batch = " --robust linf:0.02 --data " + q(data_) + " --samples 5:24 --method deeppoly --timeout 30";
  const auto single = run_nncert("verify --json " + q(copy("single.nnc")) + batch);
  ASSERT_NE(single.exit_code, 2) << single.err;
  std::string parts;
  for (int k = 2; k >= 1; --k) {
    const std::string name = "f" + std::to_string(k);
    const auto r = run_nncert("verify --json " + q(copy(name + ".nnc")) + batch + " --shard " + std::to_string(k) + "/2");
    ASSERT_NE(r.exit_code, 2) << r.err;
    std::ofstream(tmp_ / (name + ".json")) << r.out;
    parts += " " + q(tmp_ / (name + ".json"));
  }
  ASSERT_EQ(run_nncert("merge" + parts + " -o " + q(tmp_ / "merged.json")).exit_code, 0);
  Json merged = Json::parse(slurp(tmp_ / "merged.json")), expected = Json::parse(single.out);
  drop_times(merged);
  drop_times(expected);
  EXPECT_EQ(merged, expected) << merged.dump(1);
  EXPECT_EQ(merged["samples"].size(), 20u);
}

TEST(ShardSpec, BadSpecsAreExitTwo) {
  TempDir tmp;
  for (const char* spec : {"3/2", "0/2", "1/0", "a/b", "2", "1/2/3", "-1/2"}) {
    const auto r = run_nncert(std::string("verify missing.nnc --robust linf:1 --data x.csv --shard ") + spec);
    EXPECT_EQ(r.exit_code, 2) << spec;
    EXPECT_NE(r.err.find("--shard"), std::string::npos) << spec << ": " << r.err;
  }
}

}  // namespace
}  // namespace nncert
