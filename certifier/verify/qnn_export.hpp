// --export-ilp (issue 16, a proof someone else can check): each decided leaf query of a task
// written as a free-MPS file that any MILP solver can re-solve (infeasible = the leaf holds), and
// a manifest of their SHA-256s (`sha256sum -c` format) whose own SHA-256 the certificate names.
#pragma once

#include "certifier/verify/qnn_verifier.hpp"

#include <string>
#include <vector>

namespace nncert {

struct QExportedQuery {
  std::string file;    // name inside the export directory
  std::string sha256;  // of the file's bytes
  std::string core;    // that decided it
  QAnswerStatus status = QAnswerStatus::Unknown;
};

struct QExport {
  std::vector<QExportedQuery> files;
  std::string manifest, manifest_sha256;  // empty when no query had a program
};

// Writes DIR/STEM-qK.mps for every decided query that has a program and DIR/STEM.sha256 listing
// them (atomically, DIR created if needed; InputError naming DIR when it cannot be written).
// Queries the bounds alone decided have no program and are not written.
QExport export_ilp_queries(const std::vector<QDecidedQuery>& queries, const std::string& dir, const std::string& stem);

// "queries sha256:HEX STEM.sha256 (K MPS files)": what the certificate says about the export.
std::string evidence_line(const QExport& e);

}  // namespace nncert
