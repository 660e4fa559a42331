// Generated code against independent oracles: QVIP's published Example 2.2 trace, the
// freestanding C++11 contract of DESIGN §6, the embedded runtime copy, and the reference
// evaluator on pruned (sparse) and int64-accumulator networks.
#include "codegen/accumulator.hpp"
#include "codegen/codegen.hpp"
#include "codegen/embedded_files.hpp"
#include "tests/codegen/host_compile.hpp"
#include "tests/codegen/random_qnn.hpp"
#include "tests/qvip_example.hpp"
#include "certifier/core/error.hpp"

#include <regex>

namespace nncert {
namespace {

using test::TempDir;

Model model_of(const QNetwork& q) {
  Model m;
  m.qnetwork = q;
  return m;
}

// Builds the harness for `g` in `dir`, runs it on `xs`, returns the output rows.
std::vector<std::vector<std::int64_t>> run_harness(const codegen::Generated& g, const codegen::Options& o,
                                                   const std::filesystem::path& dir,
                                                   const std::vector<std::vector<std::int64_t>>& xs) {
  test::write_generated(g, dir);
  const auto binding = codegen::harness_binding(g, o);
  test::write_text(dir / binding.name, binding.text);
  test::write_text(dir / "conform_main.cpp", codegen::embedded("runtime/conform_main.cpp"));
  test::write_text(dir / "vectors.txt", test::vectors_text(xs));
  std::string log;
  const std::string d = "'" + dir.string() + "'";
  EXPECT_EQ(test::shell("c++ -std=c++11 -O2 -Wall -Wextra -Wpedantic -Werror -I" + d + " " + d + "/*.cpp -o " + d +
                            "/harness",
                        &log),
            0)
      << log;
  EXPECT_EQ(test::shell("cd " + d + " && ./harness > out.txt", &log), 0) << log;
  return test::parse_outputs(test::read_text(dir / "out.txt"));
}

TEST(Codegen, QvipExample22GoldenTrace) {
  // Zhang et al., ASE'22, Example 2.2: x = (10, 2) -> hidden (3, 17) -> output (8, 10).
  TempDir tmp;
  codegen::Options o;
  o.name = "example";
  const auto g = codegen::generate(model_of(test::qvip_example_2_2()), o);
  const auto rows = run_harness(g, o, tmp.path(), {{10, 2}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::int64_t>{8, 10}));
  EXPECT_EQ(g.accumulator, "int32_t");
  EXPECT_EQ(g.input_type, "uint8_t");
  // Every one of the 64 x 64 grid inputs agrees with the reference evaluator.
  std::vector<std::vector<std::int64_t>> all;
  for (std::int64_t a = 0; a < 64; ++a)
    for (std::int64_t b = 0; b < 64; ++b) all.push_back({a, b});
  TempDir tmp2;
  const auto got = run_harness(g, o, tmp2.path(), all);
  ASSERT_EQ(got.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(got[i], evaluate(test::qvip_example_2_2(), all[i])) << i;
}

TEST(Codegen, PredictUsesFirstIndexOfMaximum) {
  // Output layer copies its two inputs: ties must go to index 0, as QVIP and argmax_first do.
  QNetwork q;
  q.input_size = 2;
  q.cx = {false, 4, 0};
  q.layers.push_back(QLayer{2, 2, {1, 0, 0, 1}, {0, 0}, {true, 4, 0}, {true, 4, 0}, {true, 8, 0}, false});
  TempDir tmp;
  codegen::Options o;
  o.name = "tie";
  test::write_generated(codegen::generate(model_of(q), o), tmp.path());
  test::write_text(tmp / "main.cpp",
                   "#include \"tie.h\"\n#include <stdio.h>\nint main() {\n"
                   "  const tie_input_t a[2] = {5, 5}, b[2] = {3, 4}, c[2] = {9, 2};\n"
                   "  printf(\"%d %d %d\\n\", tie_predict(a), tie_predict(b), tie_predict(c));\n}\n");
  const std::string d = "'" + tmp.path().string() + "'";
  std::string log;
  ASSERT_EQ(test::shell("c++ -std=c++11 -Wall -Werror -I" + d + " " + d + "/*.cpp -o " + d + "/t && " + d + "/t", &log), 0)
      << log;
  EXPECT_EQ(log, "0 1 0\n");
}

TEST(Codegen, FreestandingCxx11WithoutFloatsOrLibraries) {
  std::mt19937_64 rng(7);
  const QNetwork q = test::random_qnn(rng, 16, 3);
  Model m = model_of(q);
  m.certificates.push_back({"robust linf:1 sample 3 of \"t\\est\"", "ilp/cbc", "verified", 1, 0.5, "nncert 0.1.0",
                            "abcdef0123456789abcdef", "quantized"});
  codegen::Options o;
  o.name = "fs";
  o.ns = "acme::nn";
  const auto g = codegen::generate(m, o);
  TempDir tmp;
  test::write_generated(g, tmp.path());
  for (const auto& f : g.files) {
    // Only <stdint.h>/<stddef.h> and our own files; no float types, heap or exceptions.
    std::smatch match;
    std::string rest = f.text;
    const std::regex include("#include ([<\"][^>\"]+[>\"])");
    while (std::regex_search(rest, match, include)) {
      const std::string h = match[1];
      EXPECT_TRUE(h == "<stdint.h>" || h == "<stddef.h>" || h == "\"nncert_kernels.h\"" || h == "\"fs.h\"")
          << f.name << " includes " << h;
      rest = match.suffix();
    }
    for (const char* banned : {"float", "double", "new ", "malloc", "throw", "try", "/ "})
      EXPECT_EQ(std::regex_replace(f.text, std::regex("//[^\n]*"), "").find(banned), std::string::npos)
          << f.name << " contains " << banned;
  }
  const std::string d = "'" + tmp.path().string() + "'";
  std::string log;
  EXPECT_EQ(test::shell("c++ -std=c++11 -ffreestanding -fno-exceptions -fno-rtti -O2 -Wall -Wextra -Wpedantic "
                        "-Wconversion -Wsign-conversion -Werror -c " + d + "/fs.cpp -o " + d + "/fs.o",
                        &log),
            0)
      << log;
  EXPECT_NE(g.files[1].text.find("ilp/cbc"), std::string::npos);  // certificate list embedded
  EXPECT_NE(g.files[1].text.find(g.digest), std::string::npos);
}

TEST(Codegen, EmbeddedRuntimeAndTargetFilesMatchTheSourceTree) {
  // The build regenerates the embedded copies; this fails if a file escaped its dependency list.
  ASSERT_FALSE(codegen::embedded_files().empty());
  for (const auto& f : codegen::embedded_files())
    EXPECT_EQ(f.text, test::read_text(test::source_dir() / f.path)) << f.path;
}

TEST(Codegen, SparseLayoutForPrunedLayersIsSmallerAndExact) {
  std::mt19937_64 rng(11);
  QNetwork q;
  q.input_size = 40;
  q.cx = {false, 8, 8};
  QLayer l1{40, 30, {}, std::vector<std::int64_t>(30, 3), {true, 8, 7}, {true, 8, 6}, {false, 8, 6}, true};
  QLayer l2{30, 10, {}, std::vector<std::int64_t>(10, -5), {true, 8, 7}, {true, 8, 6}, {true, 8, 6}, false};
  for (QLayer* l : {&l1, &l2})
    for (std::size_t i = 0; i < l->inputs * l->outputs; ++i)
      l->W.push_back(i % 7 == 0 ? std::uniform_int_distribution<std::int64_t>(-128, 127)(rng) : 0);
  q.layers = {l1, l2};
  codegen::Options o;
  o.name = "sparse";
  const auto g = codegen::generate(model_of(q), o);
  ASSERT_EQ(g.layers.size(), 2u);
  EXPECT_TRUE(g.layers[0].sparse);
  o.allow_sparse = false;
  const auto dense = codegen::generate(model_of(q), o);
  EXPECT_FALSE(dense.layers[0].sparse);
  EXPECT_LT(g.rom_bytes, dense.rom_bytes);
  o.allow_sparse = true;
  const auto xs = test::random_inputs(rng, q, 500);
  TempDir tmp;
  const auto got = run_harness(g, o, tmp.path(), xs);
  ASSERT_EQ(got.size(), xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(got[i], evaluate(q, xs[i])) << i;
}

TEST(Codegen, Int64AccumulatorWhenTheBoundNeedsIt) {
  // 16-bit weights and inputs, 64 wide: partial sums reach ~2^36, so int32 would overflow.
  QNetwork q;
  q.input_size = 64;
  q.cx = {false, 16, 8};
  QLayer l{64, 3, std::vector<std::int64_t>(64 * 3, 32767), {-32768, 0, 32767}, {true, 16, 8}, {true, 16, 0},
           {true, 16, 0}, false};
  for (std::size_t i = 64; i < 128; ++i) l.W[i] = i % 2 ? -32768 : 32767;
  q.layers = {l};
  const auto proof = codegen::prove_accumulator(q);
  EXPECT_FALSE(proof.fits_int32);
  EXPECT_TRUE(proof.fits_int64);
  codegen::Options o;
  o.name = "wide";
  const auto g = codegen::generate(model_of(q), o);
  EXPECT_EQ(g.accumulator, "int64_t");
  std::mt19937_64 rng(3);
  const auto xs = test::random_inputs(rng, q, 300);
  TempDir tmp;
  const auto got = run_harness(g, o, tmp.path(), xs);
  ASSERT_EQ(got.size(), xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(got[i], evaluate(q, xs[i])) << i;
}

TEST(Codegen, RejectsBadNamesAndFloatOnlyModels) {
  codegen::Options o;
  o.name = "1bad";
  EXPECT_THROW(codegen::generate(model_of(test::qvip_example_2_2()), o), InputError);
  o.name = "ok";
  o.ns = "a::1";
  EXPECT_THROW(codegen::generate(model_of(test::qvip_example_2_2()), o), InputError);
  EXPECT_THROW(codegen::generate(Model{}, codegen::Options{}), InputError);
}

}  // namespace
}  // namespace nncert
