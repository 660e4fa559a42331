// Properties of quantized networks (DESIGN §4; QVIP, Zhang et al. ASE'22, §2.3 and §3.3-3.4):
// integer input regions (L-inf / L1 / L0 balls of integer radius clipped to the input grid, or a
// box) and an "unsafe" output condition in disjunctive normal form over the output integers.
// Every encoding (compact, qvip, smt) and the enumeration oracle read the property from here.
#pragma once

#include "certifier/core/qnetwork.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nncert {

enum class QNorm { Linf, L1, L0 };

std::string to_string(QNorm n);
QNorm parse_qnorm(const std::string& s);  // "linf" | "l1" | "l0"; throws InputError

// The inputs x on the input grid with lo <= x <= hi and, for L1/L0, the budget on top:
// sum |x - centre| <= radius (L1) or #{i: x_i != centre_i} <= radius (L0).
struct QInputRegion {
  std::vector<std::int64_t> lo, hi;   // box, already clipped to the input grid
  std::vector<std::int64_t> centre;   // empty for a plain box
  QNorm norm = QNorm::Linf;
  std::int64_t radius = 0;

  bool has_budget() const { return !centre.empty() && norm != QNorm::Linf; }
};

// sum_i c_i y_i >= rhs on the output integers of the last layer.
struct QOutputRow {
  std::vector<std::int64_t> c;
  std::int64_t rhs = 0;
};

// The property holds iff no input of the region reaches the unsafe set, a disjunction of
// conjunctions of rows (the VNN-LIB shape). Classification robustness has one single-row
// disjunct per competing class; regression two per output.
struct QProperty {
  QInputRegion region;
  std::vector<std::vector<QOutputRow>> unsafe;
  std::string description;   // e.g. "robust linf:2 class 3"
  std::optional<std::size_t> label;  // the class that must stay (classification), for reports
};

// Ball of integer radius around an on-grid centre, clipped to the input grid. Bad input (radius
// negative or larger than the grid allows for the norm, centre off the grid or of the wrong
// size) throws InputError.
QInputRegion ball_region(const QNetwork& net, const std::vector<std::int64_t>& centre, QNorm norm,
                         std::int64_t radius);
QInputRegion box_region(const QNetwork& net, std::vector<std::int64_t> lo, std::vector<std::int64_t> hi);

// The first-index argmax stays `label` (default: the class of the centre) everywhere in the region.
QProperty classification_property(const QNetwork& net, const QInputRegion& region,
                                  std::optional<std::size_t> label = std::nullopt);
// |y - y(centre)|_inf <= delta in output units (y * 2^-Fy) everywhere in the region.
QProperty regression_property(const QNetwork& net, const QInputRegion& region, double delta);

bool contains(const QInputRegion& region, const std::vector<std::int64_t>& x);

// Index of the first unsafe disjunct that y satisfies, or nullopt when y is safe.
std::optional<std::size_t> violated_disjunct(const QProperty& p, const std::vector<std::int64_t>& y);

// True iff x is in the region and the reference evaluator's output on x is unsafe: the only
// test a counterexample has to pass to become a verdict.
bool replays(const QNetwork& net, const QProperty& p, const std::vector<std::int64_t>& x);

}  // namespace nncert
