// `nncert certify PIPELINE.toml -o BUNDLE`: runs the pipeline's stages (certifier/pipeline),
// resuming unchanged ones, and leaves a bundle that `nncert check` re-validates.
#include "certifier/cli/app.hpp"
#include "certifier/cli/command.hpp"

#include "certifier/core/error.hpp"
#include "certifier/pipeline/runner.hpp"

#include <iomanip>
#include <iostream>
#include <sstream>

namespace nncert::cli {

namespace {

struct CertifyOptions {
  std::string pipeline, bundle;
};

}  // namespace

Command add_certify(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("certify", "Run a pipeline (train .. conform) into a checkable bundle");
  auto o = std::make_shared<CertifyOptions>();
  sub->add_option("pipeline", o->pipeline, "Pipeline file (TOML: [[stage]] tables, see examples/certify/)")->required();
  sub->add_option("-o,--output", o->bundle, "Bundle folder (created; re-running resumes unchanged stages)")->required();
  return {sub, [o, &globals] {
            std::ostream& text = human_out(globals);
            pipeline::RunRequest rq;
            rq.pipeline = o->pipeline;
            rq.bundle = o->bundle;
            // Progress: one line when a stage starts (it may take minutes) and one when it ends.
            rq.on_start = [&](const pipeline::StageSpec& s, std::size_t i, std::size_t n) {
              std::cerr << "[" << i + 1 << "/" << n << "] " << s.name << " ...\n" << std::flush;
            };
            rq.on_stage = [&](const pipeline::StageRecord& r, std::size_t i, std::size_t n) {
              text << "[" << i + 1 << "/" << n << "] " << std::left << std::setw(10) << r.name << std::right
                   << (r.skipped ? "  resumed (unchanged)" : "  ran") << std::fixed << std::setprecision(2)
                   << std::setw(9) << r.seconds << " s\n" << std::flush;
              text.unsetf(std::ios::fixed);
            };
            const pipeline::RunResult r = pipeline::run_pipeline(rq);
            nlohmann::json stages = nlohmann::json::array();
            for (const auto& s : r.stages) stages.push_back(pipeline::to_json(s));
            nlohmann::json doc{{"pipeline", o->pipeline}, {"bundle", o->bundle}, {"stages", stages},
                               {"exit_code", r.exit_code}};
            if (r.exit_code != 0) {
              doc["failed_stage"] = r.failed_stage;
              doc["reason"] = r.reason;
              std::cerr << "nncert: error: stage " << r.failed_stage << " failed (exit " << r.exit_code
                        << "): " << r.reason << "\n";
              if (globals.json) emit(globals, doc, "");
              return r.exit_code;
            }
            doc["certificates"] = r.manifest["certificates"].size();
            std::ostringstream summary;
            summary << "bundle " << o->bundle << ": " << r.manifest["certificates"].size()
                    << " certificates, manifest written (check it with `nncert check " << o->bundle << "`)\n";
            emit(globals, doc, summary.str());
            return 0;
          }};
}

}  // namespace nncert::cli
