#include "formats/model_file.hpp"

#include "certifier/core/error.hpp"
#include "formats/nnc.hpp"
#include "formats/onnx.hpp"

#include <cctype>
#include <filesystem>

namespace nncert {

namespace {

std::string extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

[[noreturn]] void unknown_extension(const std::string& path) {
  throw InputError(path, "file name", "expected a .onnx or .nnc model file");
}

}  // namespace

Model load_model(const std::string& path) {
  const std::string ext = extension(path);
  if (ext == ".nnc") return load_nnc(path);
  if (ext == ".onnx") {
    Model model;
    model.network = load_onnx(path);
    model.provenance.source = "onnx:" + std::filesystem::path(path).filename().string();
    return model;
  }
  unknown_extension(path);
}

void save_model(const Model& model, const std::string& path, std::string* dropped) {
  const std::string ext = extension(path);
  if (dropped) dropped->clear();
  if (ext == ".nnc") return save_nnc(model, path);
  if (ext != ".onnx") unknown_extension(path);
  if (dropped) {
    if (model.qnetwork) *dropped = "the quantized network";
    if (!model.certificates.empty())
      *dropped += std::string(dropped->empty() ? "" : " and ") + std::to_string(model.certificates.size()) +
                  " certificate(s)";
  }
  save_onnx(model.network, path);
}

}  // namespace nncert
