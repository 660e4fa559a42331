#include "formats/nnc.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/core/qsemantics.hpp"
#include "formats/atomic_file.hpp"

#include "nnc_generated.h"

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace nncert {

namespace {

// Bumped only for changes an older reader would misread (see formats/nnc.fbs).
constexpr std::uint32_t kFormatVersion = 1;

// Widths are otherwise bounded by the vectors actually present in the file, except a network's
// declared input size when no layer pins it down; downstream code allocates per input, so an
// absurd value is treated as corruption. 2^20 inputs is far beyond a "small" network.
constexpr std::uint64_t kMaxInputSize = std::uint64_t{1} << 20;

// Bounds the verifier's work on adversarial files: our own files nest 4 tables deep and hold
// about two tables per layer and one per certificate.
constexpr flatbuffers::uoffset_t kMaxDepth = 16;
constexpr flatbuffers::uoffset_t kMaxTables = 1u << 20;

// ---- reading ------------------------------------------------------------------------------

template <class T>
using FbVector = flatbuffers::Vector<T>;

// Converts a verified buffer into a Model. The verifier only guarantees that every offset
// stays inside the buffer; everything about meaning (sizes agreeing, values finite, on grid)
// is checked here, always before the allocation it would size.
class Reader {
 public:
  Reader(const std::string& file, std::size_t file_bytes) : file_(file), budget_(file_bytes) {}

  Model model(const fb::Model& m) {
    check_version(m.format_version());
    Model out;
    if (!m.network()) fail("model", "the float network is missing");
    out.network = network(*m.network());
    if (m.qnetwork()) out.qnetwork = qnetwork(*m.qnetwork());
    if (!m.provenance()) fail("model", "the provenance table is missing");
    out.provenance = provenance(*m.provenance());
    if (const auto* certs = m.certificates()) {
      charge(certs->size(), sizeof(flatbuffers::uoffset_t), "certificates");
      for (flatbuffers::uoffset_t i = 0; i < certs->size(); ++i)
        out.certificates.push_back(certificate(*certs->Get(i)));
    }
    if (out.qnetwork) check_accumulator_proof(*out.qnetwork, out.certificates);
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& position, const std::string& what) const {
    throw InputError(file_, position, what);
  }

  // FlatBuffers lets many offsets point at one object, so a small file could otherwise expand
  // into terabytes when every reference is copied out. Each copy is charged what it occupies in
  // an unshared file (8 bytes a double, 4 an int or offset slot, 1 a character); our writer never
  // shares, so an honest file never runs out, and memory stays within a small multiple of it.
  void charge(std::size_t count, std::size_t unit, const std::string& position) {
    const std::size_t bytes = count * unit;  // count <= 2^31 / unit: verified vector length
    if (bytes > budget_) fail(position, "shared data expands beyond the file size (corrupt file)");
    budget_ -= bytes;
  }

  void check_version(std::uint32_t version) const {
    if (version == 0) fail("header", "format_version is missing");
    if (version > kFormatVersion)
      fail("header", "format version " + std::to_string(version) + " is newer than this nncert (reads up to " +
                         std::to_string(kFormatVersion) + ")");
  }

  std::string text(const flatbuffers::String* s, const std::string& position) {
    if (!s) return {};
    charge(s->size(), 1, position);
    return s->str();
  }

  Vector doubles(const FbVector<double>* v, const std::string& position, const char* field) {
    if (!v) fail(position, std::string(field) + " is missing");
    charge(v->size(), sizeof(double), position);
    // The verifier checks only the vector's length field for alignment, so a crafted file can
    // place the doubles off an 8-byte boundary: copy bytes instead of loading them in place.
    Vector out(static_cast<Eigen::Index>(v->size()));
    if (v->size() > 0) std::memcpy(out.data(), v->Data(), v->size() * sizeof(double));
    static_assert(FLATBUFFERS_LITTLEENDIAN, "the .nnc reader copies little-endian doubles directly");
    return out;
  }

  std::vector<std::int64_t> integers(const FbVector<std::int32_t>* v, const std::string& position,
                                     const char* field) {
    if (!v) fail(position, std::string(field) + " is missing");
    charge(v->size(), sizeof(std::int32_t), position);
    return {v->begin(), v->end()};
  }

  // rows * cols == n without overflow, both positive.
  static bool is_shape_of(std::uint64_t rows, std::uint64_t cols, std::size_t n) {
    return rows > 0 && cols > 0 && cols <= n / rows && rows * cols == n;
  }

  Dense dense(const fb::Dense& d, const std::string& pos) {
    if (!d.w() || !d.b()) fail(pos, "weights or biases are missing");
    if (!is_shape_of(d.rows(), d.cols(), d.w()->size()))
      fail(pos, "weight array has " + std::to_string(d.w()->size()) + " entries, expected rows x cols = " +
                    std::to_string(d.rows()) + " x " + std::to_string(d.cols()));
    if (d.b()->size() != d.rows())
      fail(pos, "bias has " + std::to_string(d.b()->size()) + " entries, expected " + std::to_string(d.rows()));
    const Vector w = doubles(d.w(), pos, "w");
    const auto rows = static_cast<Eigen::Index>(d.rows()), cols = static_cast<Eigen::Index>(d.cols());
    // The file is row-major (the natural order for readers in other languages); Eigen is not.
    Matrix W = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        w.data(), rows, cols);
    return Dense{std::move(W), doubles(d.b(), pos, "b")};
  }

  BatchNorm batch_norm(const fb::BatchNorm& bn, const std::string& pos) {
    return BatchNorm{doubles(bn.gamma(), pos, "gamma"), doubles(bn.beta(), pos, "beta"),
                     doubles(bn.mean(), pos, "mean"), doubles(bn.var(), pos, "var"), bn.eps()};
  }

  Normalize normalize(const fb::Normalize& n, const std::string& pos) {
    return Normalize{doubles(n.mean(), pos, "mean"), doubles(n.std(), pos, "std")};
  }

  // Every kind must be recognised: skipping an unknown one would silently change the function.
  Layer layer(const fb::Layer& l, const std::string& pos) {
    using K = fb::LayerKind;
    const K kind = l.kind_type();
    if (kind == K::NONE) fail(pos, "layer has no kind");
    if (flatbuffers::IsOutRange(kind, K::Dense, K::Normalize))
      fail(pos, "unknown layer kind " + std::to_string(static_cast<int>(kind)) +
                    " (file written by a newer nncert?)");
    if (!l.kind()) fail(pos, "layer parameters are missing");
    switch (kind) {
      case K::Dense: return dense(*l.kind_as_Dense(), pos);
      case K::BatchNorm: return batch_norm(*l.kind_as_BatchNorm(), pos);
      case K::ReLU: return ReLU{};
      case K::Normalize: return normalize(*l.kind_as_Normalize(), pos);
      default: break;
    }
    fail(pos, "unknown layer kind");
  }

  Network network(const fb::Network& n) {
    if (n.input_size() > kMaxInputSize)
      fail("network", "input size " + std::to_string(n.input_size()) + " exceeds " + std::to_string(kMaxInputSize));
    Network net{static_cast<std::size_t>(n.input_size()), {}};
    if (const auto* layers = n.layers()) {
      charge(layers->size(), sizeof(flatbuffers::uoffset_t), "network");
      for (flatbuffers::uoffset_t i = 0; i < layers->size(); ++i)
        net.layers.push_back(layer(*layers->Get(i), "network layer " + std::to_string(i)));
    }
    if (const std::string err = check_network(net); !err.empty()) fail("network", err);
    return net;
  }

  QConfig qconfig(const fb::QConfig* c, const std::string& pos, const char* field) const {
    if (!c) fail(pos, std::string("quantization config ") + field + " is missing");
    return QConfig{c->is_signed(), c->bits(), c->frac()};
  }

  QLayer qlayer(const fb::QLayer& l, const std::string& pos) {
    if (!l.w() || !l.b()) fail(pos, "weights or biases are missing");
    if (!is_shape_of(l.outputs(), l.inputs(), l.w()->size()))
      fail(pos, "weight array has " + std::to_string(l.w()->size()) + " entries, expected outputs x inputs = " +
                    std::to_string(l.outputs()) + " x " + std::to_string(l.inputs()));
    if (l.b()->size() != l.outputs())
      fail(pos, "bias has " + std::to_string(l.b()->size()) + " entries, expected " + std::to_string(l.outputs()));
    QLayer out;
    out.inputs = static_cast<std::size_t>(l.inputs());
    out.outputs = static_cast<std::size_t>(l.outputs());
    out.W = integers(l.w(), pos, "w");
    out.b = integers(l.b(), pos, "b");
    out.cw = qconfig(l.cw(), pos, "cw");
    out.cb = qconfig(l.cb(), pos, "cb");
    out.cy = qconfig(l.cy(), pos, "cy");
    out.relu = l.relu();
    return out;
  }

  AccumulatorType accumulator(fb::AccumulatorType a) const {
    switch (a) {
      case fb::AccumulatorType::Int32: return AccumulatorType::Int32;
      case fb::AccumulatorType::Int64: return AccumulatorType::Int64;
    }
    fail("qnetwork", "unknown accumulator type " + std::to_string(static_cast<int>(a)));
  }

  QNetwork qnetwork(const fb::QNetwork& n) {
    if (n.input_size() > kMaxInputSize)
      fail("qnetwork", "input size " + std::to_string(n.input_size()) + " exceeds " + std::to_string(kMaxInputSize));
    QNetwork net;
    net.input_size = static_cast<std::size_t>(n.input_size());
    net.cx = qconfig(n.cx(), "qnetwork", "cx");
    net.accumulator = accumulator(n.accumulator());
    if (const auto* layers = n.layers()) {
      charge(layers->size(), sizeof(flatbuffers::uoffset_t), "qnetwork");
      for (flatbuffers::uoffset_t i = 0; i < layers->size(); ++i)
        net.layers.push_back(qlayer(*layers->Get(i), "qnetwork layer " + std::to_string(i)));
    }
    if (const std::string err = check_qnetwork(net); !err.empty()) fail("qnetwork", err);
    return net;
  }

  // The accumulator type is part of the certificate and the generated code uses exactly it, so
  // the stored type, and every accumulator certificate about this QNetwork, must be what a fresh
  // proof gives: a stale or edited proof is refused, never quietly replaced.
  void check_accumulator_proof(const QNetwork& net, const std::vector<Certificate>& certificates) const {
    const AccumulatorProof fresh = prove_accumulator(net);
    const std::string expected = accumulator_property(fresh.type) + " (|acc| <= " +
                                 std::to_string(fresh.final_bound) + ", partial sums <= " +
                                 std::to_string(fresh.partial_bound) + ")";
    if (net.accumulator != fresh.type)
      fail("qnetwork", "stores " + to_string(net.accumulator) + " accumulators, expected the proven " + expected);
    std::string qdigest;
    for (const Certificate& c : certificates) {
      if (c.network != "quantized" || !is_accumulator_property(c.property)) continue;
      if (qdigest.empty()) qdigest = digest(net);
      if (c.weights_digest != qdigest) continue;  // about another QNetwork: stale, not this proof
      if (c.property != accumulator_property(fresh.type) || c.bound != static_cast<double>(fresh.final_bound))
        fail("certificate", "states '" + c.property + "' with bound " + std::to_string(c.bound) + ", expected " +
                                expected);
    }
  }

  Provenance provenance(const fb::Provenance& p) {
    return Provenance{text(p.source(), "provenance"), text(p.dataset(), "provenance"),
                      text(p.dataset_digest(), "provenance"), text(p.training_config(), "provenance"), p.seed()};
  }

  Certificate certificate(const fb::Certificate& c) {
    const std::string pos = "certificate";
    Certificate out;
    out.property = text(c.property(), pos);
    out.method = text(c.method(), pos);
    out.verdict = text(c.verdict(), pos);
    out.bound = c.bound();
    out.seconds = c.seconds();
    out.tool_version = text(c.tool_version(), pos);
    out.weights_digest = text(c.weights_digest(), pos);
    out.network = text(c.network(), pos);
    return out;
  }

  const std::string& file_;
  std::size_t budget_;
};

// ---- writing ------------------------------------------------------------------------------

using Builder = flatbuffers::FlatBufferBuilder;

// FlatBuffers copies from the pointer even for zero elements, and an empty Eigen vector's data()
// is null: give it a valid address instead.
template <class T>
flatbuffers::Offset<FbVector<T>> fb_vector(Builder& fbb, const T* data, std::size_t n) {
  static const T zero{};
  return fbb.CreateVector(n ? data : &zero, n);
}

flatbuffers::Offset<FbVector<double>> fb_vector(Builder& fbb, const Vector& v) {
  return fb_vector(fbb, v.data(), static_cast<std::size_t>(v.size()));
}

template <class To, class From>
To narrow(From v, const char* what) {
  if (v < std::numeric_limits<To>::min() || v > std::numeric_limits<To>::max())
    throw InternalError(std::string("cannot store ") + what + " " + std::to_string(v) +
                        " in a .nnc file: outside the range any valid model uses");
  return static_cast<To>(v);
}

flatbuffers::Offset<fb::Layer> write_layer(Builder& fbb, const Layer& layer) {
  if (const auto* d = std::get_if<Dense>(&layer)) {
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> w = d->W;
    const auto wv = fb_vector(fbb, w.data(), static_cast<std::size_t>(w.size()));
    const auto bv = fb_vector(fbb, d->b);
    const auto t = fb::CreateDense(fbb, static_cast<std::uint64_t>(w.rows()), static_cast<std::uint64_t>(w.cols()),
                                   wv, bv);
    return fb::CreateLayer(fbb, fb::LayerKind::Dense, t.Union());
  }
  if (const auto* bn = std::get_if<BatchNorm>(&layer)) {
    const auto g = fb_vector(fbb, bn->gamma), be = fb_vector(fbb, bn->beta);
    const auto m = fb_vector(fbb, bn->mean), v = fb_vector(fbb, bn->var);
    const auto t = fb::CreateBatchNorm(fbb, g, be, m, v, bn->eps);
    return fb::CreateLayer(fbb, fb::LayerKind::BatchNorm, t.Union());
  }
  if (const auto* n = std::get_if<Normalize>(&layer)) {
    const auto m = fb_vector(fbb, n->mean), s = fb_vector(fbb, n->std);
    return fb::CreateLayer(fbb, fb::LayerKind::Normalize, fb::CreateNormalize(fbb, m, s).Union());
  }
  return fb::CreateLayer(fbb, fb::LayerKind::ReLU, fb::CreateReLU(fbb).Union());
}

flatbuffers::Offset<fb::Network> write_network(Builder& fbb, const Network& net) {
  std::vector<flatbuffers::Offset<fb::Layer>> layers;
  for (const Layer& layer : net.layers) layers.push_back(write_layer(fbb, layer));
  return fb::CreateNetwork(fbb, net.input_size, fbb.CreateVector(layers));
}

fb::QConfig write_qconfig(const QConfig& c) {
  return fb::QConfig(c.is_signed, narrow<std::int8_t>(c.bits, "quantization bits"),
                     narrow<std::int16_t>(c.frac, "fractional bits"));
}

flatbuffers::Offset<fb::QLayer> write_qlayer(Builder& fbb, const QLayer& l) {
  auto ints = [&](const std::vector<std::int64_t>& v, const char* what) {
    std::vector<std::int32_t> out;
    out.reserve(v.size());
    for (const std::int64_t x : v) out.push_back(narrow<std::int32_t>(x, what));
    return fb_vector(fbb, out.data(), out.size());
  };
  const auto w = ints(l.W, "weight"), b = ints(l.b, "bias");
  const fb::QConfig cw = write_qconfig(l.cw), cb = write_qconfig(l.cb), cy = write_qconfig(l.cy);
  return fb::CreateQLayer(fbb, l.inputs, l.outputs, w, b, &cw, &cb, &cy, l.relu);
}

flatbuffers::Offset<fb::QNetwork> write_qnetwork(Builder& fbb, const QNetwork& net) {
  std::vector<flatbuffers::Offset<fb::QLayer>> layers;
  for (const QLayer& layer : net.layers) layers.push_back(write_qlayer(fbb, layer));
  const auto lv = fbb.CreateVector(layers);
  const fb::QConfig cx = write_qconfig(net.cx);
  const auto acc = net.accumulator == AccumulatorType::Int32 ? fb::AccumulatorType::Int32 : fb::AccumulatorType::Int64;
  return fb::CreateQNetwork(fbb, net.input_size, &cx, lv, acc);
}

flatbuffers::Offset<fb::Provenance> write_provenance(Builder& fbb, const Provenance& p) {
  const auto source = fbb.CreateString(p.source), dataset = fbb.CreateString(p.dataset);
  const auto digest = fbb.CreateString(p.dataset_digest), config = fbb.CreateString(p.training_config);
  return fb::CreateProvenance(fbb, source, dataset, digest, config, p.seed);
}

flatbuffers::Offset<fb::Certificate> write_certificate(Builder& fbb, const Certificate& c) {
  const auto property = fbb.CreateString(c.property), method = fbb.CreateString(c.method);
  const auto verdict = fbb.CreateString(c.verdict), tool = fbb.CreateString(c.tool_version);
  const auto digest = fbb.CreateString(c.weights_digest), network = fbb.CreateString(c.network);
  return fb::CreateCertificate(fbb, property, method, verdict, c.bound, c.seconds, tool, digest, network);
}

}  // namespace

Model parse_nnc(const std::string& bytes, const std::string& name_for_errors) {
  const std::string& file = name_for_errors;
  if (bytes.empty()) throw InputError(file, "header", "empty file, expected a .nnc model");
  if (bytes.size() < 8 || !fb::ModelBufferHasIdentifier(bytes.data()))
    throw InputError(file, "header", "not a .nnc file (missing the \"NNC1\" identifier)");
  if (bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE)
    throw InputError(file, "header", "file too large for a .nnc model");
  // FlatBuffers reads scalars in place; it checks alignment relative to the buffer start, so
  // the start itself must be aligned for the widest scalar (8 bytes) or reads would be UB.
  std::vector<std::uint64_t> aligned;
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  if (reinterpret_cast<std::uintptr_t>(data) % alignof(std::uint64_t) != 0) {
    aligned.resize((bytes.size() + 7) / 8);
    std::memcpy(aligned.data(), bytes.data(), bytes.size());
    data = reinterpret_cast<const std::uint8_t*>(aligned.data());
  }
  flatbuffers::Verifier::Options opts;
  opts.max_depth = kMaxDepth;
  opts.max_tables = kMaxTables;
  flatbuffers::Verifier verifier(data, bytes.size(), opts);
  if (!fb::VerifyModelBuffer(verifier))
    throw InputError(file, "structure", "corrupt or truncated .nnc file (FlatBuffers verification failed)");
  return Reader(file, bytes.size()).model(*fb::GetModel(data));
}

Model load_nnc(const std::string& path) {
  return parse_nnc(read_file(path, FLATBUFFERS_MAX_BUFFER_SIZE - 1), path);
}

std::string serialize_nnc(const Model& model) {
  Builder fbb(1024);
  // Store every scalar even when it equals the schema default: -0.0 == 0.0 would otherwise be
  // dropped and read back as +0.0, breaking the bit-exact round trip.
  fbb.ForceDefaults(true);
  const auto network = write_network(fbb, model.network);
  const auto qnetwork = model.qnetwork ? write_qnetwork(fbb, *model.qnetwork) : flatbuffers::Offset<fb::QNetwork>();
  const auto provenance = write_provenance(fbb, model.provenance);
  std::vector<flatbuffers::Offset<fb::Certificate>> certs;
  for (const Certificate& c : model.certificates) certs.push_back(write_certificate(fbb, c));
  const auto cert_vector = fbb.CreateVector(certs);
  fb::FinishModelBuffer(fbb, fb::CreateModel(fbb, kFormatVersion, network, qnetwork, provenance, cert_vector));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

void save_nnc(const Model& model, const std::string& path) { write_file_atomic(path, serialize_nnc(model)); }

}  // namespace nncert
