// ONNX import/export: PyTorch exports against PyTorch's own outputs (tests/data/make_torch_onnx.py),
// the real ACAS Xu and QVIP networks against an independent evaluation from the raw tensors,
// bit-exact export round trips, and malformed models that must fail as InputError naming the file.
#include "formats/onnx.hpp"

#include "certifier/core/error.hpp"
#include "tests/test_support.hpp"

#ifndef ONNX_ML
#define ONNX_ML 1  // the Debian library is built with ONNX_ML; the header must match it
#endif
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

namespace nncert {
namespace {

namespace fs = std::filesystem;

fs::path data_dir() { return test::source_dir() / "tests" / "data"; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- hand-built models ---------------------------------------------------------------------

void add_tensor(onnx::GraphProto& g, const std::string& name, const std::vector<std::int64_t>& dims,
                const std::vector<float>& values) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) t->add_dims(d);
  std::string raw(values.size() * 4, '\0');
  std::memcpy(raw.data(), values.data(), raw.size());  // the test host is little-endian like ONNX
  t->set_raw_data(raw);
}

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, const std::string& name,
                          const std::vector<std::string>& inputs, const std::string& output) {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& in : inputs) n->add_input(in);
  n->add_output(output);
  return n;
}

void add_int_attr(onnx::NodeProto* n, const std::string& name, std::int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void add_float_attr(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

// dims < 0 become a dynamic "batch" dimension.
void set_value(onnx::ValueInfoProto* vi, const std::string& name, const std::vector<std::int64_t>& dims) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) {
    if (d < 0)
      tt->mutable_shape()->add_dim()->set_dim_param("batch");
    else
      tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
}

// x [N,3] -> Gemm(W [2,3], b [2], transB) -> y [N,2]
onnx::ModelProto tiny_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto& g = *m.mutable_graph();
  set_value(g.add_input(), "x", {-1, 3});
  add_tensor(g, "W", {2, 3}, {1, 2, 3, 4, 5, 6});
  add_tensor(g, "b", {2}, {0.5f, -0.5f});
  add_int_attr(add_node(g, "Gemm", "fc", {"x", "W", "b"}, "y"), "transB", 1);
  set_value(g.add_output(), "y", {-1, 2});
  return m;
}

std::string bytes_of(const onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

// Runs parse_onnx and returns the InputError message ("" if it parsed, "other" for anything else).
std::string parse_error(const std::string& bytes, const std::string& name) {
  try {
    parse_onnx(bytes, name);
  } catch (const InputError& e) {
    return e.what();
  } catch (...) {
    return "other";
  }
  return "";
}

#define EXPECT_INPUT_ERROR(bytes, name, fragment)                            \
  do {                                                                       \
    const std::string msg_ = parse_error((bytes), (name));                   \
    EXPECT_NE(msg_, "") << "parsed without error";                           \
    EXPECT_NE(msg_, "other") << "threw something other than InputError";     \
    EXPECT_NE(msg_.find(name), std::string::npos) << msg_;                   \
    EXPECT_NE(msg_.find(fragment), std::string::npos) << msg_;               \
    EXPECT_EQ(msg_.find('\n'), std::string::npos) << "one line: " << msg_;   \
  } while (0)

// ---- PyTorch oracle ------------------------------------------------------------------------

struct Golden {
  Matrix X, Y;  // one sample per column
};

Golden read_golden(const fs::path& csv, std::size_t n_in) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  Golden g{Matrix(n_in, rows.size()), Matrix(rows.at(0).size() - n_in, rows.size())};
  for (std::size_t j = 0; j < rows.size(); ++j)
    for (std::size_t i = 0; i < rows[j].size(); ++i)
      (i < n_in ? g.X(i, j) : g.Y(i - n_in, j)) = rows[j][i];
  return g;
}

class TorchOracle : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchOracle, EvaluationMatchesPyTorch) {
  const Network net = load_onnx((data_dir() / ("torch_" + GetParam() + ".onnx")).string());
  ASSERT_EQ(net.input_size, 8u);
  ASSERT_EQ(output_size(net), 4u);
  const Golden g = read_golden(data_dir() / ("torch_" + GetParam() + ".csv"), 8);
  ASSERT_EQ(g.X.cols(), 20);
  const Matrix Y = evaluate(net, g.X);
  double max_abs = 0, max_rel = 0;
  for (Eigen::Index j = 0; j < Y.cols(); ++j)
    for (Eigen::Index i = 0; i < Y.rows(); ++i) {
      const double err = std::abs(Y(i, j) - g.Y(i, j));
      EXPECT_LE(err, 1e-5 * std::abs(g.Y(i, j)) + 1e-6) << "sample " << j << " output " << i;
      max_abs = std::max(max_abs, err);
      if (std::abs(g.Y(i, j)) > 1e-2) max_rel = std::max(max_rel, err / std::abs(g.Y(i, j)));
    }
  std::cout << "torch_" << GetParam() << " vs PyTorch: max abs error " << max_abs
            << ", max relative error (|y| > 0.01) " << max_rel << "\n";
}

INSTANTIATE_TEST_SUITE_P(Models, TorchOracle, ::testing::Values("plain", "batchnorm", "normalise"));

TEST(OnnxImport, TorchLayersKeepTheirKinds) {
  auto kinds = [](const Network& net) {
    std::string s;
    for (const auto& l : net.layers) s += layer_kind(l) + " ";
    return s;
  };
  EXPECT_EQ(kinds(load_onnx((data_dir() / "torch_batchnorm.onnx").string())), "Dense BatchNorm ReLU Dense ");
  EXPECT_EQ(kinds(load_onnx((data_dir() / "torch_normalise.onnx").string())),
            "Normalize Dense ReLU Dense ");
}

// ---- real benchmarks -----------------------------------------------------------------------

std::vector<fs::path> acas_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(test::shared_data() / "acasxu"))
    if (e.path().extension() == ".onnx") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(OnnxImport, AllAcasXuNetworksLoad) {
  NNCERT_REQUIRE_SHARED_DATA("acasxu");
  const auto files = acas_files();
  ASSERT_EQ(files.size(), 45u);
  const std::vector<std::size_t> expected{5, 5, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 5};
  for (const auto& f : files) {
    const Network net = load_onnx(f.string());
    // Normalize (the Sub), then 6 x (Dense, ReLU), then Dense.
    EXPECT_EQ(layer_widths(net), expected) << f;
    ASSERT_EQ(net.layers.size(), 14u) << f;
    EXPECT_TRUE(std::holds_alternative<Normalize>(net.layers[0])) << f;
    for (std::size_t i = 1; i < 14; i += 2) EXPECT_TRUE(std::holds_alternative<Dense>(net.layers[i])) << f;
  }
}

// Independent evaluation straight from the ONNX tensors, following the node list literally.
Vector acas_reference(const fs::path& file, const std::vector<double>& x) {
  onnx::ModelProto m;
  const std::string bytes = slurp(file);
  EXPECT_TRUE(m.ParseFromString(bytes));
  std::map<std::string, std::pair<std::vector<std::int64_t>, std::vector<double>>> t;
  for (const auto& init : m.graph().initializer()) {
    std::vector<double> v(init.raw_data().size() / 4);
    for (std::size_t i = 0; i < v.size(); ++i) {
      float f;
      std::memcpy(&f, init.raw_data().data() + 4 * i, 4);
      v[i] = f;
    }
    t[init.name()] = {{init.dims().begin(), init.dims().end()}, v};
  }
  std::vector<double> h = x;
  for (const auto& n : m.graph().node()) {
    if (n.op_type() == "Sub") {
      for (std::size_t i = 0; i < h.size(); ++i) h[i] -= t.at(n.input(1)).second[i];
    } else if (n.op_type() == "MatMul") {
      const auto& [dims, w] = t.at(n.input(1));
      std::vector<double> out(static_cast<std::size_t>(dims[1]), 0.0);
      for (std::size_t j = 0; j < out.size(); ++j)
        for (std::size_t i = 0; i < h.size(); ++i) out[j] += h[i] * w[i * out.size() + j];
      h = out;
    } else if (n.op_type() == "Add") {
      for (std::size_t i = 0; i < h.size(); ++i) h[i] += t.at(n.input(1)).second[i];
    } else if (n.op_type() == "Relu") {
      for (auto& v : h) v = std::max(v, 0.0);
    }
  }
  return Eigen::Map<Vector>(h.data(), static_cast<Eigen::Index>(h.size()));
}

TEST(OnnxImport, AcasXuEvaluationMatchesRawTensors) {
  NNCERT_REQUIRE_SHARED_DATA("acasxu");
  for (const auto& file : {acas_files().front(), acas_files().back()}) {
    const Network net = load_onnx(file.string());
    for (const std::vector<double>& x : {std::vector<double>{0.6, -0.3, 0.45, 0.2, -0.1},
                                          std::vector<double>{-0.2, 0.1, -0.4, 0.5, 0.3}}) {
      const Vector ours = evaluate(net, Vector(Eigen::Map<const Vector>(x.data(), 5)));
      const Vector ref = acas_reference(file, x);
      ASSERT_EQ(ours.size(), 5);
      for (Eigen::Index i = 0; i < 5; ++i) EXPECT_NEAR(ours[i], ref[i], 1e-12 * (1 + std::abs(ref[i]))) << file;
    }
  }
}

TEST(OnnxImport, QvipNetworksHaveTheirArchitectures) {
  NNCERT_REQUIRE_SHARED_DATA("qvip");
  const std::map<std::string, std::vector<std::size_t>> expected = {
      {"mnist_1blk_64_q6", {784, 64, 64, 32}},        {"fashion-mnist_1blk_64_q6", {784, 64, 64, 32}},
      {"mnist_1blk_64_q4", {784, 64, 64, 10}},        {"mnist_1blk_64_q8", {784, 64, 64, 10}},
      {"mnist_1blk_64_q10", {784, 64, 64, 10}},       {"mnist_1blk_100_q4", {784, 100, 100, 10}},
      {"mnist_1blk_100_q6", {784, 100, 100, 10}},     {"mnist_1blk_100_q8", {784, 100, 100, 10}},
      {"mnist_1blk_100_q10", {784, 100, 100, 10}},    {"mnist_2blk_64_32_q4", {784, 64, 64, 32, 32, 10}},
      {"mnist_2blk_64_32_q6", {784, 64, 64, 32, 32, 10}}, {"mnist_2blk_64_32_q8", {784, 64, 64, 32, 32, 10}},
      {"mnist_2blk_64_32_q10", {784, 64, 64, 32, 32, 10}}};
  for (const auto& [name, widths] : expected) {
    const Network net = load_onnx((test::shared_data() / "qvip" / (name + ".onnx")).string());
    EXPECT_EQ(layer_widths(net), widths) << name;
  }
}

// ---- hand-built graphs exercising the other operators --------------------------------------

TEST(OnnxImport, ChainOfSupportedOperatorsEvaluatesExactly) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto& g = *m.mutable_graph();
  set_value(g.add_input(), "x", {1, 1, 2, 3});
  add_tensor(g, "half", {}, {0.5f});
  add_tensor(g, "scale", {2, 3}, {1, 2, 4, 8, 0.5f, 0.25f});
  add_tensor(g, "W1", {6, 4}, {1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, -1, 0, 2, 0, 0, -3, 0, 1});
  add_tensor(g, "b1", {4}, {1, -1, 2, -2});
  add_tensor(g, "m1", {1, 4}, {2, 2, 0.5f, 1});
  add_tensor(g, "W2", {4, 2}, {1, -1, 2, 0, 0, 3, -1, 1});
  add_tensor(g, "b2", {2}, {0.25f, 4});
  add_node(g, "Sub", "centre", {"x", "half"}, "a");
  add_node(g, "Mul", "spread", {"a", "scale"}, "b");
  auto* shape = add_node(g, "Constant", "shape", {}, "s");
  auto* a = shape->add_attribute();
  a->set_name("value_ints");
  a->set_type(onnx::AttributeProto::INTS);
  a->add_ints(1);
  a->add_ints(-1);
  add_node(g, "Reshape", "flat", {"b", "s"}, "c");
  add_node(g, "MatMul", "mm", {"c", "W1"}, "d");
  add_node(g, "Add", "bias", {"d", "b1"}, "e");
  add_node(g, "Mul", "post", {"m1", "e"}, "f");
  add_node(g, "Relu", "relu", {"f"}, "r");
  add_node(g, "Identity", "id", {"r"}, "i");
  add_node(g, "Dropout", "drop", {"i"}, "j");
  auto* gemm = add_node(g, "Gemm", "out", {"j", "W2", "b2"}, "y");
  add_float_attr(gemm, "alpha", 2);
  add_float_attr(gemm, "beta", 0.5f);
  set_value(g.add_output(), "y", {1, 2});

  const Network net = parse_onnx(bytes_of(m), "chain.onnx");
  EXPECT_EQ(layer_widths(net), (std::vector<std::size_t>{6, 6, 4, 4, 2}));
  const Vector x = (Vector(6) << 0.1, -2, 3.5, 0.75, 1, -4).finished();
  // The same computation spelled out.
  Vector h = (x.array() - 0.5) * (Vector(6) << 1, 2, 4, 8, 0.5, 0.25).finished().array();
  Matrix W1(6, 4);
  W1 << 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, -1, 0, 2, 0, 0, -3, 0, 1;
  Vector e = W1.transpose() * h + (Vector(4) << 1, -1, 2, -2).finished();
  e = (e.array() * (Vector(4) << 2, 2, 0.5, 1).finished().array()).cwiseMax(0.0);
  Matrix W2(4, 2);
  W2 << 1, -1, 2, 0, 0, 3, -1, 1;
  const Vector expected = 2 * W2.transpose() * e + 0.5 * (Vector(2) << 0.25, 4).finished();
  const Vector got = evaluate(net, x);
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(got[i], expected[i], 1e-12 * (1 + std::abs(expected[i])));
}

TEST(OnnxImport, ConstantTimesActivationIsADenseLayer) {
  onnx::ModelProto m;
  m.add_opset_import()->set_version(13);
  auto& g = *m.mutable_graph();
  set_value(g.add_input(), "x", {3});
  add_tensor(g, "W", {2, 3}, {1, 2, 3, -1, 0, 1});
  add_node(g, "MatMul", "mm", {"W", "x"}, "y");
  set_value(g.add_output(), "y", {2});
  const Network net = parse_onnx(bytes_of(m), "cx.onnx");
  const Vector y = evaluate(net, Vector((Vector(3) << 1, 1, 2).finished()));
  EXPECT_EQ(y, (Vector(2) << 9, 1).finished());
}

// ---- export round trip ---------------------------------------------------------------------

Network random_network(bool float_exact, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0, 1);
  // offset > 0 draws positive values (variances, stds) away from zero.
  auto v = [&](Eigen::Index rows, Eigen::Index cols, double offset = 0) {
    Matrix m(rows, cols);
    for (auto& x : m.reshaped()) {
      x = offset > 0 ? std::abs(n(rng)) + offset : n(rng);
      if (float_exact) x = double(float(x));
    }
    return m;
  };
  Network net{6, {}};
  net.layers.emplace_back(Normalize{v(6, 1).col(0), v(6, 1, 0.5).col(0)});
  net.layers.emplace_back(Dense{v(5, 6), v(5, 1).col(0)});
  net.layers.emplace_back(BatchNorm{v(5, 1).col(0), v(5, 1).col(0), v(5, 1).col(0),
                                    v(5, 1, 0.25).col(0), 1e-5});
  net.layers.emplace_back(ReLU{});
  net.layers.emplace_back(Dense{v(3, 5), v(3, 1).col(0)});
  return net;
}

void expect_identical(const Network& a, const Network& b) {
  ASSERT_EQ(a.input_size, b.input_size);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    ASSERT_EQ(a.layers[i].index(), b.layers[i].index()) << "layer " << i;
    if (const auto* d = std::get_if<Dense>(&a.layers[i])) {
      EXPECT_EQ(d->W, std::get<Dense>(b.layers[i]).W) << "layer " << i;
      EXPECT_EQ(d->b, std::get<Dense>(b.layers[i]).b) << "layer " << i;
    } else if (const auto* bn = std::get_if<BatchNorm>(&a.layers[i])) {
      const auto& o = std::get<BatchNorm>(b.layers[i]);
      EXPECT_EQ(bn->gamma, o.gamma);
      EXPECT_EQ(bn->beta, o.beta);
      EXPECT_EQ(bn->mean, o.mean);
      EXPECT_EQ(bn->var, o.var);
      EXPECT_EQ(bn->eps, o.eps);
    } else if (const auto* nz = std::get_if<Normalize>(&a.layers[i])) {
      EXPECT_EQ(nz->mean, std::get<Normalize>(b.layers[i]).mean);
      EXPECT_EQ(nz->std, std::get<Normalize>(b.layers[i]).std);
    }
  }
}

int element_type(const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  EXPECT_EQ(m.opset_import(0).version(), 13);
  EXPECT_EQ(m.producer_name(), "nncert");
  EXPECT_EQ(m.graph().input(0).name(), "input");
  EXPECT_EQ(m.graph().output(0).name(), "output");
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(m.graph().output(0).type().tensor_type().elem_type(), m.graph().initializer(0).data_type());
  return m.graph().input(0).type().tensor_type().elem_type();
}

TEST(OnnxExport, FloatExactNetworkRoundTripsAsFloat) {
  const Network net = random_network(true, 7);
  const std::string bytes = serialize_onnx(net);
  EXPECT_EQ(element_type(bytes), onnx::TensorProto::FLOAT);
  expect_identical(net, parse_onnx(bytes, "exported.onnx"));
}

TEST(OnnxExport, DoubleNetworkRoundTripsAsDouble) {
  const Network net = random_network(false, 8);
  const std::string bytes = serialize_onnx(net);
  EXPECT_EQ(element_type(bytes), onnx::TensorProto::DOUBLE);
  expect_identical(net, parse_onnx(bytes, "exported.onnx"));
}

TEST(OnnxExport, SaveThenLoadFromDisk) {
  test::TempDir tmp;
  const Network acas_like = random_network(false, 9);
  const auto path = (tmp / "net.onnx").string();
  save_onnx(acas_like, path);
  expect_identical(acas_like, load_onnx(path));
  // Re-exporting an imported PyTorch model keeps it float and identical.
  const Network torch = load_onnx((data_dir() / "torch_batchnorm.onnx").string());
  save_onnx(torch, path);
  expect_identical(torch, load_onnx(path));
  EXPECT_EQ(element_type(slurp(path)), onnx::TensorProto::FLOAT);
}

// ---- malformed input -----------------------------------------------------------------------

TEST(OnnxErrors, TinyModelIsValid) { EXPECT_EQ(parse_error(bytes_of(tiny_model()), "tiny.onnx"), ""); }

TEST(OnnxErrors, TruncatedFiles) {
  const std::string bytes = slurp(data_dir() / "torch_plain.onnx");
  ASSERT_GT(bytes.size(), 1000u);
  for (std::size_t len = 0; len < bytes.size(); len += 7) {
    SCOPED_TRACE("length " + std::to_string(len));
    EXPECT_INPUT_ERROR(bytes.substr(0, len), "truncated.onnx", "truncated.onnx");
  }
}

TEST(OnnxErrors, RandomBytes) {
  std::mt19937 rng(42);
  for (int i = 0; i < 300; ++i) {
    std::string junk(rng() % 4096, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    EXPECT_INPUT_ERROR(junk, "junk.onnx", "junk.onnx");
  }
}

TEST(OnnxErrors, UnsupportedOperatorNamesNodeAndOp) {
  auto m = tiny_model();
  auto& g = *m.mutable_graph();
  g.mutable_node(0)->set_output(0, "h");
  add_node(g, "Conv", "conv1", {"h"}, "y");
  EXPECT_INPUT_ERROR(bytes_of(m), "model.onnx", "node 1 'conv1' (Conv): unsupported operator; nncert supports Gemm");
}

TEST(OnnxErrors, WeightShapeMismatch) {
  auto m = tiny_model();
  m.mutable_graph()->mutable_initializer(0)->set_dims(1, 2);
  m.mutable_graph()->mutable_initializer(0)->set_dims(0, 3);
  EXPECT_INPUT_ERROR(bytes_of(m), "dims.onnx", "expected 3");
}

TEST(OnnxErrors, NaNWeight) {
  auto m = tiny_model();
  const float nan = std::nanf("");
  std::memcpy(m.mutable_graph()->mutable_initializer(0)->mutable_raw_data()->data() + 8, &nan, 4);
  EXPECT_INPUT_ERROR(bytes_of(m), "nan.onnx", "NaN");
}

TEST(OnnxErrors, RawDataOfWrongLength) {
  auto m = tiny_model();
  m.mutable_graph()->mutable_initializer(1)->mutable_raw_data()->append("xyz");
  EXPECT_INPUT_ERROR(bytes_of(m), "raw.onnx", "raw_data has 11 bytes");
}

TEST(OnnxErrors, UnknownTensor) {
  auto m = tiny_model();
  m.mutable_graph()->mutable_node(0)->set_input(2, "nowhere");
  EXPECT_INPUT_ERROR(bytes_of(m), "unknown.onnx", "unknown tensor 'nowhere'");
}

TEST(OnnxErrors, EmptyGraphAndNoGraph) {
  auto m = tiny_model();
  m.mutable_graph()->clear_node();
  EXPECT_INPUT_ERROR(bytes_of(m), "empty.onnx", "no nodes");
  m.clear_graph();
  EXPECT_INPUT_ERROR(bytes_of(m), "nograph.onnx", "no graph");
}

TEST(OnnxErrors, BranchesAndTwoActivations) {
  auto m = tiny_model();
  auto& g = *m.mutable_graph();
  add_node(g, "Relu", "second_use", {"x"}, "z");
  EXPECT_INPUT_ERROR(bytes_of(m), "branch.onnx", "single chain");
  auto m2 = tiny_model();
  m2.mutable_graph()->mutable_node(0)->set_output(0, "h");
  add_node(*m2.mutable_graph(), "Add", "twice", {"h", "h"}, "y");
  EXPECT_INPUT_ERROR(bytes_of(m2), "twice.onnx", "two activations");
}

TEST(OnnxErrors, ReshapeMustKeepElementCount) {
  auto m = tiny_model();
  auto& g = *m.mutable_graph();
  g.mutable_node(0)->set_output(0, "h");
  auto* t = g.add_initializer();
  t->set_name("shape");
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(2);
  t->add_int64_data(-1);
  t->add_int64_data(3);
  add_node(g, "Reshape", "grow", {"h", "shape"}, "y");
  EXPECT_INPUT_ERROR(bytes_of(m), "reshape.onnx", "element count");
}

TEST(OnnxErrors, MissingFile) {
  test::TempDir tmp;
  const std::string path = (tmp / "absent.onnx").string();
  try {
    load_onnx(path);
    FAIL() << "loaded a missing file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nncert
