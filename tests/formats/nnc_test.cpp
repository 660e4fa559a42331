// The .nnc file (DESIGN §5, §8): bit-exact round trips, atomic saves, and that any bytes at all
// (truncated, corrupted, hand-crafted to lie about sizes) give a Model or an InputError naming
// the file, never a crash or an allocation sized by a header.
#include "formats/nnc.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/core/qsemantics.hpp"
#include "formats/atomic_file.hpp"
#include "tests/qvip_example.hpp"
#include "tests/core/random_nets.hpp"
#include "tests/test_support.hpp"

#include "nnc_generated.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <typeinfo>

namespace nncert {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using test::TempDir;

// ---- models -------------------------------------------------------------------------------

using test::qvip_example_2_2;

// Every layer kind, a provably int32 QNetwork, and values whose bits a careless writer loses:
// -0.0 (equal to the 0.0 default), a subnormal, strings with a NUL and non-ASCII bytes.
Model full_model(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Model m;
  m.network = test::random_float_network(rng, {4, 6, 5, 3});
  std::get<Dense>(m.network.layers[1]).W(0, 0) = -0.0;
  std::get<Dense>(m.network.layers[1]).b(1) = 4.9e-324;
  m.qnetwork = qvip_example_2_2();
  m.qnetwork->layers[1].b = {-3, 5};
  m.qnetwork->layers[0].cb = QConfig{true, 12, 8};
  m.qnetwork->accumulator = AccumulatorType::Int32;
  m.provenance = {"onnx:model.onnx", "fashion-mnist", std::string(64, 'a'),
                  "{\"lr\": 0.01, \"note\": \"caf\xc3\xa9\"}\0tail"s, 0xfedcba9876543210ull};
  m.certificates.push_back({"robust linf:2 sample 17", "ilp-compact/cbc", "verified", 2.0, 0.125, "nncert 0.1.0",
                            digest(*m.qnetwork), "quantized"});
  m.certificates.push_back({"vnnlib:prop_1.vnnlib", "deeppoly", "unknown", -0.0, 4.9e-324, "nncert 0.1.0",
                            digest(m.network), "float"});
  return m;
}

// Small enough to try every prefix and to seed the fuzzer.
Model tiny_model() {
  Model m;
  m.network.input_size = 2;
  Matrix w1(2, 2), w2(1, 2);
  w1 << 1, -1, 0.5, 2;
  w2 << 1, 1;
  m.network.layers = {Dense{w1, Vector::Constant(2, 0.25)}, ReLU{}, Dense{w2, Vector::Zero(1)}};
  m.provenance.source = "test";
  return m;
}

Model quantized_tiny_model() {
  Model m;
  m.network.input_size = 2;
  Matrix w(2, 2);
  w << 0.5625, -1.25, 1.5, 1.0625;
  m.network.layers = {Normalize{Vector::Zero(2), Vector::Ones(2)}, Dense{w, Vector::Zero(2)}, ReLU{},
                      BatchNorm{Vector::Ones(2), Vector::Zero(2), Vector::Zero(2), Vector::Ones(2), 1e-5}};
  m.qnetwork = qvip_example_2_2();
  m.qnetwork->accumulator = AccumulatorType::Int32;
  m.certificates.push_back({"robust linf:1 sample 0", "ilp-compact/glpk", "verified", 1, 0.01, "nncert 0.1.0",
                            digest(*m.qnetwork), "quantized"});
  return m;
}

// ---- exact comparison ---------------------------------------------------------------------

// Bit patterns, not values: -0.0 must stay -0.0.
bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

template <class M>
void expect_same_bits(const M& a, const M& b, const std::string& what) {
  ASSERT_EQ(a.rows(), b.rows()) << what;
  ASSERT_EQ(a.cols(), b.cols()) << what;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i)
      EXPECT_TRUE(same_bits(a(i, j), b(i, j))) << what << " (" << i << "," << j << ")";
}

void expect_same_layer(const Layer& a, const Layer& b, const std::string& where) {
  ASSERT_EQ(a.index(), b.index()) << where;
  if (const auto* d = std::get_if<Dense>(&a)) {
    expect_same_bits(d->W, std::get<Dense>(b).W, where + " W");
    expect_same_bits(d->b, std::get<Dense>(b).b, where + " b");
  } else if (const auto* bn = std::get_if<BatchNorm>(&a)) {
    const auto& o = std::get<BatchNorm>(b);
    expect_same_bits(bn->gamma, o.gamma, where + " gamma");
    expect_same_bits(bn->beta, o.beta, where + " beta");
    expect_same_bits(bn->mean, o.mean, where + " mean");
    expect_same_bits(bn->var, o.var, where + " var");
    EXPECT_TRUE(same_bits(bn->eps, o.eps)) << where;
  } else if (const auto* n = std::get_if<Normalize>(&a)) {
    expect_same_bits(n->mean, std::get<Normalize>(b).mean, where + " mean");
    expect_same_bits(n->std, std::get<Normalize>(b).std, where + " std");
  }
}

void expect_same_qnetwork(const QNetwork& a, const QNetwork& b) {
  EXPECT_EQ(a.input_size, b.input_size);
  EXPECT_EQ(a.cx, b.cx);
  EXPECT_EQ(a.accumulator, b.accumulator);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    const QLayer &x = a.layers[l], &y = b.layers[l];
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.outputs, y.outputs);
    EXPECT_EQ(x.W, y.W);
    EXPECT_EQ(x.b, y.b);
    EXPECT_EQ(x.cw, y.cw);
    EXPECT_EQ(x.cb, y.cb);
    EXPECT_EQ(x.cy, y.cy);
    EXPECT_EQ(x.relu, y.relu);
  }
}

void expect_same_model(const Model& a, const Model& b) {
  EXPECT_EQ(a.network.input_size, b.network.input_size);
  ASSERT_EQ(a.network.layers.size(), b.network.layers.size());
  for (std::size_t i = 0; i < a.network.layers.size(); ++i)
    expect_same_layer(a.network.layers[i], b.network.layers[i], "layer " + std::to_string(i));
  ASSERT_EQ(a.qnetwork.has_value(), b.qnetwork.has_value());
  if (a.qnetwork) expect_same_qnetwork(*a.qnetwork, *b.qnetwork);
  EXPECT_EQ(a.provenance.source, b.provenance.source);
  EXPECT_EQ(a.provenance.dataset, b.provenance.dataset);
  EXPECT_EQ(a.provenance.dataset_digest, b.provenance.dataset_digest);
  EXPECT_EQ(a.provenance.training_config, b.provenance.training_config);
  EXPECT_EQ(a.provenance.seed, b.provenance.seed);
  ASSERT_EQ(a.certificates.size(), b.certificates.size());
  for (std::size_t i = 0; i < a.certificates.size(); ++i) {
    const Certificate &x = a.certificates[i], &y = b.certificates[i];
    EXPECT_EQ(x.property, y.property);
    EXPECT_EQ(x.method, y.method);
    EXPECT_EQ(x.verdict, y.verdict);
    EXPECT_TRUE(same_bits(x.bound, y.bound));
    EXPECT_TRUE(same_bits(x.seconds, y.seconds));
    EXPECT_EQ(x.tool_version, y.tool_version);
    EXPECT_EQ(x.weights_digest, y.weights_digest);
    EXPECT_EQ(x.network, y.network);
  }
}

// ---- error expectations -------------------------------------------------------------------

// Runs `load`; it must throw InputError whose message names `file` and contains `needle`.
void expect_input_error(const std::function<void()>& load, const std::string& file, const std::string& needle) {
  try {
    load();
    ADD_FAILURE() << "accepted; expected an InputError about: " << needle;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

void expect_rejected(const std::string& bytes, const std::string& needle) {
  expect_input_error([&] { parse_nnc(bytes, "bad.nnc"); }, "bad.nnc", needle);
}

// ---- hand-built files (what our writer refuses or cannot produce) --------------------------

using Builder = flatbuffers::FlatBufferBuilder;

std::string finish_raw(Builder& fbb, flatbuffers::Offset<fb::Network> net,
                       flatbuffers::Offset<fb::QNetwork> qnet = {}, std::uint32_t version = 1) {
  const auto prov = fb::CreateProvenance(fbb);
  fb::FinishModelBuffer(fbb, fb::CreateModel(fbb, version, net, qnet, prov));
  return {reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()};
}

// One Dense layer whose header says rows x cols but whose arrays hold w_len and b_len values.
std::string raw_dense(std::uint64_t input, std::uint64_t rows, std::uint64_t cols, std::size_t w_len,
                      std::size_t b_len) {
  Builder fbb;
  const auto w = fbb.CreateVector(std::vector<double>(w_len, 0.5));
  const auto b = fbb.CreateVector(std::vector<double>(b_len, 0.0));
  const auto layer = fb::CreateLayer(fbb, fb::LayerKind::Dense, fb::CreateDense(fbb, rows, cols, w, b).Union());
  return finish_raw(fbb, fb::CreateNetwork(fbb, input, fbb.CreateVector(std::vector{layer})));
}

// ---- round trip ---------------------------------------------------------------------------

TEST(Nnc, RoundTripIsBitExact) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const Model m = full_model(seed);
    ASSERT_EQ(check_network(m.network), "");
    ASSERT_EQ(check_qnetwork(*m.qnetwork), "");
    const std::string bytes = serialize_nnc(m);
    const Model back = parse_nnc(bytes, "mem.nnc");
    expect_same_model(m, back);
    EXPECT_EQ(digest(back.network), digest(m.network));
    EXPECT_EQ(digest(*back.qnetwork), digest(*m.qnetwork));
    EXPECT_EQ(serialize_nnc(back), bytes) << "serialization should be deterministic";
  }
}

TEST(Nnc, RoundTripWithoutQNetworkOrCertificates) {
  const Model m = tiny_model();
  const Model back = parse_nnc(serialize_nnc(m), "mem.nnc");
  expect_same_model(m, back);
  EXPECT_FALSE(back.qnetwork.has_value());
}

TEST(Nnc, SaveAndLoadThroughAFile) {
  TempDir dir;
  const std::string path = (dir / "model.nnc").string();
  const Model m = full_model(7);
  save_nnc(m, path);
  expect_same_model(m, load_nnc(path));
}

// ---- atomic saves -------------------------------------------------------------------------

std::vector<std::string> folder_entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

TEST(Nnc, SaveReplacesAnExistingFileAndLeavesNoTemporaries) {
  TempDir dir;
  const std::string path = (dir / "model.nnc").string();
  write_file_atomic(path, "old contents");
  save_nnc(tiny_model(), path);
  expect_same_model(tiny_model(), load_nnc(path));
  EXPECT_EQ(folder_entries(dir.path()), std::vector<std::string>{"model.nnc"});
}

TEST(Nnc, SaveIntoAMissingFolderFailsCleanly) {
  TempDir dir;
  const std::string path = (dir / "no-such-folder" / "model.nnc").string();
  expect_input_error([&] { save_nnc(tiny_model(), path); }, path, "write");
  EXPECT_FALSE(fs::exists(path));
}

TEST(Nnc, FailedSaveLeavesTheExistingTargetUnchanged) {
  TempDir dir;
  const std::string path = (dir / "model.nnc").string();
  save_nnc(tiny_model(), path);
  const std::string before = read_file(path);
  Model bad = quantized_tiny_model();
  bad.qnetwork->layers[0].W[0] = std::int64_t{1} << 40;  // cannot be stored: no valid model has it
  EXPECT_THROW(save_nnc(bad, path), InternalError);
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(folder_entries(dir.path()), std::vector<std::string>{"model.nnc"});
}

// ---- any bytes: a Model or an InputError ---------------------------------------------------

TEST(Nnc, EveryTruncationIsRejected) {
  for (const Model& m : {tiny_model(), quantized_tiny_model()}) {
    const std::string bytes = serialize_nnc(m);
    ASSERT_NO_THROW(parse_nnc(bytes, "whole.nnc"));
    for (std::size_t n = 0; n < bytes.size(); ++n)
      expect_input_error([&] { parse_nnc(bytes.substr(0, n), "cut.nnc"); }, "cut.nnc", "");
  }
}

// Single-byte corruptions either still describe a valid model or are rejected; the sanitizer
// build is what turns "never crashes" into a real check.
TEST(Nnc, FlippedBytesLoadOrThrowInputError) {
  std::mt19937_64 rng(99);
  int loaded = 0, rejected = 0;
  for (const Model& m : {tiny_model(), quantized_tiny_model(), full_model(5)}) {
    const std::string bytes = serialize_nnc(m);
    std::uniform_int_distribution<std::size_t> pos(0, bytes.size() - 1);
    std::uniform_int_distribution<int> mask(1, 255);
    for (int trial = 0; trial < 200; ++trial) {
      std::string corrupt = bytes;
      const std::size_t at = pos(rng);
      corrupt[at] = static_cast<char>(corrupt[at] ^ mask(rng));
      try {
        parse_nnc(corrupt, "flip.nnc");
        ++loaded;
      } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("flip.nnc"), std::string::npos) << e.what();
        ++rejected;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "byte " << at << ": unexpected " << typeid(e).name() << ": " << e.what();
      }
    }
  }
  // Both outcomes should occur, or the corruption is not reaching the interesting parts.
  EXPECT_GT(loaded, 0);
  EXPECT_GT(rejected, 0);
}

TEST(Nnc, WrongIdentifierIsRejected) {
  std::string bytes = serialize_nnc(tiny_model());
  bytes.replace(4, 4, "ONNX");
  expect_rejected(bytes, "NNC1");
}

TEST(Nnc, MissingAndEmptyFilesAreRejected) {
  TempDir dir;
  const std::string missing = (dir / "missing.nnc").string();
  expect_input_error([&] { load_nnc(missing); }, missing, "no such file");
  const std::string empty = (dir / "empty.nnc").string();
  write_file_atomic(empty, "");
  expect_input_error([&] { load_nnc(empty); }, empty, "empty");
}

TEST(Nnc, NaNWeightIsRejected) {
  Model m = tiny_model();
  std::get<Dense>(m.network.layers[2]).W(0, 1) = std::numeric_limits<double>::quiet_NaN();
  expect_rejected(serialize_nnc(m), "NaN");
}

TEST(Nnc, WeightCountMustMatchRowsTimesCols) {
  expect_rejected(raw_dense(2, 2, 2, 3, 2), "weight array has 3 entries");
  expect_rejected(raw_dense(2, 2, 2, 4, 3), "bias has 3 entries");
  expect_rejected(raw_dense(2, 0, 2, 0, 0), "expected rows x cols");
}

TEST(Nnc, DenseColumnsMustMatchThePreviousWidth) {
  Model m = tiny_model();
  m.network.input_size = 3;
  expect_rejected(serialize_nnc(m), "columns, expected 3");
}

TEST(Nnc, AbsurdHeaderSizesAreRejectedBeforeAllocating) {
  expect_rejected(raw_dense(1, std::uint64_t{1} << 40, 1, 4, 4), "expected rows x cols");
  // rows * cols wraps to 0 and to 2 in 64 bits: the check must not be fooled by overflow.
  expect_rejected(raw_dense(1, std::uint64_t{1} << 32, std::uint64_t{1} << 32, 0, 0), "expected rows x cols");
  expect_rejected(raw_dense(1, 2, (std::uint64_t{1} << 63) + 1, 2, 2),
                  "expected rows x cols");
  Builder fbb;
  expect_rejected(finish_raw(fbb, fb::CreateNetwork(fbb, std::uint64_t{1} << 62)), "input size");
}

TEST(Nnc, QLayerSizesCannotOverflow) {
  // outputs x inputs = 2 x (2^63 + 1) wraps to 2 = the number of weights.
  Builder fbb;
  const fb::QConfig c(true, 8, 0);
  const auto w = fbb.CreateVector(std::vector<std::int32_t>{1, 2}), b = fbb.CreateVector(std::vector<std::int32_t>{0, 0});
  const std::uint64_t huge = (std::uint64_t{1} << 63) + 1;
  const auto layer = fb::CreateQLayer(fbb, huge, 2, w, b, &c, &c, &c, false);
  const auto qnet = fb::CreateQNetwork(fbb, 1, &c, fbb.CreateVector(std::vector{layer}));
  const auto net = fb::CreateNetwork(fbb, 1);
  expect_rejected(finish_raw(fbb, net, qnet), "expected outputs x inputs");
}

TEST(Nnc, SharedPayloadsCannotAmplifyMemory) {
  // One 64x64 Dense referenced 2000 times: a 33 KB file that would expand to 65 MB.
  Builder fbb;
  const auto w = fbb.CreateVector(std::vector<double>(64 * 64, 0.01));
  const auto b = fbb.CreateVector(std::vector<double>(64, 0.0));
  const auto layer = fb::CreateLayer(fbb, fb::LayerKind::Dense, fb::CreateDense(fbb, 64, 64, w, b).Union());
  const auto layers = fbb.CreateVector(std::vector(2000, layer));
  expect_rejected(finish_raw(fbb, fb::CreateNetwork(fbb, 64, layers)), "beyond the file size");
}

TEST(Nnc, UnknownLayerKindAndNewerVersionAreRejected) {
  {
    Builder fbb;
    const auto layer = fb::CreateLayer(fbb, static_cast<fb::LayerKind>(9), fb::CreateReLU(fbb).Union());
    expect_rejected(finish_raw(fbb, fb::CreateNetwork(fbb, 2, fbb.CreateVector(std::vector{layer}))),
                    "unknown layer kind 9");
  }
  {
    Builder fbb;
    expect_rejected(finish_raw(fbb, fb::CreateNetwork(fbb, 2), {}, 2), "newer");
  }
  {
    Builder fbb;
    expect_rejected(finish_raw(fbb, fb::CreateNetwork(fbb, 2), {}, 0), "format_version");
  }
}

TEST(Nnc, OffGridQuantizedWeightIsRejected) {
  Model m = quantized_tiny_model();
  m.qnetwork->layers[1].W[2] = 100;  // <signed,6,4> holds -32..31
  expect_rejected(serialize_nnc(m), "off the grid");
}

TEST(Nnc, Int32AccumulatorClaimMustBeProvable) {
  // 16-bit weights times 16-bit inputs over 4 inputs: |acc| reaches about 2^32.
  const QConfig c16{true, 16, 0};
  Model m = tiny_model();
  QNetwork q;
  q.input_size = 4;
  q.cx = c16;
  q.layers.push_back(QLayer{4, 1, {32767, -32768, 32767, -32768}, {0}, c16, c16, c16, false});
  ASSERT_EQ(check_qnetwork(q), "");
  ASSERT_GE(accumulator_bound(q), std::int64_t{1} << 31);
  q.accumulator = AccumulatorType::Int64;
  m.qnetwork = q;
  EXPECT_NO_THROW(parse_nnc(serialize_nnc(m), "int64.nnc"));
  m.qnetwork->accumulator = AccumulatorType::Int32;
  expect_rejected(serialize_nnc(m), "int32");
}

// ---- fuzzer seed corpus -------------------------------------------------------------------

// The committed seeds must stay valid as the schema evolves, or the fuzzer starts from noise.
TEST(Nnc, SeedCorpusLoads) {
  const fs::path corpus = test::source_dir() / "fuzz" / "corpus" / "nnc";
  if (!fs::exists(corpus)) GTEST_SKIP() << "fuzz/corpus/nnc is absent";
  int files = 0;
  for (const auto& e : fs::directory_iterator(corpus)) {
    EXPECT_NO_THROW(load_nnc(e.path().string())) << e.path();
    ++files;
  }
  EXPECT_GT(files, 0);
}

// Regenerates the seeds: NNCERT_WRITE_NNC_CORPUS=<folder> formats_nnc_test --gtest_filter=*WriteSeed*
TEST(Nnc, WriteSeedCorpus) {
  const char* out = std::getenv("NNCERT_WRITE_NNC_CORPUS");
  if (!out) GTEST_SKIP() << "set NNCERT_WRITE_NNC_CORPUS to a folder to regenerate the seeds";
  save_nnc(tiny_model(), (fs::path(out) / "tiny_float.nnc").string());
  save_nnc(quantized_tiny_model(), (fs::path(out) / "tiny_quantized.nnc").string());
}

}  // namespace
}  // namespace nncert
