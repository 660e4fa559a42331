// `nncert check BUNDLE`: re-validates a bundle `nncert certify` wrote: every file digest in its
// manifest, the certificates against the .nnc, the code against its QNetwork, conformance on host.
#include "certifier/cli/app.hpp"
#include "certifier/cli/command.hpp"

#include "certifier/pipeline/bundle.hpp"

#include <iostream>
#include <sstream>

namespace nncert::cli {

Command add_check(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("check", "Re-validate a certified bundle (digests, certificates, code, conform)");
  auto bundle = std::make_shared<std::string>();
  sub->add_option("bundle", *bundle, "Bundle folder written by `nncert certify`")->required();
  return {sub, [bundle, &globals] {
            const pipeline::CheckResult r = pipeline::check_bundle(*bundle);
            nlohmann::json doc{{"bundle", *bundle},
                               {"ok", r.ok()},
                               {"files", r.checked_files},
                               {"certificates", r.certificates},
                               {"conform_vectors", r.conform_vectors},
                               {"conform_mismatches", r.conform_mismatches},
                               {"problems", r.problems}};
            if (!r.ok()) {
              // One clear line first; the rest follow for whoever looks further.
              std::cerr << "nncert: error: " << r.problems.front() << "\n";
              for (std::size_t i = 1; i < r.problems.size(); ++i) std::cerr << "  also: " << r.problems[i] << "\n";
              if (globals.json) emit(globals, doc, "");
              return r.exit_code();
            }
            std::ostringstream text;
            text << "bundle " << *bundle << " checks: " << r.checked_files << " file digests, " << r.certificates
                 << " certificates, code = QNetwork, conform on host " << r.conform_vectors << " vectors, 0 mismatches\n";
            emit(globals, doc, text.str());
            return static_cast<int>(kOk);
          }};
}

}  // namespace nncert::cli
