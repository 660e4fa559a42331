// ONNX import walks the graph as one chain from the single real input to the single output and
// turns each node into layers with one small handler per operator (the onnx2c style), so an
// unsupported graph fails at the node that breaks the chain, with that node's name and op.
// Export writes the plainest ONNX a runtime accepts: Gemm/Relu/BatchNormalization/Sub/Div.
#include "formats/onnx.hpp"

#include "certifier/core/error.hpp"
#include "certifier/core/overloaded.hpp"
#include "formats/atomic_file.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/onnx_pb.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <set>

namespace nncert {

namespace {

// Bounds that keep every allocation proportional to the bytes actually present or to a width no
// MLP reaches, so hostile files fail cleanly instead of exhausting memory.
constexpr std::size_t kMaxFileBytes = std::size_t{1} << 30;
constexpr std::int64_t kMaxTensorElements = std::int64_t{1} << 28;
constexpr std::int64_t kMaxWidth = std::int64_t{1} << 22;
constexpr std::size_t kMaxRank = 16;  // broadcasting costs width x rank; size-1 axes are free otherwise

constexpr const char* kSupportedOps =
    "Gemm, MatMul, Add, Sub, Mul, Div, Relu, BatchNormalization, Flatten, Reshape, Identity, "
    "Constant, Dropout";

// BatchNormalization's epsilon attribute is a float; the exact double travels in metadata so that
// our own export re-imports bit for bit (other runtimes just see the float attribute).
constexpr const char* kEpsilonKey = "nncert.epsilon:";

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A constant with real values in ONNX's row-major order.
struct RealTensor {
  std::vector<std::int64_t> dims;
  std::vector<double> values;
};

// Shape of the running activation. When `batched`, dims[0] is the batch axis (-1 when dynamic)
// and no sample value lives along it; a static batch of 1 is simply a feature axis of size 1.
struct Activation {
  std::string name;
  std::vector<std::int64_t> dims;
  bool batched = false;
};

std::int64_t sample_width(const Activation& a) {
  std::int64_t w = 1;
  for (std::size_t i = a.batched ? 1 : 0; i < a.dims.size(); ++i) w *= a.dims[i];
  return w;
}

std::string shape_text(const std::vector<std::int64_t>& dims, bool batched = false) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += (batched && i == 0 && dims[i] < 0) ? std::string("N") : std::to_string(dims[i]);
  }
  return s + "]";
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::uint64_t load_le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void store_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string file)
      : model_(model), graph_(model.graph()), file_(std::move(file)) {}

  Network run() {
    collect_initializers();
    find_input();
    if (graph_.node_size() == 0) fail("graph", "has no nodes; expected at least one layer");
    for (int i = 0; i < graph_.node_size(); ++i) convert(i, graph_.node(i));
    where_ = "graph output";
    check_output();
    if (const std::string msg = check_network(net_); !msg.empty()) fail("network", msg);
    return std::move(net_);
  }

 private:
  using Handler = void (Importer::*)(const onnx::NodeProto&);

  [[noreturn]] void fail(const std::string& what) const { throw InputError(file_, where_, what); }
  [[noreturn]] void fail(const std::string& position, const std::string& what) const {
    throw InputError(file_, position, what);
  }

  // ---- graph level --------------------------------------------------------------------------

  void collect_initializers() {
    for (const auto& t : graph_.initializer()) {
      if (t.name().empty()) fail("initializer", "has an empty name");
      if (!constants_.emplace(t.name(), &t).second) fail("initializer " + quoted(t.name()), "defined twice");
    }
  }

  // Old exporters list every initializer as a graph input too; the network input is the one
  // graph input that no initializer backs.
  void find_input() {
    const onnx::ValueInfoProto* input = nullptr;
    for (const auto& vi : graph_.input()) {
      if (constants_.count(vi.name())) continue;
      if (input) fail("graph input " + quoted(vi.name()), "second non-initializer input ('" + input->name() +
                                                             "' is the first); expected exactly one network input");
      input = &vi;
    }
    if (!input) fail("graph", "has no input that is not an initializer; expected exactly one network input");
    where_ = "graph input " + quoted(input->name());
    if (!input->type().has_tensor_type()) fail("expected a tensor type");
    const auto& tt = input->type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT && tt.elem_type() != onnx::TensorProto::DOUBLE)
      fail("element type " + std::to_string(tt.elem_type()) + "; expected FLOAT or DOUBLE");
    if (!tt.has_shape() || tt.shape().dim_size() == 0) fail("has no shape; expected e.g. [N,784] to know the width");
    act_.name = input->name();
    const int rank = tt.shape().dim_size();
    for (int i = 0; i < rank; ++i) {
      const auto& d = tt.shape().dim(i);
      if (d.has_dim_value() && d.dim_value() > 0 && d.dim_value() <= kMaxWidth) {
        act_.dims.push_back(d.dim_value());
      } else if (i == 0 && rank >= 2 && !d.has_dim_value()) {
        act_.dims.push_back(-1);
      } else {
        fail("dimension " + std::to_string(i) + " must be a positive size at most " + std::to_string(kMaxWidth) +
             " (only the first of two or more may be dynamic)");
      }
    }
    act_.batched = rank >= 2 && act_.dims[0] != 1;
    check_width();
    net_.input_size = static_cast<std::size_t>(sample_width(act_));
  }

  void check_output() {
    if (graph_.output_size() != 1)
      fail("graph has " + std::to_string(graph_.output_size()) + " outputs; expected exactly one");
    const auto& out = graph_.output(0);
    where_ = "graph output " + quoted(out.name());
    if (out.name() != act_.name) {
      if (consumed_.count(out.name())) fail("is not the end of the chain: a later node consumes it");
      fail("is not produced by the chain of nodes from the input (which ends at " + quoted(act_.name) + ")");
    }
    // A declared static output shape is a cheap cross-check that no layer was misread.
    if (!out.type().has_tensor_type() || !out.type().tensor_type().has_shape()) return;
    const auto& shape = out.type().tensor_type().shape();
    std::int64_t declared = 1;
    for (int i = act_.batched ? 1 : 0; i < shape.dim_size(); ++i) {
      if (!shape.dim(i).has_dim_value() || shape.dim(i).dim_value() <= 0) return;
      declared = std::min(declared * std::min<std::int64_t>(shape.dim(i).dim_value(), kMaxWidth + 1), kMaxWidth + 1);
    }
    if (shape.dim_size() > 0 && declared != sample_width(act_))
      fail("declares " + std::to_string(declared) + " values per sample but the network computes " +
           std::to_string(sample_width(act_)));
  }

  void check_width() {
    if (act_.dims.size() > kMaxRank)
      fail("rank " + std::to_string(act_.dims.size()) + " exceeds " + std::to_string(kMaxRank));
    std::int64_t w = 1;
    for (std::size_t i = act_.batched ? 1 : 0; i < act_.dims.size(); ++i) {
      if (act_.dims[i] <= 0 || act_.dims[i] > kMaxWidth) fail("dimension sizes must be in 1.." + std::to_string(kMaxWidth));
      w *= act_.dims[i];
      if (w > kMaxWidth) fail("more than " + std::to_string(kMaxWidth) + " values per sample");
    }
  }

  // ---- chain bookkeeping --------------------------------------------------------------------

  void convert(int index, const onnx::NodeProto& node) {
    const std::string id = node.name().empty() ? "-> " + (node.output_size() ? node.output(0) : std::string("?"))
                                               : quoted(node.name());
    where_ = "node " + std::to_string(index) + " " + (node.name().empty() ? "(" + node.op_type() + " " + id + ")"
                                                                       : id + " (" + node.op_type() + ")");
    static const std::map<std::string, Handler> handlers = {
        {"Gemm", &Importer::gemm},        {"MatMul", &Importer::matmul},
        {"Add", &Importer::elementwise},  {"Sub", &Importer::elementwise},
        {"Mul", &Importer::elementwise},  {"Div", &Importer::elementwise},
        {"Relu", &Importer::relu},        {"BatchNormalization", &Importer::batch_norm},
        {"Flatten", &Importer::flatten},  {"Reshape", &Importer::reshape},
        {"Identity", &Importer::identity}, {"Dropout", &Importer::identity}};
    const bool default_domain = node.domain().empty() || node.domain() == "ai.onnx";
    const auto handler = handlers.find(node.op_type());
    if (!default_domain || (handler == handlers.end() && node.op_type() != "Constant"))
      fail(std::string("unsupported operator") + (default_domain ? "" : " in domain " + quoted(node.domain())) +
           "; nncert supports " + kSupportedOps);
    if (node.output_size() < 1 || node.output(0).empty()) fail("has no output");
    check_new_name(node.output(0));
    if (node.op_type() == "Constant") return constant(node);
    check_inputs(node);
    (this->*handler->second)(node);
    consumed_.insert(act_.name);
    act_.name = node.output(0);
  }

  void check_new_name(const std::string& name) const {
    if (name == act_.name || constants_.count(name) || consumed_.count(name))
      fail("output " + quoted(name) + " redefines an existing tensor");
  }

  // Every input must be the running activation (exactly once) or a constant: anything else is a
  // branch, a second activation or a forward reference, none of which is an MLP chain.
  void check_inputs(const onnx::NodeProto& node) const {
    int uses = 0;
    for (const auto& in : node.input()) {
      if (in.empty()) continue;
      if (in == act_.name) {
        ++uses;
      } else if (consumed_.count(in)) {
        fail("consumes " + quoted(in) + ", which an earlier node already consumed; nncert needs a single chain "
             "without branches");
      } else if (!constants_.count(in)) {
        fail("consumes unknown tensor " + quoted(in) +
             " (no initializer, Constant or earlier node produces it; nodes must be in topological order)");
      }
    }
    if (uses > 1) fail("applies an operator to two activations (" + quoted(act_.name) + " twice); expected one");
    if (uses == 0)
      fail("does not consume the running activation " + quoted(act_.name) +
           "; nncert needs a single chain from the input to the output (constant subgraphs are not folded)");
  }

  void require_inputs(const onnx::NodeProto& node, int min, int max) const {
    if (node.input_size() < min || node.input_size() > max)
      fail("has " + std::to_string(node.input_size()) + " inputs; expected " + std::to_string(min) +
           (min == max ? "" : ".." + std::to_string(max)));
  }

  void set_dims(std::vector<std::int64_t> dims, bool batched) {
    act_.dims = std::move(dims);
    act_.batched = batched;
    check_width();
  }

  // ---- attributes and tensors ---------------------------------------------------------------

  const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const std::string& name) const {
    for (const auto& a : node.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }

  double float_attr(const onnx::NodeProto& node, const std::string& name, double fallback) const {
    const auto* a = attribute(node, name);
    if (!a) return fallback;
    if (a->type() != onnx::AttributeProto::FLOAT || !std::isfinite(a->f()))
      fail("attribute " + quoted(name) + " must be a finite float");
    return a->f();
  }

  std::int64_t int_attr(const onnx::NodeProto& node, const std::string& name, std::int64_t fallback) const {
    const auto* a = attribute(node, name);
    if (!a) return fallback;
    if (a->type() != onnx::AttributeProto::INT) fail("attribute " + quoted(name) + " must be an int");
    return a->i();
  }

  // Validated element count: dims non-negative, product bounded.
  std::int64_t element_count(const onnx::TensorProto& t) const {
    std::int64_t n = 1;
    for (const auto d : t.dims()) {
      if (d < 0) fail("tensor " + quoted(t.name()) + " has negative dimension " + std::to_string(d));
      if (d > kMaxTensorElements || (n *= d) > kMaxTensorElements)
        fail("tensor " + quoted(t.name()) + " has more than " + std::to_string(kMaxTensorElements) + " elements");
    }
    return n;
  }

  const onnx::TensorProto& tensor(const std::string& name) const {
    const auto it = constants_.find(name);
    if (it == constants_.end()) fail("input " + quoted(name) + " must be a constant (initializer or Constant)");
    const onnx::TensorProto& t = *it->second;
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      fail("tensor " + quoted(name) + " uses external data; nncert reads only self-contained models");
    if (t.has_segment()) fail("tensor " + quoted(name) + " is segmented; expected one whole tensor");
    return t;
  }

  // Reads a fixed-width field either from raw_data (little-endian) or from the typed field.
  template <class Typed, class Decode>
  void read_elements(const onnx::TensorProto& t, std::int64_t n, int width, const Typed& typed, Decode decode,
                     std::vector<double>& out) const {
    const auto count = static_cast<std::size_t>(n);
    if (t.has_raw_data()) {
      if (t.raw_data().size() != count * static_cast<std::size_t>(width))
        fail("tensor " + quoted(t.name()) + " raw_data has " + std::to_string(t.raw_data().size()) +
             " bytes; dims " + shape_text({t.dims().begin(), t.dims().end()}) + " need " +
             std::to_string(count * static_cast<std::size_t>(width)));
      out.reserve(count);
      for (std::size_t i = 0; i < count; ++i) out.push_back(decode(load_le(t.raw_data().data() + i * width, width)));
    } else {
      if (static_cast<std::size_t>(typed.size()) != count)
        fail("tensor " + quoted(t.name()) + " holds " + std::to_string(typed.size()) + " values; dims " +
             shape_text({t.dims().begin(), t.dims().end()}) + " need " + std::to_string(count));
      out.assign(typed.begin(), typed.end());
    }
  }

  RealTensor real(const std::string& name) const {
    const onnx::TensorProto& t = tensor(name);
    const std::int64_t n = element_count(t);
    RealTensor r{{t.dims().begin(), t.dims().end()}, {}};
    if (t.data_type() == onnx::TensorProto::FLOAT) {
      read_elements(t, n, 4, t.float_data(),
                    [](std::uint64_t b) { return double(std::bit_cast<float>(static_cast<std::uint32_t>(b))); },
                    r.values);
    } else if (t.data_type() == onnx::TensorProto::DOUBLE) {
      read_elements(t, n, 8, t.double_data(), [](std::uint64_t b) { return std::bit_cast<double>(b); }, r.values);
    } else {
      fail("tensor " + quoted(name) + " has element type " + std::to_string(t.data_type()) +
           "; expected FLOAT or DOUBLE");
    }
    for (std::size_t i = 0; i < r.values.size(); ++i)
      if (!std::isfinite(r.values[i]))
        fail("tensor " + quoted(name) + " element " + std::to_string(i) + " is NaN or Inf; expected finite values");
    return r;
  }

  std::vector<std::int64_t> int64_values(const std::string& name) const {
    const onnx::TensorProto& t = tensor(name);
    const std::int64_t n = element_count(t);
    if (t.data_type() != onnx::TensorProto::INT64)
      fail("tensor " + quoted(name) + " has element type " + std::to_string(t.data_type()) + "; expected INT64");
    if (t.has_raw_data()) {
      if (t.raw_data().size() != static_cast<std::size_t>(n) * 8)
        fail("tensor " + quoted(name) + " raw_data has " + std::to_string(t.raw_data().size()) + " bytes; expected " +
             std::to_string(n * 8));
      std::vector<std::int64_t> v;
      for (std::int64_t i = 0; i < n; ++i) v.push_back(static_cast<std::int64_t>(load_le(t.raw_data().data() + i * 8, 8)));
      return v;
    }
    if (t.int64_data_size() != n)
      fail("tensor " + quoted(name) + " holds " + std::to_string(t.int64_data_size()) + " values; expected " +
           std::to_string(n));
    return {t.int64_data().begin(), t.int64_data().end()};
  }

  Matrix matrix(const RealTensor& t, const std::string& role) const {
    if (t.dims.size() != 2) fail(role + " must be a 2-D constant; got shape " + shape_text(t.dims));
    return Eigen::Map<const RowMajor>(t.values.data(), t.dims[0], t.dims[1]);
  }

  // Expands constant `c` to one value per sample feature under ONNX (numpy) broadcasting, accepting
  // only broadcasts that leave the activation's shape alone and do not vary along the batch axis.
  Vector per_feature(const RealTensor& c, const std::string& role) {
    if (c.dims.size() > kMaxRank)
      fail(role + " has rank " + std::to_string(c.dims.size()) + "; expected at most " + std::to_string(kMaxRank));
    if (c.dims.size() > act_.dims.size()) {
      const std::size_t extra = c.dims.size() - act_.dims.size();
      for (std::size_t i = 0; i < extra; ++i)
        if (c.dims[i] != 1 || act_.batched)
          fail(role + " of shape " + shape_text(c.dims) + " does not broadcast onto the activation " +
               shape_text(act_.dims, act_.batched));
      act_.dims.insert(act_.dims.begin(), extra, 1);
    }
    const std::size_t rank = act_.dims.size(), offset = rank - c.dims.size();
    std::vector<std::int64_t> stride(rank, 0);
    std::int64_t step = 1;
    for (std::size_t i = rank; i-- > offset;) {
      const std::int64_t cd = c.dims[i - offset];
      const bool batch_axis = act_.batched && i == 0;
      if (cd != 1 && (cd != act_.dims[i] || batch_axis))
        fail(role + " of shape " + shape_text(c.dims) + " does not broadcast per feature onto the activation " +
             shape_text(act_.dims, act_.batched) + "; expected a scalar or one value per feature");
      if (cd != 1) stride[i] = step;
      step *= cd;
    }
    const std::size_t first = act_.batched ? 1 : 0;
    Vector out(sample_width(act_));
    std::vector<std::int64_t> index(rank, 0);
    for (Eigen::Index k = 0; k < out.size(); ++k) {
      std::int64_t at = 0;
      for (std::size_t i = first; i < rank; ++i) at += index[i] * stride[i];
      out[k] = c.values[static_cast<std::size_t>(at)];
      for (std::size_t i = rank; i-- > first;) {
        if (++index[i] < act_.dims[i]) break;
        index[i] = 0;
      }
    }
    return out;
  }

  // ---- one handler per operator -------------------------------------------------------------

  void constant(const onnx::NodeProto& node) {
    if (node.input_size() != 0) fail("a Constant takes no inputs");
    if (node.attribute_size() != 1) fail("expected exactly one value attribute");
    const auto& a = node.attribute(0);
    onnx::TensorProto& t = owned_.emplace_back();
    if (a.name() == "value" && a.type() == onnx::AttributeProto::TENSOR) {
      t = a.t();
    } else if (a.name() == "value_float" && a.type() == onnx::AttributeProto::FLOAT) {
      t.set_data_type(onnx::TensorProto::FLOAT);
      t.add_float_data(a.f());
    } else if (a.name() == "value_floats" && a.type() == onnx::AttributeProto::FLOATS) {
      t.set_data_type(onnx::TensorProto::FLOAT);
      t.add_dims(a.floats_size());
      *t.mutable_float_data() = a.floats();
    } else if (a.name() == "value_int" && a.type() == onnx::AttributeProto::INT) {
      t.set_data_type(onnx::TensorProto::INT64);
      t.add_int64_data(a.i());
    } else if (a.name() == "value_ints" && a.type() == onnx::AttributeProto::INTS) {
      t.set_data_type(onnx::TensorProto::INT64);
      t.add_dims(a.ints_size());
      *t.mutable_int64_data() = a.ints();
    } else {
      fail("attribute " + quoted(a.name()) + " is not supported; expected value, value_float(s) or value_int(s)");
    }
    t.set_name(node.output(0));
    constants_.emplace(node.output(0), &t);
  }

  void push_dense(Matrix W, Vector b) { net_.layers.emplace_back(Dense{std::move(W), std::move(b)}); }

  void gemm(const onnx::NodeProto& node) {
    require_inputs(node, 2, 3);
    if (node.input(0) != act_.name) fail("expected the activation as input A; a constant A is not a layer");
    const double alpha = float_attr(node, "alpha", 1.0), beta = float_attr(node, "beta", 1.0);
    const bool trans_a = int_attr(node, "transA", 0) != 0, trans_b = int_attr(node, "transB", 0) != 0;
    if (act_.dims.size() != 2) fail("expected a 2-D input A; got " + shape_text(act_.dims, act_.batched));
    // With transA the sample must be a column [K,1]; anything else would mix samples.
    if (trans_a && (act_.batched || act_.dims[1] != 1))
      fail("transA=1 needs input A of shape [K,1]; got " + shape_text(act_.dims, act_.batched));
    const std::int64_t k = trans_a ? act_.dims[0] : act_.dims[1];
    if (sample_width(act_) != k)
      fail("input A " + shape_text(act_.dims, act_.batched) + " holds several samples per row; expected [N," +
           std::to_string(k) + "]");
    Matrix W = matrix(real(node.input(1)), "weight B " + quoted(node.input(1)));
    if (!trans_b) W.transposeInPlace();
    if (W.cols() != k)
      fail("weight " + quoted(node.input(1)) + " has " + std::to_string(W.cols()) + " input columns; expected " +
           std::to_string(k) + " (the width of the activation)");
    if (alpha != 1.0) W *= alpha;
    set_dims({trans_a ? 1 : act_.dims[0], W.rows()}, act_.batched);
    Vector b = Vector::Zero(W.rows());
    if (node.input_size() == 3 && !node.input(2).empty()) {
      const RealTensor c = real(node.input(2));
      if (c.dims.size() > 2) fail("bias C " + quoted(node.input(2)) + " has rank " + std::to_string(c.dims.size()) +
                                  "; expected at most 2");
      b = beta * per_feature(c, "bias C " + quoted(node.input(2)));
    }
    push_dense(std::move(W), std::move(b));
  }

  void matmul(const onnx::NodeProto& node) {
    require_inputs(node, 2, 2);
    const bool activation_left = node.input(0) == act_.name;
    const std::string& name = node.input(activation_left ? 1 : 0);
    const Matrix C = matrix(real(name), "constant " + quoted(name));
    auto dims = act_.dims;
    const std::int64_t width = sample_width(act_);
    if (activation_left) {
      // x [.., K] * C [K, N]: every sample axis but the last must be 1, or samples would mix.
      if (dims.back() != C.rows() || width != C.rows())
        fail("activation " + shape_text(dims, act_.batched) + " times constant " + shape_text({C.rows(), C.cols()}) +
             " is not a dense layer; expected activation [N," + std::to_string(C.rows()) + "]");
      dims.back() = C.cols();
      set_dims(std::move(dims), act_.batched);
      push_dense(C.transpose(), Vector::Zero(C.cols()));
    } else {
      // C [M, K] * x: only an unbatched column [K] or [K,1] (padded with 1s) is a dense layer.
      const std::size_t axis = dims.size() >= 2 ? dims.size() - 2 : 0;
      if (act_.batched || dims[axis] != C.cols() || width != C.cols())
        fail("constant " + shape_text({C.rows(), C.cols()}) + " times activation " + shape_text(dims, act_.batched) +
             " is not a dense layer; expected an unbatched activation [" + std::to_string(C.cols()) + "] or [" +
             std::to_string(C.cols()) + ",1]");
      dims[axis] = C.rows();
      set_dims(std::move(dims), false);
      push_dense(C, Vector::Zero(C.rows()));
    }
  }

  // Add/Sub/Mul/Div by a constant: folded exactly into a preceding Dense, otherwise (input side)
  // collected into one Normalize y = (x - mean) / std.
  void elementwise(const onnx::NodeProto& node) {
    require_inputs(node, 2, 2);
    const std::string& op = node.op_type();
    const bool activation_left = node.input(0) == act_.name;
    const std::string& name = node.input(activation_left ? 1 : 0);
    const Vector c = per_feature(real(name), "constant " + quoted(name));
    if (op == "Div" && !activation_left) fail("divides a constant by the activation, which is not affine");
    if ((op == "Div" || op == "Mul") && (c.array() == 0).any())
      fail((op == "Div" ? "divides" : "multiplies") + std::string(" by zero (constant ") + quoted(name) +
           "); expected nonzero factors");
    const bool negate = op == "Sub" && !activation_left;  // c - x
    if (!net_.layers.empty() && std::holds_alternative<Dense>(net_.layers.back())) {
      Dense& d = std::get<Dense>(net_.layers.back());
      if (op == "Add") d.b += c;
      if (op == "Sub" && !negate) d.b -= c;
      if (negate) {
        d.W = -d.W;
        d.b = c - d.b;
      }
      if (op == "Mul") {
        d.W = c.asDiagonal() * d.W;
        d.b = d.b.cwiseProduct(c);
      }
      if (op == "Div") {
        d.W = d.W.array().colwise() / c.array();
        d.b = d.b.array() / c.array();
      }
      return;
    }
    if (net_.layers.empty() || !std::holds_alternative<Normalize>(net_.layers.back()))
      net_.layers.emplace_back(Normalize{Vector::Zero(c.size()), Vector::Ones(c.size())});
    Normalize& n = std::get<Normalize>(net_.layers.back());
    // With y = (x - m) / s: y + c = (x - (m - c s)) / s, y * c = (x - m) / (s / c), c - y negates s.
    if (op == "Add") n.mean -= c.cwiseProduct(n.std);
    if (op == "Sub") n.mean += c.cwiseProduct(n.std);
    if (negate) n.std = -n.std;
    if (op == "Mul") n.std = n.std.array() / c.array();
    if (op == "Div") n.std = n.std.cwiseProduct(c);
  }

  void relu(const onnx::NodeProto& node) {
    require_inputs(node, 1, 1);
    net_.layers.emplace_back(ReLU{});
  }

  // Identity and inference-mode Dropout pass the activation through unchanged.
  void identity(const onnx::NodeProto& node) {
    require_inputs(node, 1, node.op_type() == "Dropout" ? 3 : 1);
    if (node.input(0) != act_.name) fail("expected the activation as the first input");
    if (node.input_size() == 3 && !node.input(2).empty()) {
      const onnx::TensorProto& t = tensor(node.input(2));
      const bool training = t.data_type() == onnx::TensorProto::BOOL &&
                            ((t.raw_data().size() == 1 && t.raw_data()[0] != 0) ||
                             (t.int32_data_size() == 1 && t.int32_data(0) != 0));
      if (training) fail("training_mode is true; expected an inference-mode export");
    }
  }

  double batch_norm_epsilon(const onnx::NodeProto& node) const {
    const double eps = float_attr(node, "epsilon", 1e-5);
    for (const auto& p : model_.metadata_props()) {
      if (p.key() != kEpsilonKey + node.name()) continue;
      const double exact = std::strtod(p.value().c_str(), nullptr);
      // Trust the exact value only while it still agrees with the attribute that runtimes use.
      if (std::isfinite(exact) && static_cast<float>(exact) == static_cast<float>(eps)) return exact;
    }
    return eps;
  }

  void batch_norm(const onnx::NodeProto& node) {
    require_inputs(node, 5, 5);
    if (node.input(0) != act_.name) fail("expected the activation as input X");
    for (int i = 1; i < node.output_size(); ++i)
      if (!node.output(i).empty()) fail("training-mode outputs (running statistics) present; expected eval mode");
    if (int_attr(node, "training_mode", 0) != 0) fail("training_mode=1; expected an inference-mode export");
    if (act_.dims.size() < 2) fail("expected an input of rank >= 2 (N x C ...); got " + shape_text(act_.dims));
    const std::int64_t channels = act_.dims[1];
    auto param = [&](int i) {
      RealTensor t = real(node.input(i));
      if (t.dims.size() != 1 || t.dims[0] != channels)
        fail("parameter " + quoted(node.input(i)) + " has shape " + shape_text(t.dims) + "; expected [" +
             std::to_string(channels) + "] (one per channel)");
      // Channel axis 1 of X: broadcast as [1, C, 1, ...].
      t.dims.assign(act_.dims.size(), 1);
      t.dims[1] = channels;
      return per_feature(t, "parameter " + quoted(node.input(i)));
    };
    BatchNorm bn{param(1), param(2), param(3), param(4), batch_norm_epsilon(node)};
    if ((bn.var.array() + bn.eps <= 0).any()) fail("variance + epsilon must be positive");
    net_.layers.emplace_back(std::move(bn));
  }

  void flatten(const onnx::NodeProto& node) {
    require_inputs(node, 1, 1);
    const auto rank = static_cast<std::int64_t>(act_.dims.size());
    std::int64_t axis = int_attr(node, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank) fail("axis out of range for input " + shape_text(act_.dims, act_.batched));
    std::int64_t outer = 1, inner = 1;
    for (std::int64_t i = act_.batched ? 1 : 0; i < rank; ++i) (i < axis ? outer : inner) *= act_.dims[i];
    if (act_.batched && (axis == 0 || outer != 1))
      fail("axis " + std::to_string(axis) + " would merge the batch axis with features of " +
           shape_text(act_.dims, act_.batched) + "; expected axis 1");
    set_dims({act_.batched ? act_.dims[0] : outer, inner}, act_.batched);
  }

  void reshape(const onnx::NodeProto& node) {
    require_inputs(node, 1, 2);
    std::vector<std::int64_t> shape;
    if (node.input_size() == 2) {
      shape = int64_values(node.input(1));
    } else if (const auto* a = attribute(node, "shape"); a && a->type() == onnx::AttributeProto::INTS) {
      shape.assign(a->ints().begin(), a->ints().end());  // opset < 5
    } else {
      fail("expected a shape input (INT64 initializer or Constant)");
    }
    const bool allow_zero = int_attr(node, "allowzero", 0) != 0;
    const std::string from = shape_text(act_.dims, act_.batched);
    std::vector<std::int64_t> out(shape.size());
    std::size_t first = 0;
    if (act_.batched) {
      if (shape.size() < 2 ||
          !((shape[0] == 0 && !allow_zero) || shape[0] == -1 || (act_.dims[0] > 0 && shape[0] == act_.dims[0])))
        fail("shape " + shape_text(shape) + " must keep the batch axis first (0, -1 or N) for input " + from);
      out[0] = act_.dims[0];
      first = 1;
    }
    // A -1 in the batch position infers the batch, so the sample axes must then match exactly.
    std::int64_t known = 1;
    std::size_t infer = shape.size();
    for (std::size_t i = first; i < shape.size(); ++i) {
      std::int64_t v = shape[i];
      if (v == 0 && !allow_zero && i < act_.dims.size()) v = act_.dims[i];
      if (v == -1 && infer == shape.size() && !(act_.batched && shape[0] == -1)) {
        infer = i;
        continue;
      }
      if (v <= 0 || v > kMaxWidth)
        fail("shape " + shape_text(shape) + " has an invalid entry at " + std::to_string(i) + " for input " + from);
      out[i] = v;
      known *= v;
      if (known > kMaxWidth) fail("shape " + shape_text(shape) + " changes the element count of " + from);
    }
    const std::int64_t width = sample_width(act_);
    if (infer != shape.size()) {
      if (width % known != 0) fail("shape " + shape_text(shape) + " cannot keep the element count of " + from);
      out[infer] = width / known;
    } else if (known != width) {
      fail("shape " + shape_text(shape) + " changes the element count of " + from + "; it must keep " +
           std::to_string(width) + " values per sample");
    }
    set_dims(std::move(out), act_.batched);
  }

  const onnx::ModelProto& model_;
  const onnx::GraphProto& graph_;
  std::string file_;
  std::string where_ = "graph";
  std::map<std::string, const onnx::TensorProto*> constants_;
  std::deque<onnx::TensorProto> owned_;  // tensors made from Constant nodes (stable addresses)
  std::set<std::string> consumed_;       // activations an earlier node used; a second use is a branch
  Activation act_;
  Network net_;
};

// ---- export -------------------------------------------------------------------------------

bool float_exact(const Network& net) {
  auto exact = [](const auto& m) {
    return (m.array() == m.array().template cast<float>().template cast<double>()).all();
  };
  bool ok = true;
  for (const auto& layer : net.layers)
    std::visit(Overloaded{[&](const Dense& d) { ok = ok && exact(d.W) && exact(d.b); },
                          [&](const BatchNorm& b) {
                            ok = ok && exact(b.gamma) && exact(b.beta) && exact(b.mean) && exact(b.var);
                          },
                          [&](const ReLU&) {},
                          [&](const Normalize& n) { ok = ok && exact(n.mean) && exact(n.std); }},
               layer);
  return ok;
}

// Each layer becomes its own nodes, so re-import rebuilds the same layers, with one exception the
// importer's folding rule implies: a Normalize directly after a Dense or another Normalize comes
// back merged into it (same function, different layers). nncert only puts Normalize at the input.
class Exporter {
 public:
  explicit Exporter(const Network& net) : net_(net) {
    elem_ = float_exact(net) ? onnx::TensorProto::FLOAT : onnx::TensorProto::DOUBLE;
    model_.set_ir_version(8);
    model_.set_producer_name("nncert");
    model_.add_opset_import()->set_version(13);
    graph_ = model_.mutable_graph();
    graph_->set_name("nncert");
  }

  std::string run() {
    std::string current = "input";
    set_value_info(graph_->add_input(), "input", net_.input_size);
    for (std::size_t i = 0; i < net_.layers.size(); ++i) {
      const std::string p = "layer" + std::to_string(i);
      std::visit(Overloaded{[&](const Dense& d) {
                              const RowMajor W = d.W;
                              auto* n = node("Gemm", p + ".gemm", {current, add(p + ".W", W), add(p + ".b", d.b)});
                              auto* a = n->add_attribute();
                              a->set_name("transB");
                              a->set_type(onnx::AttributeProto::INT);
                              a->set_i(1);
                              current = n->output(0);
                            },
                            [&](const BatchNorm& b) { current = batch_norm(p, current, b); },
                            [&](const ReLU&) { current = node("Relu", p + ".relu", {current})->output(0); },
                            [&](const Normalize& z) {
                              current = node("Sub", p + ".sub", {current, add(p + ".mean", z.mean)})->output(0);
                              current = node("Div", p + ".div", {current, add(p + ".std", z.std)})->output(0);
                            }},
                 net_.layers[i]);
    }
    if (graph_->node_size() == 0) node("Identity", "identity", {current});
    graph_->mutable_node(graph_->node_size() - 1)->set_output(0, "output");
    set_value_info(graph_->add_output(), "output", output_size(net_));
    std::string bytes;
    if (!model_.SerializeToString(&bytes)) throw InternalError("ONNX serialisation failed");
    return bytes;
  }

 private:
  void set_value_info(onnx::ValueInfoProto* vi, const std::string& name, std::size_t width) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_);
    tt->mutable_shape()->add_dim()->set_dim_param("batch");
    tt->mutable_shape()->add_dim()->set_dim_value(static_cast<std::int64_t>(width));
  }

  template <class Derived>
  std::string add(const std::string& name, const Eigen::DenseBase<Derived>& values) {
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(elem_);
    if (values.cols() > 1 || Derived::ColsAtCompileTime != 1) {
      t->add_dims(values.rows());
      t->add_dims(values.cols());
    } else {
      t->add_dims(values.rows());
    }
    std::string raw;
    const bool as_float = elem_ == onnx::TensorProto::FLOAT;
    for (Eigen::Index i = 0; i < values.size(); ++i) {
      const double v = values.derived().data()[i];
      if (as_float)
        store_le(raw, std::bit_cast<std::uint32_t>(static_cast<float>(v)), 4);
      else
        store_le(raw, std::bit_cast<std::uint64_t>(v), 8);
    }
    t->set_raw_data(std::move(raw));
    return name;
  }

  onnx::NodeProto* node(const std::string& op, const std::string& name, std::initializer_list<std::string> inputs) {
    auto* n = graph_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& in : inputs) n->add_input(in);
    n->add_output(name);
    return n;
  }

  std::string batch_norm(const std::string& p, const std::string& current, const BatchNorm& b) {
    auto* n = node("BatchNormalization", p + ".bn",
                   {current, add(p + ".gamma", b.gamma), add(p + ".beta", b.beta), add(p + ".mean", b.mean),
                    add(p + ".var", b.var)});
    auto* a = n->add_attribute();
    a->set_name("epsilon");
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(static_cast<float>(b.eps));
    if (static_cast<double>(static_cast<float>(b.eps)) != b.eps) {
      char text[40];
      std::snprintf(text, sizeof text, "%.17g", b.eps);
      auto* kv = model_.add_metadata_props();
      kv->set_key(kEpsilonKey + n->name());
      kv->set_value(text);
    }
    return n->output(0);
  }

  const Network& net_;
  onnx::ModelProto model_;
  onnx::GraphProto* graph_ = nullptr;
  onnx::TensorProto::DataType elem_ = onnx::TensorProto::FLOAT;
};

}  // namespace

Network parse_onnx(const std::string& bytes, const std::string& name_for_errors) {
  if (bytes.size() > kMaxFileBytes)
    throw InputError(name_for_errors, "size", "larger than " + std::to_string(kMaxFileBytes) + " bytes");
  onnx::ModelProto model;
  google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream in(&raw);
  if (!model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
    throw InputError(name_for_errors, "protobuf", "not a valid ONNX model (truncated or corrupt protobuf)");
  if (!model.has_graph()) throw InputError(name_for_errors, "model", "has no graph; expected an ONNX model");
  return Importer(model, name_for_errors).run();
}

Network load_onnx(const std::string& path) { return parse_onnx(read_file(path, kMaxFileBytes), path); }

std::string serialize_onnx(const Network& net) {
  if (const std::string msg = check_network(net); !msg.empty()) throw InputError("ONNX export", "network", msg);
  return Exporter(net).run();
}

void save_onnx(const Network& net, const std::string& path) { write_file_atomic(path, serialize_onnx(net)); }

}  // namespace nncert
