// QVIP's real quantized networks (../shared/data/qvip/*.onnx, on-grid weights) as QNetworks in
// the QVIP scheme (Zhang et al., ASE'22): Cx = <unsigned,8,8> raw pixels, Cw = <signed,Q,Q-1>,
// Cb = <signed,Q,Q-2>, hidden Cy = <unsigned,Q,Q-2>, output Cy = <signed,Q,Q-2>. Built straight
// from the ONNX floats (exact multiples of the grid step), independently of `nncert quantize`.
#pragma once

#include "certifier/core/model.hpp"
#include "certifier/core/qsemantics.hpp"
#include "formats/onnx.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace nncert::test {

inline Model qvip_model(const std::filesystem::path& onnx, int q) {
  Model m;
  m.network = fold(load_onnx(onnx.string()));
  QNetwork qn;
  qn.input_size = m.network.input_size;
  qn.cx = QConfig{false, 8, 8};
  std::vector<const Dense*> dense;
  for (const auto& l : m.network.layers)
    if (const auto* d = std::get_if<Dense>(&l)) dense.push_back(d);
  for (std::size_t i = 0; i < dense.size(); ++i) {
    const Dense& d = *dense[i];
    const bool last = i + 1 == dense.size();
    QLayer layer{static_cast<std::size_t>(d.W.cols()), static_cast<std::size_t>(d.W.rows()), {}, {},
                 QConfig{true, q, q - 1}, QConfig{true, q, q - 2}, QConfig{last, q, q - 2}, !last};
    for (Eigen::Index r = 0; r < d.W.rows(); ++r)
      for (Eigen::Index c = 0; c < d.W.cols(); ++c) {
        const double w = std::ldexp(d.W(r, c), q - 1);
        EXPECT_EQ(w, std::round(w));
        layer.W.push_back(static_cast<std::int64_t>(w));
      }
    for (Eigen::Index r = 0; r < d.b.size(); ++r) layer.b.push_back(static_cast<std::int64_t>(std::ldexp(d.b[r], q - 2)));
    qn.layers.push_back(layer);
  }
  qn.accumulator = prove_accumulator(qn).type;  // as quantize records it
  m.qnetwork = qn;
  return m;
}

}  // namespace nncert::test
