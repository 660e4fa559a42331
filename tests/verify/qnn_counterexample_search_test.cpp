// The LinearProperty search on quantized networks against exhaustive enumeration of the input
// grid (the oracle never touches the ILP): tiny random QNNs with 1-3 inputs, one copy and two
// copies, real and Int inputs; verdicts must agree and every counterexample must replay on the
// reference evaluator and be one the enumeration also finds.
#include "certifier/core/error.hpp"
#include "certifier/verify/qnn_counterexample_search.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <set>

namespace nncert {
namespace {

int pick(std::mt19937_64& rng, int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); }

// n inputs on <unsigned,4,1> (reals 0, 0.5, ..., 7.5), one or two layers, random configs.
QNetwork tiny_qnn(std::mt19937_64& rng, std::size_t n) {
  QNetwork net;
  net.input_size = n;
  net.cx = QConfig{false, 4, 1};
  const int layers = pick(rng, 1, 2);
  std::size_t width = n;
  int fx = net.cx.frac;
  for (int l = 0; l < layers; ++l) {
    const bool last = l + 1 == layers;
    QLayer layer;
    layer.inputs = width;
    layer.outputs = static_cast<std::size_t>(last ? pick(rng, 1, 2) : pick(rng, 2, 3));
    layer.cw = QConfig{true, pick(rng, 3, 4), pick(rng, 0, 2)};
    layer.cb = QConfig{true, 5, pick(rng, 0, layer.cw.frac + fx)};
    layer.cy = QConfig{true, pick(rng, 4, 5), pick(rng, std::max(0, layer.cw.frac + fx - 3), layer.cw.frac + fx + 1)};
    layer.relu = !last;
    for (std::size_t i = 0; i < layer.inputs * layer.outputs; ++i)
      layer.W.push_back(std::uniform_int_distribution<std::int64_t>(layer.cw.lo(), layer.cw.hi())(rng));
    for (std::size_t i = 0; i < layer.outputs; ++i)
      layer.b.push_back(std::uniform_int_distribution<std::int64_t>(layer.cb.lo(), layer.cb.hi())(rng));
    fx = layer.cy.frac;
    width = layer.outputs;
    net.layers.push_back(std::move(layer));
  }
  EXPECT_EQ(check_qnetwork(net), "");
  return net;
}

double dequant(const QNetwork& net, std::int64_t y) { return std::ldexp(static_cast<double>(y), -net.layers.back().cy.frac); }

// Grid range g1..g2 of an input as a real box that rounds onto exactly it: [(g1 - 0.3)/2, (g2 + 0.3)/2].
void random_box(std::mt19937_64& rng, Box& box, std::size_t n, std::vector<std::int64_t>& g1, std::vector<std::int64_t>& g2) {
  box.lo.resize(static_cast<Eigen::Index>(n));
  box.hi.resize(static_cast<Eigen::Index>(n));
  g1.assign(n, 0);
  g2.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    g1[i] = pick(rng, 1, 10);
    g2[i] = g1[i] + pick(rng, 0, 4);
    box.lo[static_cast<Eigen::Index>(i)] = (static_cast<double>(g1[i]) - 0.3) / 2;
    box.hi[static_cast<Eigen::Index>(i)] = (static_cast<double>(g2[i]) + 0.3) / 2;
  }
}

void each_point(const std::vector<std::int64_t>& lo, const std::vector<std::int64_t>& hi,
                const std::function<void(const std::vector<std::int64_t>&)>& f) {
  std::vector<std::int64_t> x = lo;
  while (true) {
    f(x);
    std::size_t i = 0;
    while (i < x.size() && x[i] == hi[i]) {
      x[i] = lo[i];
      ++i;
    }
    if (i == x.size()) return;
    ++x[i];
  }
}

LinearAtom atom(std::vector<std::pair<PropertyVariable, double>> terms, double rhs) { return {std::move(terms), rhs, ""}; }

SearchOptions options(std::size_t c, bool attack) {
  SearchOptions o;
  o.max_counterexamples = c;
  o.attack = attack;
  o.random_samples = 50;
  return o;
}

// Each counterexample replays, lies on an oracle grid point, and no two share one.
void check_counterexamples(const QNetwork& net, const LinearProperty& p, const SearchResult& r,
                           const std::set<std::vector<std::int64_t>>& oracle) {
  std::set<std::vector<std::int64_t>> seen;
  for (const LinearCounterexample& c : r.counterexamples) {
    ASSERT_TRUE(qreplay(net, p, c.point.x).has_value());
    std::vector<std::int64_t> key;
    for (const Vector& x : c.point.x)
      for (Eigen::Index i = 0; i < x.size(); ++i) key.push_back(quantize_value(x[i], net.cx));
    EXPECT_TRUE(oracle.count(key)) << "a counterexample the enumeration does not know";
    EXPECT_TRUE(seen.insert(key).second) << "two counterexamples on one grid point";
  }
}

void expect_agrees(const SearchResult& r, bool violated, std::size_t oracle_count, std::size_t c) {
  if (violated) {
    EXPECT_EQ(r.verdict, Verdict::Falsified) << r.detail;
    EXPECT_GE(r.counterexamples.size(), 1u);
    EXPECT_LE(r.counterexamples.size(), std::min(c, oracle_count));
  } else {
    EXPECT_EQ(r.verdict, Verdict::Verified) << r.detail;
    EXPECT_TRUE(r.counterexamples.empty());
  }
}

// One copy, real inputs: output atoms c . y <= t, and atoms with an input term, whose least value
// over a rounding cell is at one of its ends (the oracle knows which end the cell includes).
TEST(QnnCounterexampleSearch, OneCopyAgreesWithEnumeration) {
  std::size_t falsified = 0, verified = 0;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    std::mt19937_64 rng(seed);
    const std::size_t n = static_cast<std::size_t>(pick(rng, 1, 3));
    const QNetwork net = tiny_qnn(rng, n);
    const std::size_t m = output_size(net);
    LinearProperty p;
    p.name = "random";
    p.num_inputs = n;
    p.num_outputs = m;
    p.integer.assign(1, std::vector<bool>(n, false));
    LinearCase lc;
    lc.box.resize(1);
    std::vector<std::int64_t> g1, g2;
    random_box(rng, lc.box[0], n, g1, g2);
    std::vector<std::pair<PropertyVariable, double>> terms;
    for (std::size_t j = 0; j < m; ++j) terms.push_back({{0, true, j}, static_cast<double>(pick(rng, -2, 2))});
    const bool input_term = pick(rng, 0, 1) == 1;
    const double a = 0.25 * pick(rng, 1, 3) * (pick(rng, 0, 1) ? 1 : -1);
    if (input_term) terms.push_back({{0, false, 0}, a});
    // The threshold: a value the atom takes on the grid (exactly, or just above), so both
    // verdicts occur and boundary points are exercised.
    auto value = [&](const std::vector<std::int64_t>& r) {
      const auto y = evaluate(net, r);
      double v = 0;
      for (std::size_t j = 0; j < m; ++j) v += terms[j].second * dequant(net, y[j]);
      // The least value over r's cell [(r - 1/2)/2, (r + 1/2)/2) within the box: its left end
      // (a > 0), or its right end (a < 0), which the cell excludes unless the box cuts it there.
      if (input_term)
        v += a * (a > 0 ? std::max(lc.box[0].lo[0], (static_cast<double>(r[0]) - 0.5) / 2)
                        : std::min(lc.box[0].hi[0], (static_cast<double>(r[0]) + 0.5) / 2));
      return v;
    };
    std::vector<double> values;
    each_point(g1, g2, [&](const std::vector<std::int64_t>& r) { values.push_back(value(r)); });
    std::sort(values.begin(), values.end());
    double t = values[static_cast<std::size_t>(pick(rng, 0, static_cast<int>(values.size()) - 1))];
    if (pick(rng, 0, 2) == 0) t -= 1e-3;  // often just below the least value: safe
    if (input_term) t += 1e-4;            // off the cell edges: the witness's x need not sit on one
    // Reached iff the least value is <= t; strictly below t where that least value is an open end.
    auto reached = [&](const std::vector<std::int64_t>& r) {
      const bool open_end = input_term && a < 0 && (static_cast<double>(r[0]) + 0.5) / 2 < lc.box[0].hi[0];
      return open_end ? value(r) < t : value(r) <= t;
    };
    lc.outputs.push_back(atom(terms, t));
    p.cases.push_back(lc);

    std::set<std::vector<std::int64_t>> oracle;
    each_point(g1, g2, [&](const std::vector<std::int64_t>& r) {
      if (reached(r)) oracle.insert(r);
    });
    for (std::size_t c : {1u, 4u}) {
      const SearchResult r = find_qnn_counterexamples(net, p, options(c, seed % 2 == 0));
      SCOPED_TRACE("seed " + std::to_string(seed) + ", C = " + std::to_string(c));
      expect_agrees(r, !oracle.empty(), oracle.size(), c);
      check_counterexamples(net, p, r, oracle);
    }
    (oracle.empty() ? verified : falsified)++;
  }
  EXPECT_GT(falsified, 10u);  // the test exercises both verdicts
  EXPECT_GT(verified, 10u);
}

// Two copies sharing an Int input (X_0 = Xp_0 in 0..3, on the grid as 2 X_0), the other input
// real and free in each copy: Y_0 - Yp_0 >= d.
TEST(QnnCounterexampleSearch, TwoCopiesWithIntInputsAgreeWithEnumeration) {
  std::size_t falsified = 0, verified = 0;
  for (std::uint64_t seed = 100; seed < 140; ++seed) {
    std::mt19937_64 rng(seed);
    const std::size_t n = static_cast<std::size_t>(pick(rng, 1, 2)) + 1;
    const QNetwork net = tiny_qnn(rng, n);
    LinearProperty p;
    p.name = "relational";
    p.copies = 2;
    p.num_inputs = n;
    p.num_outputs = output_size(net);
    p.integer.assign(2, std::vector<bool>(n, false));
    p.integer[0][0] = p.integer[1][0] = true;
    LinearCase lc;
    lc.box.resize(2);
    std::vector<std::int64_t> g1, g2;
    random_box(rng, lc.box[0], n, g1, g2);
    lc.box[0].lo[0] = 0;
    lc.box[0].hi[0] = 3;
    lc.box[1] = lc.box[0];
    lc.inputs.push_back(atom({{{0, false, 0}, 1.0}, {{1, false, 0}, -1.0}}, 0));
    lc.inputs.push_back(atom({{{0, false, 0}, -1.0}, {{1, false, 0}, 1.0}}, 0));
    // Grid points of one copy: X_0 = k -> 2k, the rest on g1..g2.
    std::vector<std::vector<std::int64_t>> points;
    std::vector<std::int64_t> lo = g1, hi = g2;
    lo[0] = 0;
    hi[0] = 3;
    each_point(lo, hi, [&](std::vector<std::int64_t> r) {
      r[0] *= 2;
      points.push_back(r);
    });
    double best = -1e9;
    for (const auto& r : points)
      for (const auto& s : points)
        if (r[0] == s[0]) best = std::max(best, dequant(net, evaluate(net, r)[0]) - dequant(net, evaluate(net, s)[0]));
    const double d = pick(rng, 0, 1) ? best : best + 1e-3;  // reachable exactly, or just not
    lc.outputs.push_back(atom({{{1, true, 0}, 1.0}, {{0, true, 0}, -1.0}}, -d));
    p.cases.push_back(lc);
    std::set<std::vector<std::int64_t>> oracle;
    for (const auto& r : points)
      for (const auto& s : points)
        if (r[0] == s[0] && dequant(net, evaluate(net, r)[0]) - dequant(net, evaluate(net, s)[0]) >= d) {
          std::vector<std::int64_t> key = r;
          key.insert(key.end(), s.begin(), s.end());
          oracle.insert(key);
        }
    for (std::size_t c : {1u, 5u}) {
      const SearchResult r = find_qnn_counterexamples(net, p, options(c, seed % 2 == 1));
      SCOPED_TRACE("seed " + std::to_string(seed) + ", C = " + std::to_string(c));
      expect_agrees(r, !oracle.empty(), oracle.size(), c);
      check_counterexamples(net, p, r, oracle);
      for (const LinearCounterexample& cex : r.counterexamples) {
        EXPECT_EQ(cex.point.x[0][0], cex.point.x[1][0]);
        EXPECT_EQ(cex.point.x[0][0], std::round(cex.point.x[0][0]));
      }
    }
    (oracle.empty() ? verified : falsified)++;
  }
  EXPECT_GT(falsified, 5u);
  EXPECT_GT(verified, 5u);
}

// The box maps onto the grid as round(2^Fx x) does, and a box beyond the grid is refused.
TEST(QnnCounterexampleSearch, BoxBeyondTheInputGridIsBadInput) {
  std::mt19937_64 rng(7);
  const QNetwork net = tiny_qnn(rng, 1);
  LinearProperty p;
  p.name = "p.vnnlib";
  p.num_inputs = 1;
  p.num_outputs = output_size(net);
  p.integer.assign(1, {false});
  LinearCase lc;
  lc.box = {Box{Vector::Constant(1, 0.0), Vector::Constant(1, 7.74)}};  // rounds to 15: the top of the grid
  lc.outputs.push_back(atom({{{0, true, 0}, 1.0}}, 1e9));
  p.cases.push_back(lc);
  EXPECT_NO_THROW(check_qproperty(net, p));
  EXPECT_EQ(find_qnn_counterexamples(net, p, options(50, false)).counterexamples.size(), 16u);
  p.cases[0].box[0].hi[0] = 7.75;  // rounds to 16: saturates
  EXPECT_THROW(check_qproperty(net, p), InputError);
  EXPECT_THROW(find_qnn_counterexamples(net, p, options(1, true)), InputError);
  p.cases[0].box[0].hi[0] = 1;
  p.num_outputs += 1;
  EXPECT_THROW(check_qproperty(net, p), InputError);
}

}  // namespace
}  // namespace nncert
