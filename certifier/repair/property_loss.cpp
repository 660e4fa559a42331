#include "certifier/repair/property_loss.hpp"

#include "certifier/core/error.hpp"
#include "certifier/train/layer_stack.hpp"

#include <algorithm>
#include <limits>

namespace nncert {

namespace {

// The outputs of a set of points on every copy, with the tapes their gradients need.
struct Batch {
  std::vector<Matrix> X, Y;  // per copy: inputs x N, outputs x N
  std::vector<Tape> tapes;
};

template <class Points>
Batch run(const Network& net, const LinearProperty& p, const Points& points) {
  Batch b;
  const auto n = static_cast<Eigen::Index>(points.size());
  for (std::size_t k = 0; k < p.copies; ++k) {
    Matrix X(static_cast<Eigen::Index>(p.num_inputs), n);
    for (Eigen::Index i = 0; i < n; ++i) X.col(i) = points[static_cast<std::size_t>(i)]->x[k];
    b.tapes.emplace_back();
    b.Y.push_back(forward(net, X, false, b.tapes.back()));
    b.X.push_back(std::move(X));
  }
  return b;
}

Assignment assignment(const Batch& b, Eigen::Index i) {
  Assignment a;
  for (std::size_t k = 0; k < b.X.size(); ++k) {
    a.x.push_back(b.X[k].col(i));
    a.y.push_back(b.Y[k].col(i));
  }
  return a;
}

// Adds `scale` x the atom's output coefficients at column i of each copy's dY.
void add_output_terms(const LinearAtom& atom, double scale, Eigen::Index i, std::vector<Matrix>& dY) {
  for (const auto& [v, coef] : atom.terms)
    if (v.output) dY[v.copy](static_cast<Eigen::Index>(v.index), i) += scale * coef;
}

std::vector<Matrix> zero_like(const std::vector<Matrix>& Y) {
  std::vector<Matrix> z;
  for (const Matrix& y : Y) z.push_back(Matrix::Zero(y.rows(), y.cols()));
  return z;
}

// Sum over points of the hinge penalty, with d/dY of it in `dY` when given: for every case whose
// precondition holds at a point, relu(margin - case_margin).
double hinge(const LinearProperty& p, const Batch& b, double margin, std::vector<Matrix>* dY) {
  double total = 0;
  for (Eigen::Index i = 0; i < b.X[0].cols(); ++i) {
    const Assignment a = assignment(b, i);
    for (const LinearCase& c : p.cases) {
      if (c.outputs.empty() || !in_precondition(p, c, a.x)) continue;
      const CaseMargin m = case_margin(c, a);
      if (m.value >= margin) continue;
      total += margin - m.value;
      if (dY) add_output_terms(*m.atom, -1.0, i, *dY);
    }
  }
  return total;
}

void accumulate(Network& into, Network& term) {
  const auto dst = parameters(into);
  const auto src = parameters(term);
  for (std::size_t i = 0; i < dst.size(); ++i) dst[i].values() += src[i].values();
}

}  // namespace

PropertyLoss::PropertyLoss(const LinearProperty& property, const PropertyLossOptions& options, std::uint64_t seed)
    : p_(property), relaxed_(property), o_(options), rng_(seed) {
  if (p_.copies > 1) o_.margin = 0;
  for (auto& copy : relaxed_.integer) copy.assign(copy.size(), false);
  if (p_.cases.empty()) throw InputError(p_.name, "property", "no unsafe case to train against");
  for (std::size_t i = 0; i < o_.pool; ++i) pool_.push_back(draw());
  for (std::size_t i = 0; i < o_.validation_points; ++i) validation_.push_back(draw());
}

PropertyLoss::Point PropertyLoss::draw() {
  std::uniform_int_distribution<std::size_t> pick(0, p_.cases.size() - 1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const bool relaxed = p_.any_integer() && u(rng_) < o_.relaxed_share;
  const LinearProperty& from = relaxed ? relaxed_ : p_;
  for (int t = 0; t < 100000; ++t) {  // the case's box can be larger than its input atoms allow
    const std::size_t c = pick(rng_);
    std::vector<Vector> x = sample_case_box(from, from.cases[c], rng_);
    if (in_precondition(from, from.cases[c], x)) return {std::move(x), c, relaxed};
  }
  throw InputError(p_.name, "precondition", "100000 uniform points of the cases' boxes missed every precondition");
}

void PropertyLoss::anchor(const std::vector<LinearCounterexample>& counterexamples) {
  std::uniform_int_distribution<std::size_t> slot(0, pool_.empty() ? 0 : pool_.size() - 1);
  for (const LinearCounterexample& cex : counterexamples) {
    const Point point{cex.point.x, cex.case_index, false};
    anchors_.push_back(point);
    if (!pool_.empty()) pool_[slot(rng_)] = point;
  }
}

double PropertyLoss::operator()(const Network& net, Network& grads) {
  if (o_.weight <= 0 || pool_.empty()) return 0;
  std::vector<Point*> moving, points;
  for (std::size_t t = 0; t < std::min(o_.per_batch, pool_.size()); ++t) {
    moving.push_back(&pool_[next_]);
    next_ = (next_ + 1) % pool_.size();
  }
  points = moving;
  std::uniform_int_distribution<std::size_t> pick(0, anchors_.empty() ? 0 : anchors_.size() - 1);
  for (std::size_t t = 0; !anchors_.empty() && t < o_.anchors_per_batch; ++t) points.push_back(&anchors_[pick(rng_)]);

  const Batch b = run(net, p_, points);
  const double n = static_cast<double>(points.size());
  std::vector<Matrix> dY = zero_like(b.Y);
  const double value = o_.weight * hinge(relaxed_, b, o_.margin, &dY) / n;
  Network term = zeros_like(net);
  for (std::size_t k = 0; k < p_.copies; ++k) {
    backward(net, b.tapes[k], dY[k] * (o_.weight / n), term);
    accumulate(grads, term);
  }

  // Each moving point climbs its home case: descend on that case's margin.
  std::vector<Matrix> dA = zero_like(b.Y), direct;
  for (const Matrix& X : b.X) direct.push_back(Matrix::Zero(X.rows(), X.cols()));
  for (std::size_t i = 0; i < moving.size(); ++i) {
    const auto col = static_cast<Eigen::Index>(i);
    const LinearAtom* atom = case_margin(p_.cases[moving[i]->home], assignment(b, col)).atom;
    if (!atom) continue;
    add_output_terms(*atom, 1.0, col, dA);
    for (const auto& [v, coef] : atom->terms)
      if (!v.output) direct[v.copy](static_cast<Eigen::Index>(v.index), col) += coef;
  }
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t k = 0; k < p_.copies; ++k) {
    const Matrix g = backward(net, b.tapes[k], dA[k], term, true) + direct[k];
    for (std::size_t i = 0; i < moving.size(); ++i) {
      Point& pt = *moving[i];
      const LinearProperty& own = pt.relaxed ? relaxed_ : p_;
      const LinearCase& c = own.cases[pt.home];
      const Vector before = pt.x[k];
      for (Eigen::Index j = 0; j < g.rows(); ++j) {
        const double gj = g(j, static_cast<Eigen::Index>(i));
        if (own.integer[k][static_cast<std::size_t>(j)] || gj == 0) continue;
        const double width = c.box[k].hi[j] - c.box[k].lo[j];
        pt.x[k][j] = std::clamp(pt.x[k][j] - o_.step * width * (gj > 0 ? 1.0 : -1.0), c.box[k].lo[j], c.box[k].hi[j]);
      }
      if (!in_precondition(own, c, pt.x)) pt.x[k] = before;
    }
  }
  for (Point* pt : moving)
    if (u(rng_) < o_.renew) *pt = draw();
  return value;
}

double PropertyLoss::validation(const Network& net) const {
  if (o_.weight <= 0) return 0;
  std::vector<const Point*> points;
  for (const Point& pt : validation_) points.push_back(&pt);
  for (const Point& pt : anchors_) points.push_back(&pt);
  if (points.empty()) return 0;
  return o_.weight * hinge(relaxed_, run(net, p_, points), o_.margin, nullptr) / static_cast<double>(points.size());
}

}  // namespace nncert
