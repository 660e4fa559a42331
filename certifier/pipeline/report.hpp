// report.html of a bundle (issue 17): for the safety engineer and the auditor, what was proved, by
// which method, within which limits, and the accuracy after each stage, with inline SVG plots
// (per-sample verdicts, verification time per property, accuracy per stage). One self-contained
// file: no scripts, styles or images from anywhere else.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace nncert::pipeline {

// The page for a bundle manifest (write_bundle's, before its "files" entry).
std::string render_report(const nlohmann::json& manifest);

}  // namespace nncert::pipeline
