// What every `nncert` subcommand shares: global options, and the registration shape
// (each command file adds its subcommand and returns how to run it after parsing).
#pragma once

#include "certifier/core/version.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace nncert::cli {

struct Globals {
  bool json = false;       // one JSON document on stdout; human text goes to stderr
  std::uint64_t seed = 0;  // every randomised step takes its seed from here
};

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns the exit code
};

Command add_info(CLI::App& parent, const Globals& globals);
Command add_convert(CLI::App& parent, const Globals& globals);
Command add_eval(CLI::App& parent, const Globals& globals);
Command add_verify(CLI::App& parent, const Globals& globals);
Command add_bounds(CLI::App& parent, const Globals& globals);
Command add_train(CLI::App& parent, const Globals& globals);
Command add_prune(CLI::App& parent, const Globals& globals);
Command add_mrr(CLI::App& parent, const Globals& globals);
Command add_quantize(CLI::App& parent, const Globals& globals);
Command add_codegen(CLI::App& parent, const Globals& globals);
Command add_conform(CLI::App& parent, const Globals& globals);
Command add_abstract(CLI::App& parent, const Globals& globals);
Command add_repair(CLI::App& parent, const Globals& globals);
Command add_certify(CLI::App& parent, const Globals& globals);
Command add_check(CLI::App& parent, const Globals& globals);
Command add_merge(CLI::App& parent, const Globals& globals);

// Writes the command's result: `doc` as JSON on stdout with --json, else `human` on stdout.
void emit(const Globals& globals, const nlohmann::json& doc, const std::string& human);

// Where human-readable notes go: stderr with --json (stdout stays one JSON document), else stdout.
std::ostream& human_out(const Globals& globals);

}  // namespace nncert::cli
