// ONNX model import and export (opset 8..17 subset for MLPs): Gemm, MatMul+Add, Relu,
// BatchNormalization, Flatten, Reshape, Identity, Constant, Sub/Div/Mul/Add by constants.
#pragma once

#include "certifier/core/network.hpp"

#include <string>

namespace nncert {

// Reads an ONNX file into a float Network. Throws InputError (file, node, expectation) on
// malformed files, unsupported operators (naming op and node), shape mismatches, NaN/Inf.
Network load_onnx(const std::string& path);
Network parse_onnx(const std::string& bytes, const std::string& name_for_errors);

// Writes `net` as ONNX (opset 13): Gemm(transB=1) per Dense, Relu, BatchNormalization, and
// Sub+Div for Normalize. Tensors are FLOAT when every value survives a float round trip,
// else DOUBLE, so that re-import gives identical weights. Written atomically.
void save_onnx(const Network& net, const std::string& path);
std::string serialize_onnx(const Network& net);

}  // namespace nncert
