// VNN-LIB parser and result writer: the subset's constructs, grouping into input boxes, and
// the bad-input cases the issue names (each must name line:column).
#include "certifier/core/error.hpp"
#include "certifier/verify/property.hpp"
#include "formats/vnnlib.hpp"
#include "tests/test_support.hpp"

#include <gtest/gtest.h>

namespace nncert {
namespace {

const char* kDecl = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n";

TEST(Vnnlib, ParsesBoxAndDisjunctionOfConjunctions) {
  const std::string text = std::string("; comment\n") + kDecl +
                           "(assert (<= X_0 1.5))\n(assert (>= X_0 -0.5))\n(assert (and (<= X_1 2) (>= X_1 1)))\n"
                           "(assert (or (and (<= Y_0 Y_1) (>= Y_0 3)) (and (<= (+ Y_0 (* 2 Y_1)) 1e-1))))\n";
  const VnnlibSpec spec = parse_vnnlib(text, "t.vnnlib", 2, 2);
  ASSERT_EQ(spec.terms.size(), 2u);
  const Property p = property_from_vnnlib(spec, "t");
  ASSERT_EQ(p.cases.size(), 1u);
  EXPECT_DOUBLE_EQ(p.cases[0].box.lo[0], -0.5);
  EXPECT_DOUBLE_EQ(p.cases[0].box.hi[0], 1.5);
  EXPECT_DOUBLE_EQ(p.cases[0].box.lo[1], 1.0);
  EXPECT_DOUBLE_EQ(p.cases[0].box.hi[1], 2.0);
  ASSERT_EQ(p.cases[0].unsafe.size(), 2u);
  // Y_0 - Y_1 <= 0 and -Y_0 <= -3
  const Conjunction& c0 = p.cases[0].unsafe[0];
  ASSERT_EQ(c0.size(), 2u);
  EXPECT_TRUE(satisfies(c0, Vector{{3.0, 4.0}}));
  EXPECT_FALSE(satisfies(c0, Vector{{3.0, 2.0}}));
  EXPECT_FALSE(satisfies(c0, Vector{{2.0, 4.0}}));
  const Conjunction& c1 = p.cases[0].unsafe[1];
  ASSERT_EQ(c1.size(), 1u);
  EXPECT_TRUE(satisfies(c1, Vector{{0.05, 0.02}}));
  EXPECT_FALSE(satisfies(c1, Vector{{0.05, 0.03}}));
}

TEST(Vnnlib, InputDisjunctionGivesSeveralBoxes) {
  const std::string text = std::string(kDecl) +
                           "(assert (or (and (<= X_0 1) (>= X_0 0) (<= X_1 1) (>= X_1 0))"
                           " (and (<= X_0 3) (>= X_0 2) (<= X_1 1) (>= X_1 0))))\n(assert (<= Y_0 Y_1))\n";
  const Property p = property_from_vnnlib(parse_vnnlib(text, "t", 2, 2), "t");
  ASSERT_EQ(p.cases.size(), 2u);
  EXPECT_DOUBLE_EQ(p.cases[1].box.lo[0], 2.0);
  EXPECT_EQ(p.cases[1].unsafe.size(), 1u);
}

void expect_error(const std::string& text, const std::string& position, const std::string& fragment,
                  bool to_property = false) {
  try {
    const VnnlibSpec s = parse_vnnlib(text, "bad.vnnlib", 2, 2);
    if (to_property) property_from_vnnlib(s, "bad.vnnlib");
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.vnnlib"), std::string::npos) << what;
    EXPECT_NE(what.find(position), std::string::npos) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
  }
}

TEST(Vnnlib, BadInputNamesLineAndColumn) {
  const std::string d = kDecl;  // 4 lines
  expect_error(d + "(assert (<= X_7 1))\n", "line 5:13", "unknown variable");
  expect_error(d + "(assert (<= X_0))\n", "line 5:9", "at least two arguments");
  expect_error(d + "(assert (= X_0 1))\n", "line 5:10", "unsupported operator");
  expect_error(d + "(assert (<= (exp X_0) 1))\n", "line 5:14", "unsupported operator");
  expect_error("(declare-const X_5 Real)\n", "line 1:16", "beyond the network's 2 inputs");
  expect_error(d + "(assert (<= X_0 nan))\n", "line 5:17", "not finite");
  expect_error(d + "(assert (<= X_0 -inf))\n", "line 5:17", "not finite");
  expect_error(d + "(assert (<= X_0 foo))\n", "line 5:17", "unknown symbol");
  expect_error(d + "(assert (<= X_0 1e999))\n", "line 5:17", "not finite");
  expect_error(d + "(assert (<= (* X_0 X_1) 1))\n", "line 5:20", "non-linear");
  expect_error(d + "(assert (<= X_0 1)\n", "line 5:1", "never closed");
  expect_error(d + "(assert (<= X_0 1)))\n", "line 5:20", "unexpected ')'");
  expect_error(d + "(assert (<= X_0 1) (<= X_1 2))\n", "line 5:1", "exactly one formula");
  expect_error(d + "(assert (<= X_0 0))\n(assert (>= X_0 1))\n(assert (<= Y_0 0))\n", "line 6:9", "lower bound",
               true);
  expect_error(d + "(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (<= Y_0 0))\n", "line 6:9", "X_1 has no", true);
  expect_error(d + "(assert (<= X_0 Y_0))\n", "line 5:9", "mixing X and Y", true);
}

TEST(Vnnlib, ResultFileFormat) {
  EXPECT_EQ(format_vnn_result(VnnResult::Unsat), "unsat\n");
  EXPECT_EQ(format_vnn_result(VnnResult::Timeout), "timeout\n");
  EXPECT_EQ(format_vnn_result(VnnResult::Unknown), "unknown\n");
  const Vector x{{0.5, -1.0}}, y{{0.1}};
  EXPECT_EQ(format_vnn_result(VnnResult::Sat, &x, &y), "sat\n((X_0 0.5)\n (X_1 -1)\n (Y_0 0.10000000000000001))\n");
}

TEST(Vnnlib, AcasXuPropertiesParse) {
  NNCERT_REQUIRE_SHARED_DATA("acasxu/prop_1.vnnlib");
  for (int k = 1; k <= 10; ++k) {
    const auto path = test::shared_data() / "acasxu" / ("prop_" + std::to_string(k) + ".vnnlib");
    const Property p = property_from_vnnlib(load_vnnlib(path.string(), 5, 5), path.string());
    ASSERT_FALSE(p.cases.empty()) << k;
    for (const auto& c : p.cases) EXPECT_TRUE((c.box.lo.array() <= c.box.hi.array()).all()) << k;
    if (k == 6) {  // two input boxes, four output disjuncts each
      EXPECT_EQ(p.cases.size(), 2u);
      EXPECT_EQ(p.cases[0].unsafe.size(), 4u);
    }
  }
}

}  // namespace
}  // namespace nncert
