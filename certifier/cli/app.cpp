#include "certifier/cli/app.hpp"

#include "certifier/cli/command.hpp"
#include "certifier/core/error.hpp"

#include <iostream>
#include <new>
#include <vector>

namespace nncert::cli {

namespace {

constexpr const char* kVersion = "0.1.0";

int report_error(const Globals& globals, int code, const std::string& message) {
  std::cerr << "nncert: error: " << message << "\n";
  if (globals.json) std::cout << nlohmann::json{{"error", message}, {"exit_code", code}}.dump(2) << "\n";
  return code;
}

}  // namespace

void emit(const Globals& globals, const nlohmann::json& doc, const std::string& human) {
  if (globals.json)
    std::cout << doc.dump(2) << "\n";
  else
    std::cout << human;
}

std::ostream& human_out(const Globals& globals) { return globals.json ? std::cerr : std::cout; }

int run(int argc, char** argv) {
  CLI::App app{"nncert: train, verify and deploy small neural networks you can trust"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  Globals globals;
  // Global options are accepted before or after the subcommand (fallthrough).
  app.fallthrough();
  app.add_flag("--json", globals.json, "One JSON document on stdout; human text on stderr");
  app.add_option("--seed", globals.seed, "Seed for every randomised step")->default_val(0);

  const std::vector<Command> commands{add_info(app, globals), add_convert(app, globals), add_eval(app, globals),
                                      add_verify(app, globals), add_bounds(app, globals), add_train(app, globals),
                                      add_quantize(app, globals),
                                      add_prune(app, globals), add_mrr(app, globals), add_codegen(app, globals),
                                      add_conform(app, globals), add_abstract(app, globals),
                                      add_repair(app, globals), add_certify(app, globals),
                                      add_check(app, globals), add_merge(app, globals)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kBadInput;  // DESIGN §7: bad usage is exit 2, whatever CLI11's own code
  }
  try {
    for (const Command& c : commands)
      if (c.app->parsed()) return c.run();
    return report_error(globals, kBadInput, "no command given (see nncert --help)");
  } catch (const InputError& e) {
    return report_error(globals, kBadInput, e.what());
  } catch (const InternalError& e) {
    return report_error(globals, kInternal, std::string("internal error: ") + e.what());
  } catch (const std::bad_alloc&) {
    return report_error(globals, kInternal, "internal error: out of memory");
  } catch (const std::exception& e) {
    return report_error(globals, kInternal, std::string("internal error: ") + e.what());
  }
}

}  // namespace nncert::cli
