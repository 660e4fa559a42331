#include "formats/shard_merge.hpp"

#include "certifier/core/error.hpp"
#include "formats/sample_selection.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>

namespace nncert {

namespace {

using Json = nlohmann::json;

// Per-sample seconds, wherever the document keeps them (QNN rows: "seconds"; float rows: result.seconds).
std::vector<double> sample_seconds(const Json& samples) {
  std::vector<double> t;
  for (const Json& s : samples) {
    if (s.contains("seconds")) t.push_back(s["seconds"].get<double>());
    else if (s.contains("result")) t.push_back(s["result"]["seconds"].get<double>());
  }
  return t;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

Json merge_verify_documents(const std::vector<Json>& parts, const std::vector<std::string>& names) {
  if (parts.empty()) throw InputError("merge", "arguments", "expected the result files of every shard");
  std::vector<bool> seen;
  Json out = parts.front();
  out.erase("shard");
  Json samples = Json::array();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Json& p = parts[i];
    if (!p.is_object() || !p.contains("shard") || !p.contains("samples"))
      throw InputError(names[i], "document", "expected the --json output of `nncert verify --robust ... --shard K/N`");
    const Shard s = parse_shard(p["shard"].get<std::string>());
    if (seen.empty()) seen.assign(s.count, false);
    if (s.count != seen.size())
      throw InputError(names[i], "shard " + s.spec(), "expected a shard of " + std::to_string(seen.size()) + " parts");
    if (seen[s.index]) throw InputError(names[i], "shard " + s.spec(), "this shard was given twice");
    seen[s.index] = true;
    // The model path may differ: each part may run on its own copy (a part appends certificates).
    for (const char* key : {"robust", "data", "first", "method"})
      if (p.value(key, Json()) != parts.front().value(key, Json()))
        throw InputError(names[i], key, "differs from " + names.front() + "'s: not a shard of the same batch");
    for (const Json& row : p["samples"]) samples.push_back(row);
  }
  for (std::size_t k = 0; k < seen.size(); ++k)
    if (!seen[k]) throw InputError("merge", "shard " + std::to_string(k + 1) + "/" + std::to_string(seen.size()), "missing");
  std::stable_sort(samples.begin(), samples.end(),
                   [](const Json& a, const Json& b) { return a["sample"].get<std::size_t>() < b["sample"].get<std::size_t>(); });
  for (const char* key : {"verified", "falsified", "unknown", "misclassified", "tasks"}) {
    if (!out.contains(key)) continue;
    std::size_t total = 0;
    for (const Json& p : parts) total += p[key].get<std::size_t>();
    out[key] = total;
  }
  if (out.contains("seconds")) {
    double total = 0;
    for (const Json& p : parts) total += p["seconds"].get<double>();
    out["seconds"] = total;
  }
  if (out.contains("median_seconds")) out["median_seconds"] = median(sample_seconds(samples));
  out["samples"] = samples;
  return out;
}

std::string merge_result_lines(const std::vector<std::string>& parts, const std::vector<std::string>& names) {
  static const std::regex sample(" sample ([0-9]+) of ");
  std::map<std::size_t, std::string> lines;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::istringstream in(parts[i]);
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      std::smatch m;
      if (!std::regex_search(line, m, sample))
        throw InputError(names[i], "line " + std::to_string(number), "expected a result line naming \"sample N of\"");
      if (!lines.emplace(std::stoull(m[1].str()), line).second)
        throw InputError(names[i], "line " + std::to_string(number), "sample " + m[1].str() + " appears in two parts");
    }
  }
  std::string out;
  for (const auto& [id, line] : lines) out += line + "\n";
  return out;
}

}  // namespace nncert
