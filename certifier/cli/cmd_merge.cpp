// `nncert merge PART... -o OUT`: joins the parts of a `verify --shard K/N` batch into what one run
// writes: --json documents into one document, --results files into one results file.
#include "certifier/cli/command.hpp"

#include "certifier/core/error.hpp"
#include "formats/atomic_file.hpp"
#include "formats/shard_merge.hpp"

#include <sstream>

namespace nncert::cli {

namespace {

struct MergeOptions {
  std::vector<std::string> parts;
  std::string output;
};

}  // namespace

Command add_merge(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("merge", "Join the result files of `verify --shard K/N` runs into one run's");
  auto o = std::make_shared<MergeOptions>();
  sub->add_option("parts", o->parts, "Every shard's --json document, or every shard's --results file")->required();
  sub->add_option("-o,--output", o->output, "Merged file (written atomically)")->required();
  return {sub, [o, &globals] {
            std::vector<std::string> texts;
            for (const std::string& p : o->parts) texts.push_back(read_file(p));
            // JSON documents when the first part is one; else results lines.
            const bool json = !texts.empty() && nlohmann::json::accept(texts.front());
            std::string merged;
            std::size_t items = 0;
            if (json) {
              std::vector<nlohmann::json> docs;
              for (std::size_t i = 0; i < texts.size(); ++i) {
                if (!nlohmann::json::accept(texts[i])) throw InputError(o->parts[i], "json", "expected a JSON document like the first part");
                docs.push_back(nlohmann::json::parse(texts[i]));
              }
              const nlohmann::json doc = merge_verify_documents(docs, o->parts);
              items = doc["samples"].size();
              merged = doc.dump(2) + "\n";
            } else {
              merged = merge_result_lines(texts, o->parts);
              for (char c : merged) items += c == '\n';
            }
            write_file_atomic(o->output, merged);
            std::ostringstream text;
            text << "merged " << o->parts.size() << " parts (" << items << (json ? " samples" : " result lines")
                 << ") into " << o->output << "\n";
            emit(globals, {{"output", o->output}, {"parts", o->parts.size()}, {"items", items}}, text.str());
            return 0;
          }};
}

}  // namespace nncert::cli
