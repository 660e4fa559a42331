#include "certifier/verify/qnn_export.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/verify/milp_mps.hpp"
#include "formats/atomic_file.hpp"

#include <filesystem>
#include <system_error>

namespace nncert {

namespace {

std::string status_word(QAnswerStatus s) {
  return s == QAnswerStatus::NoCounterexample ? "infeasible" : s == QAnswerStatus::Counterexample ? "feasible" : "open";
}

}  // namespace

QExport export_ilp_queries(const std::vector<QDecidedQuery>& queries, const std::string& dir, const std::string& stem) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw InputError(dir, "--export-ilp", "cannot create the directory (" + ec.message() + ")");
  QExport out;
  for (std::size_t k = 0; k < queries.size(); ++k) {
    const QDecidedQuery& q = queries[k];
    if (!q.program) continue;
    const std::string name = stem + "-q" + std::to_string(k) + ".mps";
    // The header says what the file certifies; MPS readers skip '*' lines.
    const std::string text = "* nncert " + stem + " query " + std::to_string(k) + ": " + q.core + " found it " +
                             status_word(q.status) + "; infeasible means no counterexample in this case\n" +
                             to_mps(*q.program, stem + "-q" + std::to_string(k));
    write_file_atomic((std::filesystem::path(dir) / name).string(), text);
    out.files.push_back({name, sha256_hex(text), q.core, q.status});
  }
  if (out.files.empty()) return out;
  std::string manifest;
  for (const QExportedQuery& f : out.files) manifest += f.sha256 + "  " + f.file + "\n";
  out.manifest = stem + ".sha256";
  out.manifest_sha256 = sha256_hex(manifest);
  write_file_atomic((std::filesystem::path(dir) / out.manifest).string(), manifest);
  return out;
}

std::string evidence_line(const QExport& e) {
  return "queries sha256:" + e.manifest_sha256 + " " + e.manifest + " (" + std::to_string(e.files.size()) +
         " MPS files)";
}

}  // namespace nncert
