#include "certifier/core/digest.hpp"

#include "certifier/core/overloaded.hpp"

#include <openssl/evp.h>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace nncert {

namespace {

// Appends values in the canonical byte order, independent of the host's endianness.
class CanonicalBytes {
 public:
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }
  void tag(std::string_view t) {
    u64(t.size());
    bytes_.append(t);
  }
  void matrix(const Matrix& m) {
    u64(static_cast<std::uint64_t>(m.rows()));
    u64(static_cast<std::uint64_t>(m.cols()));
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      for (Eigen::Index c = 0; c < m.cols(); ++c) f64(m(r, c));
  }
  void vector(const Vector& v) {
    u64(static_cast<std::uint64_t>(v.size()));
    for (Eigen::Index i = 0; i < v.size(); ++i) f64(v[i]);
  }
  void config(const QConfig& c) {
    u64(c.is_signed ? 1 : 0);
    i64(c.bits);
    i64(c.frac);
  }
  const std::string& str() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 0xf]);
  }
  return out;
}

std::string digest(const Network& net) {
  CanonicalBytes out;
  out.tag("nncert.Network.v1");
  out.u64(net.input_size);
  for (const auto& layer : net.layers) {
    out.tag(layer_kind(layer));
    std::visit(Overloaded{[&](const Dense& d) {
                            out.matrix(d.W);
                            out.vector(d.b);
                          },
                          [&](const BatchNorm& bn) {
                            out.vector(bn.gamma);
                            out.vector(bn.beta);
                            out.vector(bn.mean);
                            out.vector(bn.var);
                            out.f64(bn.eps);
                          },
                          [&](const ReLU&) {},
                          [&](const Normalize& nz) {
                            out.vector(nz.mean);
                            out.vector(nz.std);
                          }},
               layer);
  }
  return sha256_hex(out.str());
}

std::string digest(const QNetwork& net) {
  CanonicalBytes out;
  out.tag("nncert.QNetwork.v1");
  out.u64(net.input_size);
  out.config(net.cx);
  for (const auto& layer : net.layers) {
    out.u64(layer.inputs);
    out.u64(layer.outputs);
    out.config(layer.cw);
    out.config(layer.cb);
    out.config(layer.cy);
    out.u64(layer.relu ? 1 : 0);
    for (auto w : layer.W) out.i64(w);
    for (auto b : layer.b) out.i64(b);
  }
  return sha256_hex(out.str());
}

}  // namespace nncert
