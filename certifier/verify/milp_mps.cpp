#include "certifier/verify/milp_mps.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace nncert {

namespace {

// Shortest text that reads back as the same double (integer coefficients stay integers).
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string row_name(std::size_t i) { return "R" + std::to_string(i); }
std::string col_name(std::size_t j) { return "C" + std::to_string(j); }

}  // namespace

std::string to_mps(const MilpProblem& p, const std::string& name) {
  std::ostringstream out;
  out << "NAME " << name << "\nROWS\n N OBJ\n";
  // Free rows constrain nothing and are left out; the others keep their index as their name.
  std::vector<bool> written(p.rows.size());
  for (std::size_t i = 0; i < p.rows.size(); ++i) {
    const MilpRow& r = p.rows[i];
    const bool fl = std::isfinite(r.lo), fh = std::isfinite(r.hi);
    if (!fl && !fh) continue;
    written[i] = true;
    out << " " << (fl && fh && r.lo == r.hi ? "E" : fl ? "G" : "L") << " " << row_name(i) << "\n";
  }
  // Column-major, duplicate (row, column) entries summed (some readers reject them).
  std::vector<std::map<std::size_t, double>> columns(p.vars.size());
  for (std::size_t i = 0; i < p.rows.size(); ++i)
    if (written[i])
      for (const auto& [j, c] : p.rows[i].terms) columns[j][i] += c;
  out << "COLUMNS\n";
  bool in_integers = false;
  for (std::size_t j = 0; j < p.vars.size(); ++j) {
    const bool integer = p.vars[j].kind != VarKind::Continuous;
    if (integer != in_integers) {
      out << "    MARKER 'MARKER' " << (integer ? "'INTORG'" : "'INTEND'") << "\n";
      in_integers = integer;
    }
    const double obj = p.maximize ? -p.vars[j].objective : p.vars[j].objective;
    bool any = false;
    if (obj != 0) {
      out << "    " << col_name(j) << " OBJ " << num(obj) << "\n";
      any = true;
    }
    for (const auto& [i, c] : columns[j]) {
      if (c == 0) continue;
      out << "    " << col_name(j) << " " << row_name(i) << " " << num(c) << "\n";
      any = true;
    }
    if (!any) out << "    " << col_name(j) << " OBJ 0\n";  // declares a column that appears in no row
  }
  if (in_integers) out << "    MARKER 'MARKER' 'INTEND'\n";
  out << "RHS\n";
  for (std::size_t i = 0; i < p.rows.size(); ++i) {
    if (!written[i]) continue;
    const MilpRow& r = p.rows[i];
    const double rhs = std::isfinite(r.lo) ? r.lo : r.hi;
    if (rhs != 0) out << "    RHS " << row_name(i) << " " << num(rhs) << "\n";
  }
  out << "RANGES\n";
  for (std::size_t i = 0; i < p.rows.size(); ++i) {
    const MilpRow& r = p.rows[i];
    // A G row with range R means rhs <= a.x <= rhs + |R|.
    if (written[i] && std::isfinite(r.lo) && std::isfinite(r.hi) && r.lo != r.hi)
      out << "    RNG " << row_name(i) << " " << num(r.hi - r.lo) << "\n";
  }
  out << "BOUNDS\n";
  for (std::size_t j = 0; j < p.vars.size(); ++j) {
    const MilpVar& v = p.vars[j];
    double lo = v.lo, hi = v.hi;
    if (v.kind == VarKind::Binary) {
      lo = std::max(lo, 0.0);
      hi = std::min(hi, 1.0);
    }
    const std::string c = col_name(j);
    const bool fl = std::isfinite(lo), fh = std::isfinite(hi);
    if (fl && fh && lo == hi) {
      out << " FX BND " << c << " " << num(lo) << "\n";
      continue;
    }
    if (!fl && !fh) {
      out << " FR BND " << c << "\n";
      continue;
    }
    out << (fl ? " LO BND " + c + " " + num(lo) : " MI BND " + c) << "\n";
    out << (fh ? " UP BND " + c + " " + num(hi) : " PL BND " + c) << "\n";
  }
  out << "ENDATA\n";
  return out.str();
}

}  // namespace nncert
