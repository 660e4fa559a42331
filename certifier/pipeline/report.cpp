#include "certifier/pipeline/report.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

namespace nncert::pipeline {

namespace {

using Json = nlohmann::json;

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string text_of(const Json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

const char* colour(const std::string& verdict) {
  if (verdict == "verified") return "#2e7d32";
  if (verdict == "falsified") return "#c62828";
  if (verdict == "misclassified") return "#bdbdbd";
  return "#f9a825";  // unknown
}

// One square per sample, coloured by verdict; hovering names the sample.
std::string verdict_strip(const std::string& id, const Json& samples) {
  const int cell = 14, per_row = 50;
  const int rows = static_cast<int>((samples.size() + per_row - 1) / per_row);
  std::ostringstream s;
  s << "<svg id=\"" << id << "\" class=\"plot verdicts\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
    << per_row * cell + 10 << "\" height=\"" << std::max(1, rows) * cell + 10 << "\" role=\"img\">";
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Json& row = samples[i];
    const std::string verdict = row.at("verdict").get<std::string>();
    s << "<rect x=\"" << 5 + static_cast<int>(i % per_row) * cell << "\" y=\"" << 5 + static_cast<int>(i / per_row) * cell
      << "\" width=\"" << cell - 2 << "\" height=\"" << cell - 2 << "\" fill=\"" << colour(verdict) << "\"><title>sample "
      << row.at("sample").get<std::size_t>() << ": " << esc(verdict) << "</title></rect>";
  }
  s << "</svg>";
  return s.str();
}

// Bars: verification seconds per property (decided samples only).
std::string time_bars(const std::string& id, const Json& samples) {
  double top = 0;
  std::size_t n = 0;
  for (const Json& row : samples)
    if (row.contains("seconds")) top = std::max(top, row["seconds"].get<double>()), ++n;
  const int bar = 12, height = 160, left = 50;
  std::ostringstream s;
  s << "<svg id=\"" << id << "\" class=\"plot times\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
    << left + static_cast<int>(n) * bar + 20 << "\" height=\"" << height + 40 << "\" role=\"img\">"
    << "<line x1=\"" << left << "\" y1=\"10\" x2=\"" << left << "\" y2=\"" << height + 10 << "\" stroke=\"#555\"/>"
    << "<text x=\"4\" y=\"18\" font-size=\"10\">" << (top < 1 ? fixed(1000 * top, 1) + " ms" : fixed(top, 2) + " s")
    << "</text>"
    << "<text x=\"4\" y=\"" << height + 10 << "\" font-size=\"10\">0 s</text>";
  std::size_t k = 0;
  for (const Json& row : samples) {
    if (!row.contains("seconds")) continue;
    const double t = row["seconds"].get<double>();
    const int h = top > 0 ? static_cast<int>(t / top * height) : 0;
    s << "<rect x=\"" << left + 2 + static_cast<int>(k) * bar << "\" y=\"" << height + 10 - h << "\" width=\"" << bar - 2
      << "\" height=\"" << std::max(h, 1) << "\" fill=\"" << colour(row.at("verdict").get<std::string>())
      << "\"><title>" << esc(row.value("property", "")) << ": " << fixed(t, 4) << " s</title></rect>";
    ++k;
  }
  s << "<text x=\"" << left << "\" y=\"" << height + 30 << "\" font-size=\"11\">one bar per property (sample), "
    << "coloured by verdict</text></svg>";
  return s.str();
}

// Float (and quantized) accuracy after every stage that changed the network.
std::string accuracy_plot(const Json& stages) {
  struct Point { std::string stage; double value; bool quantized; };
  std::vector<Point> points;
  for (const Json& s : stages) {
    const Json& a = s.at("summary").value("accuracy", Json());
    if (!a.is_object()) continue;
    points.push_back({s.at("name").get<std::string>(), a.at("float").get<double>(), false});
    if (a.contains("quantized")) points.push_back({s.at("name").get<std::string>(), a["quantized"].get<double>(), true});
  }
  const int bar = 60, height = 160, left = 40;
  std::ostringstream s;
  s << "<svg id=\"plot-accuracy\" class=\"plot accuracy\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
    << left + static_cast<int>(points.size()) * (bar + 10) + 20 << "\" height=\"" << height + 50 << "\" role=\"img\">"
    << "<line x1=\"" << left << "\" y1=\"10\" x2=\"" << left << "\" y2=\"" << height + 10 << "\" stroke=\"#555\"/>"
    << "<text x=\"4\" y=\"18\" font-size=\"10\">100%</text><text x=\"4\" y=\"" << height + 10
    << "\" font-size=\"10\">0%</text>";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const int h = static_cast<int>(points[i].value * height), x = left + 10 + static_cast<int>(i) * (bar + 10);
    s << "<rect x=\"" << x << "\" y=\"" << height + 10 - h << "\" width=\"" << bar << "\" height=\"" << h << "\" fill=\""
      << (points[i].quantized ? "#6a1b9a" : "#1565c0") << "\"><title>" << esc(points[i].stage)
      << (points[i].quantized ? " (quantized)" : " (float)") << ": " << fixed(100 * points[i].value, 2)
      << "%</title></rect><text x=\"" << x << "\" y=\"" << height + 25 << "\" font-size=\"10\">" << esc(points[i].stage)
      << (points[i].quantized ? " Q" : "") << "</text><text x=\"" << x << "\" y=\"" << height + 5 - h
      << "\" font-size=\"10\">" << fixed(100 * points[i].value, 1) << "%</text>";
  }
  s << "</svg>";
  return s.str();
}

}  // namespace

std::string render_report(const Json& m) {
  std::ostringstream h;
  const Json& p = m.at("pipeline");
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>nncert bundle: "
    << esc(p.at("name").get<std::string>()) << "</title><style>"
    << "body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
    << "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}code{font-size:12px;word-break:break-all}"
    << ".plot{border:1px solid #eee;margin:0.5em 0}</style></head><body>\n";
  h << "<h1>Certified bundle: " << esc(p.at("name").get<std::string>()) << "</h1>\n<p>Made by "
    << esc(m.at("tool_version").get<std::string>()) << " from <code>" << esc(p.at("file").get<std::string>())
    << "</code> (sha256 <code>" << esc(p.at("sha256").get<std::string>()) << "</code>), seed " << p.at("seed").dump()
    << ". QNetwork digest <code>" << esc(m.at("model").at("qnetwork_digest").get<std::string>())
    << "</code>: the generated code in <code>code/</code> implements exactly this network; "
    << "<code>nncert check</code> re-derives every digest below and re-runs conformance on the host.</p>\n";

  h << "<h2>Stages</h2>\n<table id=\"stages\"><tr><th>#</th><th>stage</th><th>kind</th><th>seconds</th><th>run</th>"
    << "<th>settings</th><th>digest</th></tr>";
  std::size_t i = 0;
  for (const Json& s : m.at("stages"))
    h << "<tr><td>" << ++i << "</td><td>" << esc(s.at("name").get<std::string>()) << "</td><td>"
      << esc(s.at("kind").get<std::string>()) << "</td><td>" << fixed(s.at("seconds").get<double>(), 2) << "</td><td>"
      << (s.at("skipped").get<bool>() ? "resumed" : "ran") << "</td><td><code>" << esc(s.at("settings").dump())
      << "</code></td><td><code>" << esc(s.at("digest").get<std::string>().substr(0, 16)) << "...</code></td></tr>";
  h << "</table>\n<h2>Accuracy after each stage</h2>\n<p>On " << esc(p.at("eval_data").get<std::string>())
    << (p.at("eval_samples").get<std::string>().empty() ? "" : " samples " + esc(p["eval_samples"].get<std::string>()))
    << " (blue: float network, purple: the quantized network that ships).</p>\n" << accuracy_plot(m.at("stages")) << "\n";

  for (const Json& s : m.at("stages")) {
    if (s.at("kind") != "verify") continue;
    const Json& sum = s.at("summary");
    const Json& set = s.at("settings");
    const std::string name = s.at("name").get<std::string>();
    h << "<h2>Verification: " << esc(name) << "</h2>\n<p>Local robustness <code>" << esc(text_of(sum.at("robust")))
      << "</code> (integer radius on the input grid) of the quantized network on " << esc(text_of(sum.at("data")))
      << ", exact method <code>" << esc(text_of(sum.at("method"))) << "</code>, timeout "
      << esc(text_of(set.at("timeout"))) << " s per sample. Verified " << sum.at("verified").dump() << ", falsified "
      << sum.at("falsified").dump() << " (each counterexample replayed on the reference evaluator), unknown "
      << sum.at("unknown").dump() << ", misclassified (not asked) " << sum.at("misclassified").dump()
      << ".</p>\n<p>Limits: a proof covers the ball around that sample only, for the fixed-point semantics of "
      << "DESIGN §3.2; unknown means the budget ran out, not robustness.</p>\n<h3>Per-sample verdicts</h3>\n"
      << verdict_strip("plot-verdicts-" + name, sum.at("samples"))
      << "\n<p>green verified, red falsified, amber unknown, grey misclassified</p>\n<h3>Verification time per property</h3>\n"
      << time_bars("plot-times-" + name, sum.at("samples")) << "\n";
  }

  h << "<h2>Certificates</h2>\n<table id=\"certificates\"><tr><th>property</th><th>method</th><th>verdict</th>"
    << "<th>bound</th><th>network</th><th>property digest</th></tr>";
  for (const Json& c : m.at("certificates"))
    h << "<tr><td>" << esc(c.at("property").get<std::string>()) << "</td><td>" << esc(c.at("method").get<std::string>())
      << "</td><td>" << esc(c.at("verdict").get<std::string>()) << "</td><td>" << c.at("bound").dump() << "</td><td>"
      << esc(c.at("network").get<std::string>()) << "</td><td><code>"
      << esc(c.at("property_digest").get<std::string>().substr(0, 16)) << "...</code></td></tr>";
  h << "</table>\n</body></html>\n";
  return h.str();
}

}  // namespace nncert::pipeline
