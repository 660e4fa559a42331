// Column specs (--columns): TOML parsing and its errors, per-column scaling and integer flags
// against hand-computed values, the three shuffle methods and the split sizes, and the shipped
// MANNERS-DB spec against the README's constant-predictor check (when the data is present).
#include "formats/column_spec.hpp"

#include "certifier/core/error.hpp"
#include "formats/python_random.hpp"
#include "tests/test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

namespace nncert {
namespace {

using ::testing::HasSubstr;
using test::TempDir;

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

// id, a, b, flag, y: a in 0..9, b = 10 * row, flag alternating 0/1, y = row.
std::string small_csv(const TempDir& dir, std::size_t rows = 10) {
  std::string text = "id,a,b,\"flag, quoted\",y\n";
  for (std::size_t r = 0; r < rows; ++r)
    text += std::to_string(100 + r) + "," + std::to_string(r % 10) + "," + std::to_string(10 * r) + "," +
            std::to_string(r % 2) + "," + std::to_string(r) + "\n";
  return write(dir, "small.csv", text);
}

std::string message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

ColumnSpec spec_of(const std::string& toml) { return parse_column_spec(toml, "spec.toml"); }

TEST(ColumnSpec, ScalesClampsAndFlagsColumns) {
  TempDir dir;
  const std::string csv = small_csv(dir);
  const ColumnSpec spec = spec_of(R"(
drop = ["id"]
inputs = [
  { column = "b", divide = 40, clamp = [0, 1] },
  { column = 1, divide = 2 },
  { column = "flag, quoted", binary = true },
]
targets = [{ column = "y", divide = 5 }]
)");
  const Dataset d = load_csv_columns(csv, spec);
  ASSERT_EQ(d.features(), 3u);
  ASSERT_EQ(d.size(), 10u);
  ASSERT_EQ(d.targets.rows(), 1);
  for (Eigen::Index r = 0; r < 10; ++r) {
    EXPECT_DOUBLE_EQ(d.X(0, r), std::min(1.0, 10.0 * static_cast<double>(r) / 40.0));
    EXPECT_DOUBLE_EQ(d.X(1, r), static_cast<double>(r) / 2.0);
    EXPECT_DOUBLE_EQ(d.X(2, r), static_cast<double>(r % 2));
    EXPECT_DOUBLE_EQ(d.targets(0, r), static_cast<double>(r) / 5.0);
  }
  EXPECT_EQ(d.integer_features, (std::vector<bool>{false, false, true}));
  EXPECT_FALSE(d.raw) << "rescaled columns must not keep an integer copy that disagrees with X";
  // Without a [split], every row trains, in file order.
  const DataSplit s = split_rows(d, spec.split, 0);
  EXPECT_EQ(s.train.size(), 10u);
  EXPECT_EQ(s.validation.size(), 0u);
  EXPECT_EQ(s.test.size(), 0u);
  EXPECT_EQ(s.train.integer_features, d.integer_features);
}

TEST(ColumnSpec, WithoutInputsEveryOtherColumnIsAnInput) {
  TempDir dir;
  const Dataset d = load_csv_columns(small_csv(dir), spec_of("drop = [\"id\", 2]\ntargets = [\"y\"]\n"));
  ASSERT_EQ(d.features(), 2u);  // a, flag
  EXPECT_DOUBLE_EQ(d.X(0, 3), 3.0);
  EXPECT_DOUBLE_EQ(d.X(1, 3), 1.0);
  EXPECT_DOUBLE_EQ(d.targets(0, 7), 7.0);
}

// Each row's target is its file row number, so a part's targets are the rows it holds.
std::vector<std::size_t> rows_of(const Dataset& d) {
  std::vector<std::size_t> rows;
  for (Eigen::Index i = 0; i < d.targets.cols(); ++i) rows.push_back(static_cast<std::size_t>(d.targets(0, i)));
  return rows;
}

TEST(ColumnSpec, SplitsInShuffleOrder) {
  TempDir dir;
  const std::string csv = small_csv(dir, 50);
  const std::string head = "inputs = [\"a\"]\ntargets = [\"y\"]\n[split]\n";
  const DataSplit none = load_csv_split(csv, spec_of(head + "train = 30\nvalidation = 10\ntest = 10\nshuffle = \"none\"\n"), 0);
  ASSERT_EQ(none.train.size(), 30u);
  EXPECT_EQ(rows_of(none.validation), (std::vector<std::size_t>{30, 31, 32, 33, 34, 35, 36, 37, 38, 39}));

  const DataSplit py = load_csv_split(csv, spec_of(head + "train = 0.6\nvalidation = 0.2\ntest = 0.2\nshuffle = \"python\"\nseed = 7\n"), 99);
  const auto perm = python_shuffled_indices(50, 7);  // the spec's seed wins over the argument
  std::vector<std::size_t> all = rows_of(py.train), v = rows_of(py.validation), t = rows_of(py.test);
  all.insert(all.end(), v.begin(), v.end());
  all.insert(all.end(), t.begin(), t.end());
  EXPECT_EQ(all, perm);
  EXPECT_EQ(py.train.size(), 30u);

  const std::string seeded = head + "validation = 5\ntest = 5\nshuffle = \"seeded\"\n";  // train: the rest
  const DataSplit a = load_csv_split(csv, spec_of(seeded), 1), b = load_csv_split(csv, spec_of(seeded), 1),
                  c = load_csv_split(csv, spec_of(seeded), 2);
  EXPECT_EQ(a.train.size(), 40u);
  EXPECT_EQ(rows_of(a.test), rows_of(b.test));
  EXPECT_NE(rows_of(a.test), rows_of(c.test));
  const auto order = shuffled_indices(50, 1);
  EXPECT_EQ(rows_of(a.test), std::vector<std::size_t>(order.begin() + 45, order.end()));
}

TEST(ColumnSpec, BadSpecsNameTheFileAndPosition) {
  EXPECT_THAT(message([] { spec_of("targets = [\"y\"\n"); }), HasSubstr("spec.toml: line "));
  EXPECT_THAT(message([] { spec_of("targets = [\"y\"]\nbogus = 1\n"); }),
              HasSubstr("spec.toml: line 2:1: unknown key \"bogus\""));
  EXPECT_THAT(message([] { spec_of("inputs = [\"a\"]\n"); }), HasSubstr("expected a \"targets\" array"));
  EXPECT_THAT(message([] { spec_of("targets = [{ column = \"y\", divide = 0 }]\n"); }),
              HasSubstr("spec.toml: line 1:37: expected a positive divisor"));
  EXPECT_THAT(message([] { spec_of("targets = [{ column = \"y\", clamp = [1, 0] }]\n"); }),
              HasSubstr("expected lo <= hi"));
  EXPECT_THAT(message([] { spec_of("targets = [{ column = \"y\", scale = 2 }]\n"); }), HasSubstr("unknown key \"scale\""));
  EXPECT_THAT(message([] { spec_of("targets = [1.5]\n"); }), HasSubstr("expected a column"));
  EXPECT_THAT(message([] { spec_of("targets = [\"y\"]\n[split]\ntrain = 5\n"); }), HasSubstr("at least two of"));
  EXPECT_THAT(message([] { spec_of("targets = [\"y\"]\n[split]\ntrain = 5\ntest = 2\nshuffle = \"numpy\"\n"); }),
              HasSubstr("line 5:11: expected shuffle = \"none\", \"seeded\" or \"python\""));
  EXPECT_THAT(message([] { spec_of("targets = [\"y\"]\n[split]\ntrain = 5\ntest = -2\n"); }),
              HasSubstr("non-negative integer"));
  EXPECT_THAT(message([] { load_column_spec("/nonexistent/spec.toml"); }), HasSubstr("/nonexistent/spec.toml"));
}

TEST(ColumnSpec, BadDataNamesTheCsvAndTheColumn) {
  TempDir dir;
  const std::string csv = small_csv(dir);
  EXPECT_THAT(message([&] { load_csv_columns(csv, spec_of("inputs = [\"a\"]\ntargets = [\"price\"]\n")); }),
              HasSubstr(csv + ": line 1: expected a column named \"price\""));
  EXPECT_THAT(message([&] { load_csv_columns(csv, spec_of("drop = [\"gone\"]\ntargets = [\"y\"]\n")); }),
              HasSubstr("\"gone\""));
  EXPECT_THAT(message([&] { load_csv_columns(csv, spec_of("inputs = [{ column = \"a\", binary = true }]\ntargets = [\"y\"]\n")); }),
              HasSubstr(csv + ": line 4: expected 0 or 1 in column \"a\" (declared binary), found 2"));
  EXPECT_THAT(message([&] { load_csv_columns(csv, spec_of("inputs = [{ column = \"b\", divide = 4, integer = true }]\ntargets = [\"y\"]\n")); }),
              HasSubstr("line 3: expected an integer in column \"b\""));
  const std::string ragged = write(dir, "ragged.csv", "a,y\n1,2\n3\n");
  EXPECT_THAT(message([&] { load_csv_columns(ragged, spec_of("targets = [\"y\"]\n")); }), HasSubstr("ragged.csv: 3:"));
  const std::string nan = write(dir, "nan.csv", "a,y\n1,2\nnan,3\n");
  EXPECT_THAT(message([&] { load_csv_columns(nan, spec_of("targets = [\"y\"]\n")); }), HasSubstr("nan.csv: 3:1: expected a finite number"));
  const std::string head = "inputs = [\"a\"]\ntargets = [\"y\"]\n[split]\n";
  EXPECT_THAT(message([&] { load_csv_split(csv, spec_of(head + "train = 6\nvalidation = 2\ntest = 3\n"), 0); }),
              HasSubstr("expected train + validation + test to be the 10 rows of the data, the column spec asks for 6 + 2 + 3"));
  EXPECT_THAT(message([&] { load_csv_split(csv, spec_of(head + "validation = 8\ntest = 3\n"), 0); }),
              HasSubstr("the column spec asks for"));
  EXPECT_THAT(message([&] { load_csv_split(csv, spec_of(head + "validation = 5\ntest = 5\n"), 0); }),
              HasSubstr("at least one training row"));
  EXPECT_THAT(message([&] { load_csv_split(csv, spec_of(head + "train = 0.5\nvalidation = 0.2\ntest = 0.2\n"), 0); }),
              HasSubstr("add up to 1"));
}

// The README's consistency check: the train-mean constant predictor on the seed-100 split has
// validation MSE 0.0678 and test MSE 0.0661 (dataset_stats.txt: 0.06780, 0.06607).
TEST(ColumnSpec, MannersConstantPredictor) {
  NNCERT_REQUIRE_SHARED_DATA("manners/not_normallized.csv");
  const ColumnSpec spec = load_column_spec((test::source_dir() / "examples/manners/columns.toml").string());
  const DataSplit s = load_csv_split((test::shared_data() / "manners/not_normallized.csv").string(), spec, 0);
  ASSERT_EQ(s.train.size(), 8840u);
  ASSERT_EQ(s.validation.size(), 1105u);
  ASSERT_EQ(s.test.size(), 1105u);
  ASSERT_EQ(s.train.features(), 28u);
  ASSERT_EQ(s.train.targets.rows(), 8);
  std::vector<std::size_t> binary;
  for (std::size_t k = 0; k < s.train.integer_features.size(); ++k)
    if (s.train.integer_features[k]) binary.push_back(k);
  EXPECT_EQ(binary, (std::vector<std::size_t>{0, 5, 6, 15, 16, 17, 18, 19, 20, 23, 26}));
  EXPECT_GE(s.train.X.minCoeff(), 0.0);
  EXPECT_LE(s.train.X.maxCoeff(), 1.0);
  const Vector mean = s.train.targets.rowwise().mean();
  EXPECT_NEAR(mean[1], 0.5475, 5e-5);  // mopping_the_floor, dataset_stats.txt
  const auto mse = [&](const Dataset& d) { return (d.targets.colwise() - mean).array().square().mean(); };
  EXPECT_NEAR(mse(s.validation), 0.06780, 5e-6);
  EXPECT_NEAR(mse(s.test), 0.06607, 5e-6);
}

}  // namespace
}  // namespace nncert
