#include "certifier/pipeline/pipeline_spec.hpp"

#include "certifier/core/error.hpp"
#include "formats/atomic_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace nncert::pipeline {

namespace {

enum class Type { String, Integer, Number, Boolean };

struct Key {
  const char* name;
  Type type;
  nlohmann::json fallback;  // null = required
};

struct KindSchema {
  StageKind kind;
  const char* name;
  std::vector<Key> keys;
};

// The declared settings of every stage kind: what the stage functions (stages.cpp) read.
const std::vector<KindSchema>& schemas() {
  static const std::vector<KindSchema> all{
      {StageKind::Train,
       "train",
       {{"arch", Type::String, nullptr},
        {"data", Type::String, "fashion-mnist-train"},
        {"samples", Type::String, ""},
        {"bn", Type::Boolean, false},
        {"epochs", Type::Integer, 1},
        {"batch", Type::Integer, 64},
        {"lr", Type::Number, 1e-3},
        {"threads", Type::Integer, 1}}},
      {StageKind::Prune,
       "prune",
       {{"sparsity", Type::Number, nullptr},
        {"finetune", Type::Integer, 0},
        {"data", Type::String, "fashion-mnist-train"},
        {"samples", Type::String, ""},
        {"batch", Type::Integer, 64},
        {"lr", Type::Number, 1e-3},
        {"threads", Type::Integer, 1}}},
      {StageKind::Quantize,
       "quantize",
       {{"bits", Type::Integer, nullptr},
        {"scheme", Type::String, "calibrated"},
        {"calib_data", Type::String, "fashion-mnist-train"},
        {"calib_samples", Type::Integer, 1000}}},
      {StageKind::Verify,
       "verify",
       {{"robust", Type::String, nullptr},
        {"data", Type::String, "fashion-mnist"},
        {"samples", Type::String, ""},
        {"encoding", Type::String, "compact"},
        {"solver", Type::String, "cbc"},
        {"timeout", Type::Number, 60.0},
        {"require_all", Type::Boolean, false}}},
      {StageKind::Codegen, "codegen", {{"name", Type::String, "model"}, {"dense", Type::Boolean, false}}},
      {StageKind::Conform,
       "conform",
       {{"target", Type::String, "host"}, {"vectors", Type::Integer, 200}, {"data", Type::String, ""}}},
  };
  return all;
}

std::string at(const toml::source_region& r) {
  return "line " + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& what) const {
    throw InputError(path_, at(where), what);
  }

  nlohmann::json value(const toml::node& n, Type type, const std::string& what) const {
    switch (type) {
      case Type::String:
        if (const auto* s = n.as_string()) return s->get();
        fail(n.source(), "expected a string for " + what);
      case Type::Integer:
        if (const auto* i = n.as_integer(); i && i->get() >= 0) return i->get();
        fail(n.source(), "expected a non-negative integer for " + what);
      case Type::Number:
        if (const auto v = n.value<double>(); v && std::isfinite(*v)) return *v;
        fail(n.source(), "expected a finite number for " + what);
      case Type::Boolean:
        if (const auto* b = n.as_boolean()) return b->get();
        fail(n.source(), "expected true or false for " + what);
    }
    fail(n.source(), "unsupported value for " + what);
  }

  StageSpec stage(const toml::table& t) const {
    const toml::node* kind_node = t.get("kind");
    if (!kind_node) fail(t.source(), "a [[stage]] needs kind = \"train\" | \"prune\" | \"quantize\" | \"verify\" | \"codegen\" | \"conform\"");
    const auto* kind_name = kind_node->as_string();
    const auto schema = std::find_if(schemas().begin(), schemas().end(),
                                     [&](const KindSchema& s) { return kind_name && kind_name->get() == s.name; });
    if (schema == schemas().end())
      fail(kind_node->source(), "unknown stage kind (expected train, prune, quantize, verify, codegen or conform)");
    StageSpec s;
    s.kind = schema->kind;
    s.name = schema->name;
    s.settings = nlohmann::json::object();
    for (const auto& [key, node] : t) {
      const std::string k(key.str());
      if (k == "kind") continue;
      if (k == "id") {
        s.name = value(node, Type::String, "the stage id").get<std::string>();
        continue;
      }
      const auto declared = std::find_if(schema->keys.begin(), schema->keys.end(), [&](const Key& d) { return k == d.name; });
      if (declared == schema->keys.end()) {
        std::string list = "kind, id";
        for (const Key& d : schema->keys) list += std::string(", ") + d.name;
        fail(key.source(), "unknown key \"" + k + "\" in a " + schema->name + " stage (expected one of: " + list + ")");
      }
      s.settings[k] = value(node, declared->type, s.name + "." + k);
    }
    for (const Key& d : schema->keys) {
      if (s.settings.contains(d.name)) continue;
      if (d.fallback.is_null()) fail(t.source(), "the " + s.name + " stage needs " + d.name);
      s.settings[d.name] = d.fallback;
    }
    return s;
  }

  // Stages consume what earlier ones made: the order train [prune] quantize, then the rest.
  void check_order(const PipelineSpec& p, const std::vector<toml::source_region>& where) const {
    bool trained = false, quantized = false, generated = false;
    std::map<std::string, int> names;
    for (std::size_t i = 0; i < p.stages.size(); ++i) {
      const StageSpec& s = p.stages[i];
      if (++names[s.name] > 1) fail(where[i], "a second stage named \"" + s.name + "\" (give it id = \"...\")");
      const bool first = i == 0;
      switch (s.kind) {
        case StageKind::Train:
          if (!first) fail(where[i], "train must be the first stage");
          trained = true;
          break;
        case StageKind::Prune:
          if (!trained || quantized) fail(where[i], "prune needs a trained float network before quantize");
          break;
        case StageKind::Quantize:
          if (!trained) fail(where[i], "quantize needs a trained network (a train stage first)");
          quantized = true;
          break;
        case StageKind::Verify:
        case StageKind::Codegen:
          if (!quantized) fail(where[i], s.name + " needs the quantized network (a quantize stage before it)");
          generated = generated || s.kind == StageKind::Codegen;
          break;
        case StageKind::Conform:
          if (!generated) fail(where[i], "conform needs the generated code (a codegen stage before it)");
          break;
      }
    }
    if (!trained) throw InputError(path_, "[[stage]]", "expected at least a train stage ([[stage]] kind = \"train\")");
  }

  PipelineSpec read(const toml::table& root) const {
    PipelineSpec p;
    for (const auto& [key, node] : root) {
      const std::string k(key.str());
      if (k == "name") p.name = value(node, Type::String, "name").get<std::string>();
      else if (k == "seed") p.seed = value(node, Type::Integer, "seed").get<std::uint64_t>();
      else if (k == "eval_data") p.eval_data = value(node, Type::String, "eval_data").get<std::string>();
      else if (k == "eval_samples") p.eval_samples = value(node, Type::String, "eval_samples").get<std::string>();
      else if (k != "stage")
        fail(key.source(), "unknown key \"" + k + "\" (expected name, seed, eval_data, eval_samples or [[stage]])");
    }
    std::vector<toml::source_region> where;
    if (const toml::node* stages = root.get("stage")) {
      const auto* list = stages->as_array();
      if (!list) fail(stages->source(), "expected [[stage]] tables");
      for (const toml::node& n : *list) {
        const auto* t = n.as_table();
        if (!t) fail(n.source(), "expected a [[stage]] table");
        p.stages.push_back(stage(*t));
        where.push_back(t->source());
      }
    }
    check_order(p, where);
    return p;
  }

 private:
  std::string path_;
};

}  // namespace

std::string to_string(StageKind k) {
  for (const KindSchema& s : schemas())
    if (s.kind == k) return s.name;
  return "?";
}

PipelineSpec load_pipeline(const std::string& path) {
  const std::string text = read_file(path, std::size_t{1} << 20);
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, at(e.source()), std::string(e.description()));
  }
  return Reader(path).read(root);
}

}  // namespace nncert::pipeline
