// Published ground truth: a quick subset of the VNN-COMP 2021 ACAS Xu instances must never be
// answered against ../shared/data/acasxu/expected.csv (unknown within the small timeout is allowed,
// a contradiction is not). Falsified answers are replayed on the network by the verifier itself;
// here they are replayed once more, independently, through the ONNX-loaded network.
#include "certifier/verify/verifier.hpp"
#include "formats/onnx.hpp"
#include "formats/vnnlib.hpp"
#include "tests/test_support.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace nncert {
namespace {

std::map<std::pair<std::string, std::string>, std::string> expected(const std::filesystem::path& csv) {
  std::map<std::pair<std::string, std::string>, std::string> m;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::stringstream s(line);
    std::string net, prop, t, verdict;
    std::getline(s, net, ',');
    std::getline(s, prop, ',');
    std::getline(s, t, ',');
    std::getline(s, verdict, ',');
    m[{net, prop}] = verdict;
  }
  return m;
}

TEST(AcasXu, QuickSubsetHasNoContradictions) {
  NNCERT_REQUIRE_SHARED_DATA("acasxu/expected.csv");
  const auto dir = test::shared_data() / "acasxu";
  const auto truth = expected(dir / "expected.csv");
  ASSERT_EQ(truth.size(), 186u);
  const std::vector<std::pair<std::string, std::string>> subset{
      {"1_1", "prop_1"}, {"1_2", "prop_2"}, {"2_1", "prop_2"}, {"1_1", "prop_3"}, {"3_3", "prop_4"},
      {"1_1", "prop_5"}, {"1_1", "prop_6"}, {"1_9", "prop_7"}, {"2_9", "prop_8"}, {"4_5", "prop_10"}};
  int decided = 0;
  for (const auto& [n, prop] : subset) {
    const std::string net_file = "ACASXU_run2a_" + n + "_batch_2000.onnx", prop_file = prop + ".vnnlib";
    const Network net = load_onnx((dir / net_file).string());
    const Property p = property_from_vnnlib(load_vnnlib((dir / prop_file).string(), 5, 5), prop_file);
    VerifyOptions o;
    o.timeout_s = 5;
    const VerifyResult r = verify(net, p, o);
    const std::string want = truth.at({net_file, prop_file});
    if (r.verdict == Verdict::Unknown) continue;
    ++decided;
    EXPECT_EQ(r.verdict == Verdict::Verified ? "unsat" : "sat", want) << net_file << " " << prop_file;
    if (r.verdict == Verdict::Falsified) {
      ASSERT_TRUE(r.counterexample);
      const Vector y = evaluate(net, r.counterexample->x);
      bool inside = false;
      for (const auto& c : p.cases)
        for (const auto& conj : c.unsafe) inside = inside || (contains(c.box, r.counterexample->x) && satisfies(conj, y));
      EXPECT_TRUE(inside) << net_file << " " << prop_file;
    }
  }
  std::cout << decided << " of " << subset.size() << " decided within 5 s each\n";
}

}  // namespace
}  // namespace nncert
