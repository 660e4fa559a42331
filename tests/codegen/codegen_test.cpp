// Generated code against independent oracles: QVIP's published Example 2.2 trace, the
// freestanding C++11 contract of DESIGN §6, the embedded runtime copy, the reference evaluator
// on pruned (sparse) and int64-accumulator networks, and the accumulator type of the certificate.
#include "certifier/quantize/accumulator_proof.hpp"
#include "codegen/codegen.hpp"
#include "codegen/embedded_files.hpp"
#include "tests/codegen/host_compile.hpp"
#include "tests/codegen/random_qnn.hpp"
#include "tests/qvip_example.hpp"
#include "certifier/core/error.hpp"
#include "formats/nnc.hpp"

#include <regex>

namespace nncert {
namespace {

using test::TempDir;

// As `nncert quantize` leaves it: the proven accumulator type recorded in the QNetwork.
Model model_of(QNetwork q) {
  q.accumulator = prove_accumulator(q).type;
  Model m;
  m.qnetwork = q;
  return m;
}

// Builds the harness for `g` in `dir`, runs it on `xs`, returns the output rows.
std::vector<std::vector<std::int64_t>> run_harness(const codegen::Generated& g, const codegen::Options& o,
                                                   const std::filesystem::path& dir,
                                                   const std::vector<std::vector<std::int64_t>>& xs) {
  test::write_generated(g, dir);
  const auto binding = codegen::harness_binding(o);
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
  EXPECT_EQ(g.accumulator, codegen::CType::Int32);
  EXPECT_EQ(g.input_type, codegen::CType::UInt8);
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
      // <arm_acle.h>, <arm_mve.h>: the compiler's own intrinsics headers, only on Arm DSP / MVE cores.
      EXPECT_TRUE(h == "<stdint.h>" || h == "<stddef.h>" || h == "<arm_acle.h>" || h == "<arm_mve.h>" ||
                  h == "\"nncert_kernels.h\"" || h == "\"fs.h\"")
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
  const auto proof = prove_accumulator(q);
  EXPECT_EQ(proof.type, AccumulatorType::Int64);
  EXPECT_TRUE(proof.fits_int64);
  q.accumulator = proof.type;
  codegen::Options o;
  o.name = "wide";
  const auto g = codegen::generate(model_of(q), o);
  EXPECT_EQ(g.accumulator, codegen::CType::Int64);
  std::mt19937_64 rng(3);
  const auto xs = test::random_inputs(rng, q, 300);
  TempDir tmp;
  const auto got = run_harness(g, o, tmp.path(), xs);
  ASSERT_EQ(got.size(), xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(got[i], evaluate(q, xs[i])) << i;
}

// The kernels' template argument in the generated source, one per layer.
std::vector<std::string> kernel_accumulators(const std::string& source) {
  std::vector<std::string> out;
  // The accumulator is the first template argument of every kernel call (the reference kernel's
  // only one; the blocked and sparse kernels' sizes, shift and clamp follow it).
  const std::regex call("nncert_rt::dense(?:_rows|_sparse)?<([a-z0-9_]+)[,>]");
  for (auto it = std::sregex_iterator(source.begin(), source.end(), call); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

TEST(Codegen, AccumulatorTypeIsTheCertificates) {
  // Certified as quantize does, through the .nnc file (whose loader re-checks the proof), then
  // generated: every kernel must use exactly the type the certificate states.
  std::mt19937_64 rng(5);
  int int32 = 0, int64 = 0;
  for (int trial = 0; trial < 60; ++trial) {
    QNetwork q = test::random_qnn(rng, 24, 3);
    const AccumulatorCertificate cert = certify_accumulator(q, "test");
    Model m;
    m.network.input_size = q.input_size;
    m.network.layers.emplace_back(Dense{Matrix::Zero(1, static_cast<Eigen::Index>(q.input_size)), Vector::Zero(1)});
    m.qnetwork = q;
    m.certificates.push_back(cert.certificate);
    const Model back = parse_nnc(serialize_nnc(m), "certified.nnc");
    codegen::Options o;
    o.name = "cert";
    const auto g = codegen::generate(back, o);
    const std::string stated = back.certificates.at(0).property;  // "accumulator int32"
    const std::string c_type = stated.substr(stated.rfind(' ') + 1) + "_t";
    EXPECT_EQ(codegen::c_name(g.accumulator), c_type) << "trial " << trial;
    EXPECT_EQ(kernel_accumulators(g.files[1].text), std::vector<std::string>(q.layers.size(), c_type)) << trial;
    (c_type == "int32_t" ? int32 : int64) += 1;
  }
  EXPECT_GT(int32, 0);  // both kinds occur, so the comparison is not vacuous
  EXPECT_GT(int64, 0);
}

TEST(Codegen, EmitsTheNamedAccumulatorAndRefusesAnUnprovenOne) {
  // Example 2.2 is proven int32; a QNetwork naming int64 gets int64 (what it names, still exact).
  QNetwork q = test::qvip_example_2_2();
  ASSERT_EQ(prove_accumulator(q).type, AccumulatorType::Int32);
  q.accumulator = AccumulatorType::Int64;
  Model m;
  m.qnetwork = q;
  codegen::Options o;
  o.name = "named";
  const auto g = codegen::generate(m, o);
  EXPECT_EQ(g.accumulator, codegen::CType::Int64);
  EXPECT_EQ(kernel_accumulators(g.files[1].text), std::vector<std::string>(2, "int64_t"));
  // 16-bit products over 64 inputs cannot be int32: naming it is refused, not emitted.
  QNetwork wide;
  wide.input_size = 64;
  wide.cx = {false, 16, 0};
  wide.layers.push_back(QLayer{64, 1, std::vector<std::int64_t>(64, 32767), {0}, {true, 16, 0}, {true, 16, 0},
                               {true, 16, 0}, false});
  wide.accumulator = AccumulatorType::Int32;
  m.qnetwork = wide;
  EXPECT_THROW(codegen::generate(m, o), InputError);
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
