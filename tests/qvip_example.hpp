// QVIP's running example (Zhang et al., ASE'22, Example 2.2): the 2-2-2 QNN whose golden trace
// x = (10,2) -> hidden (3,17) -> output (8,10) several test suites check against.
#pragma once

#include "certifier/core/qsemantics.hpp"

namespace nncert::test {

inline QNetwork qvip_example_2_2() {
  const QConfig cw{true, 6, 4}, cx{false, 6, 4};
  QNetwork net;
  net.input_size = 2;
  net.cx = cx;
  net.layers.push_back(QLayer{2, 2, {9, -20, 24, 17}, {0, 0}, cw, cw, cx, true});
  net.layers.push_back(QLayer{2, 2, {-12, 10, 13, 7}, {0, 0}, cw, cw, cx, false});
  net.accumulator = prove_accumulator(net).type;  // as quantize records it
  return net;
}

}  // namespace nncert::test
