#include "certifier/verify/milp_solver.hpp"

#include "certifier/core/error.hpp"

#include <coin/Cbc_C_Interface.h>
#include <coin/CoinMpsIO.hpp>
#include <glpk.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <climits>
#include <cmath>
#include <mutex>

namespace nncert {

bool MilpProblem::is_feasibility_query() const {
  for (const MilpVar& v : vars)
    if (v.objective != 0) return false;
  return true;
}

MilpBackend parse_milp_backend(const std::string& name) {
  if (name == "glpk") return MilpBackend::Glpk;
  if (name == "cbc") return MilpBackend::Cbc;
  throw InputError("--solver", "'" + name + "'", "expected glpk or cbc");
}

std::string to_string(MilpBackend b) { return b == MilpBackend::Glpk ? "glpk" : "cbc"; }

std::string to_string(MilpStatus s) {
  switch (s) {
    case MilpStatus::Optimal: return "optimal";
    case MilpStatus::Infeasible: return "infeasible";
    case MilpStatus::Timeout: return "timeout";
    case MilpStatus::Error: return "error";
  }
  return "error";
}

double max_violation(const MilpProblem& p, const std::vector<double>& x) {
  if (x.size() != p.vars.size()) return std::numeric_limits<double>::infinity();
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const MilpVar& v = p.vars[i];
    if (!std::isfinite(x[i])) return std::numeric_limits<double>::infinity();
    worst = std::max({worst, v.lo - x[i], x[i] - v.hi});
    if (v.kind != VarKind::Continuous) worst = std::max(worst, std::abs(x[i] - std::nearbyint(x[i])));
  }
  for (const MilpRow& r : p.rows) {
    long double s = 0;
    for (auto [j, c] : r.terms) s += static_cast<long double>(c) * static_cast<long double>(x[j]);
    worst = std::max({worst, static_cast<double>(static_cast<long double>(r.lo) - s),
                      static_cast<double>(s - static_cast<long double>(r.hi))});
  }
  return worst;
}

namespace {

void round_integers(const MilpProblem& p, std::vector<double>& x) {
  for (std::size_t i = 0; i < x.size(); ++i)
    if (p.vars[i].kind != VarKind::Continuous) x[i] = std::nearbyint(x[i]);
}

double objective_of(const MilpProblem& p, const std::vector<double>& x) {
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) s += p.vars[i].objective * x[i];
  return s;
}

// ---- GLPK -------------------------------------------------------------------------------
// GLPK's environment may be process-global depending on how it was built: one solve at a time.
std::mutex& glpk_mutex() {
  static std::mutex m;
  return m;
}

MilpResult& with_status(MilpResult& r, MilpStatus s) {
  r.status = s;
  return r;
}

// Integers rounded, objective recomputed from the rounded point, bound of an answered query (for
// a file, the backend's own objective and bound stand).
void finish(const MilpProblem& p, MilpResult& res) {
  if (res.has_solution) {
    round_integers(p, res.x);
    res.objective = objective_of(p, res.x);
  }
  if (res.status == MilpStatus::Optimal) res.bound = res.objective;
}

// Solves a loaded GLPK problem (built from a MilpProblem or read from a file); x is raw.
// The time limit counts from the call, not from when the lock was free: with several threads
// queued on one backend (a portfolio), a limit started late would overrun the task's budget.
double seconds_left(const MilpOptions& o, std::chrono::steady_clock::time_point entry) {
  return o.time_limit_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - entry).count();
}

bool interrupted(const MilpOptions& o) { return o.interrupt && o.interrupt->load(); }

MilpResult glpk_solve_loaded(glp_prob* lp, bool integral, const MilpOptions& o) {
  const auto entry = std::chrono::steady_clock::now();
  const int n = glp_get_num_cols(lp);
  MilpResult res;
  // Milliseconds for GLPK once the lock is held; false when the budget is already spent.
  auto set_limit = [&](int& tm_lim) {
    if (interrupted(o)) {
      res.message = "interrupted";
      return false;
    }
    if (!std::isfinite(o.time_limit_s)) {
      tm_lim = INT_MAX;
      return true;
    }
    const double ms = seconds_left(o, entry) * 1000.0;
    if (ms <= 0) return false;
    tm_lim = ms > 2e9 ? INT_MAX : static_cast<int>(std::max(1.0, ms));
    return true;
  };
  glp_smcp sm;
  glp_init_smcp(&sm);
  sm.msg_lev = GLP_MSG_OFF;
  sm.presolve = GLP_ON;
  sm.tol_bnd = std::max(1e-12, o.feasibility_tolerance);
  if (!integral) {
    int rc = 0;
    {
      std::lock_guard<std::mutex> lock(glpk_mutex());
      if (!set_limit(sm.tm_lim)) return with_status(res, MilpStatus::Timeout);
      rc = glp_simplex(lp, &sm);
    }
    const int st = glp_get_status(lp);
    if (rc == GLP_ENOPFS || st == GLP_NOFEAS) return with_status(res, MilpStatus::Infeasible);
    if (rc == GLP_ETMLIM) return with_status(res, MilpStatus::Timeout);
    if (rc != 0 || st != GLP_OPT) {
      res.message = "glp_simplex returned " + std::to_string(rc) + ", status " + std::to_string(st);
      return with_status(res, MilpStatus::Error);
    }
    res.status = MilpStatus::Optimal;
    res.has_solution = true;
    res.x.resize(static_cast<std::size_t>(n));
    for (int j = 1; j <= n; ++j) res.x[static_cast<std::size_t>(j - 1)] = glp_get_col_prim(lp, j);
    res.objective = glp_get_obj_val(lp);
    return res;
  }
  glp_iocp io;
  glp_init_iocp(&io);
  io.msg_lev = GLP_MSG_OFF;
  io.presolve = GLP_ON;
  io.tol_int = std::max(1e-12, o.integrality_tolerance);
  io.tol_obj = 1e-9;
  struct Info {
    bool stop_first;
    const std::atomic<bool>* interrupt;
    bool interrupted = false;
  } info{o.stop_at_first_solution, o.interrupt};
  io.cb_info = &info;
  io.cb_func = [](glp_tree* tree, void* data) {
    auto* i = static_cast<Info*>(data);
    if (glp_ios_reason(tree) == GLP_IBINGO && i->stop_first) glp_ios_terminate(tree);
    if (i->interrupt && i->interrupt->load()) {
      i->interrupted = true;
      glp_ios_terminate(tree);
    }
  };
  int rc = 0;
  {
    std::lock_guard<std::mutex> lock(glpk_mutex());
    if (!set_limit(io.tm_lim)) return with_status(res, MilpStatus::Timeout);
    rc = glp_intopt(lp, &io);
  }
  const int st = glp_mip_status(lp);
  if (rc == GLP_ENOPFS || rc == GLP_ENODFS || st == GLP_NOFEAS) return with_status(res, MilpStatus::Infeasible);
  if (st == GLP_OPT || st == GLP_FEAS) {
    res.has_solution = true;
    res.x.resize(static_cast<std::size_t>(n));
    for (int j = 1; j <= n; ++j) res.x[static_cast<std::size_t>(j - 1)] = glp_mip_col_val(lp, j);
    res.objective = glp_mip_obj_val(lp);
  }
  if (st == GLP_OPT && rc == 0) return with_status(res, MilpStatus::Optimal);
  if (res.has_solution && o.stop_at_first_solution && (rc == GLP_ESTOP || rc == 0))
    return with_status(res, MilpStatus::Optimal);  // a feasibility query is answered by any feasible point
  if (rc == GLP_ETMLIM || rc == GLP_ESTOP) {
    res.bound = -std::numeric_limits<double>::infinity();  // the caller flips it for maximization
    if (info.interrupted) res.message = "interrupted";
    return with_status(res, MilpStatus::Timeout);
  }
  res.message = "glp_intopt returned " + std::to_string(rc) + ", status " + std::to_string(st);
  return with_status(res, MilpStatus::Error);
}

class GlpkSolver final : public MilpSolver {
 public:
  MilpBackend backend() const override { return MilpBackend::Glpk; }

  MilpResult solve(const MilpProblem& p, const MilpOptions& o) override {
    glp_prob* lp = glp_create_prob();
    struct Guard {
      glp_prob* lp;
      ~Guard() { glp_delete_prob(lp); }
    } guard{lp};
    glp_set_obj_dir(lp, p.maximize ? GLP_MAX : GLP_MIN);
    const int n = static_cast<int>(p.vars.size());
    if (n > 0) glp_add_cols(lp, n);
    bool integral = false;
    for (int j = 1; j <= n; ++j) {
      const MilpVar& v = p.vars[static_cast<std::size_t>(j - 1)];
      glp_set_col_bnds(lp, j, bound_type(v.lo, v.hi), std::isfinite(v.lo) ? v.lo : 0.0,
                       std::isfinite(v.hi) ? v.hi : 0.0);
      glp_set_obj_coef(lp, j, v.objective);
      if (v.kind == VarKind::Binary) {
        glp_set_col_kind(lp, j, GLP_BV);
        glp_set_col_bnds(lp, j, GLP_DB, std::max(0.0, v.lo), std::min(1.0, v.hi));
        if (std::max(0.0, v.lo) == std::min(1.0, v.hi)) glp_set_col_bnds(lp, j, GLP_FX, std::max(0.0, v.lo), 0.0);
      }
      if (v.kind == VarKind::Integer) glp_set_col_kind(lp, j, GLP_IV);
      integral |= v.kind != VarKind::Continuous;
    }
    const int m = static_cast<int>(p.rows.size());
    if (m > 0) glp_add_rows(lp, m);
    std::vector<int> ia{0}, ja{0};
    std::vector<double> ar{0};
    for (int i = 1; i <= m; ++i) {
      const MilpRow& r = p.rows[static_cast<std::size_t>(i - 1)];
      glp_set_row_bnds(lp, i, bound_type(r.lo, r.hi), std::isfinite(r.lo) ? r.lo : 0.0, std::isfinite(r.hi) ? r.hi : 0.0);
      for (auto [j, c] : r.terms) {
        if (c == 0) continue;
        ia.push_back(i);
        ja.push_back(static_cast<int>(j) + 1);
        ar.push_back(c);
      }
    }
    // GLPK rejects duplicate (row, col) entries: merge them.
    merge_duplicates(ia, ja, ar);
    glp_load_matrix(lp, static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());

    MilpResult res = glpk_solve_loaded(lp, integral, o);
    if (res.status == MilpStatus::Timeout && p.maximize) res.bound = std::numeric_limits<double>::infinity();
    finish(p, res);
    return res;
  }

 private:
  static int bound_type(double lo, double hi) {
    const bool fl = std::isfinite(lo), fh = std::isfinite(hi);
    if (fl && fh) return lo == hi ? GLP_FX : GLP_DB;
    if (fl) return GLP_LO;
    if (fh) return GLP_UP;
    return GLP_FR;
  }
  static void merge_duplicates(std::vector<int>& ia, std::vector<int>& ja, std::vector<double>& ar) {
    std::vector<std::size_t> order(ia.size() - 1);
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k + 1;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return ia[a] != ia[b] ? ia[a] < ia[b] : ja[a] < ja[b];
    });
    std::vector<int> ni{0}, nj{0};
    std::vector<double> na{0};
    for (std::size_t k : order) {
      if (ni.size() > 1 && ni.back() == ia[k] && nj.back() == ja[k]) {
        na.back() += ar[k];
      } else {
        ni.push_back(ia[k]);
        nj.push_back(ja[k]);
        na.push_back(ar[k]);
      }
    }
    ia.swap(ni);
    ja.swap(nj);
    ar.swap(na);
  }
};

// ---- CBC --------------------------------------------------------------------------------
// Solves a loaded CBC model (built from a MilpProblem or read from a file); x is raw.
MilpResult cbc_solve_loaded(Cbc_Model* model, const MilpOptions& o) {
  const auto entry = std::chrono::steady_clock::now();
  Cbc_setLogLevel(model, 0);
  // CBC counts CPU seconds by default; budgets (--timeout) are wall-clock, and on a loaded
  // machine CPU time lags far behind (a 600 s repair budget ran 879 s).
  Cbc_setParameter(model, "timeMode", "elapsed");
  if (o.threads > 1) Cbc_setParameter(model, "threads", std::to_string(o.threads).c_str());
  Cbc_setParameter(model, "primalT", std::to_string(std::max(1e-12, o.feasibility_tolerance)).c_str());
  Cbc_setParameter(model, "integerT", std::to_string(std::max(1e-12, o.integrality_tolerance)).c_str());
  if (o.stop_at_first_solution) Cbc_setParameter(model, "maxSolutions", "1");
  Cbc_setAllowableGap(model, 1e-9);
  Cbc_setAllowableFractionGap(model, 1e-9);
  MilpResult res;
  int rc = 0;
  {
    // CBC keeps some static state; serialise calls from our own threads.
    // The C interface has no interrupt hook: a call queued behind another is cancelled here, one
    // already running ends at its time limit.
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    if (interrupted(o)) {
      res.message = "interrupted";
      return with_status(res, MilpStatus::Timeout);
    }
    if (std::isfinite(o.time_limit_s)) {
      const double left = seconds_left(o, entry);
      if (left <= 0) return with_status(res, MilpStatus::Timeout);
      Cbc_setMaximumSeconds(model, std::max(0.01, left));
    }
    rc = Cbc_solve(model);
  }
  const int n = Cbc_getNumCols(model);
  const bool proven_infeasible = Cbc_isProvenInfeasible(model);
  const bool proven_optimal = Cbc_isProvenOptimal(model);
  const double* sol = Cbc_getColSolution(model);
  const bool has = sol && Cbc_numberSavedSolutions(model) > 0;
  if (has || (proven_optimal && sol)) {
    res.has_solution = true;
    res.x.assign(sol, sol + n);
    res.objective = Cbc_getObjValue(model);
  }
  if (proven_infeasible && !res.has_solution) return with_status(res, MilpStatus::Infeasible);
  if (proven_optimal && res.has_solution) return with_status(res, MilpStatus::Optimal);
  if (res.has_solution && o.stop_at_first_solution) return with_status(res, MilpStatus::Optimal);
  if (Cbc_isSecondsLimitReached(model) || Cbc_status(model) == 1) {
    res.bound = Cbc_getBestPossibleObjValue(model) * 1.0;
    return with_status(res, MilpStatus::Timeout);
  }
  res.message = "Cbc_solve returned " + std::to_string(rc) + ", status " + std::to_string(Cbc_status(model)) + "/" +
                std::to_string(Cbc_secondaryStatus(model));
  return with_status(res, MilpStatus::Error);
}

class CbcSolver final : public MilpSolver {
 public:
  MilpBackend backend() const override { return MilpBackend::Cbc; }

  MilpResult solve(const MilpProblem& p, const MilpOptions& o) override {
    Cbc_Model* model = Cbc_newModel();
    struct Guard {
      Cbc_Model* m;
      ~Guard() { Cbc_deleteModel(m); }
    } guard{model};
    const double inf = DBL_MAX;
    for (const MilpVar& v : p.vars) {
      double lo = std::isfinite(v.lo) ? v.lo : -inf, hi = std::isfinite(v.hi) ? v.hi : inf;
      if (v.kind == VarKind::Binary) {
        lo = std::max(lo, 0.0);
        hi = std::min(hi, 1.0);
      }
      Cbc_addCol(model, "", lo, hi, v.objective, v.kind != VarKind::Continuous, 0, nullptr, nullptr);
    }
    std::vector<int> cols;
    std::vector<double> coefs;
    for (const MilpRow& r : p.rows) {
      cols.clear();
      coefs.clear();
      for (auto [j, c] : r.terms) {
        cols.push_back(static_cast<int>(j));
        coefs.push_back(c);
      }
      const bool fl = std::isfinite(r.lo), fh = std::isfinite(r.hi);
      if (fl && fh && r.lo == r.hi) {
        Cbc_addRow(model, "", static_cast<int>(cols.size()), cols.data(), coefs.data(), 'E', r.lo);
      } else {
        if (fl) Cbc_addRow(model, "", static_cast<int>(cols.size()), cols.data(), coefs.data(), 'G', r.lo);
        if (fh) Cbc_addRow(model, "", static_cast<int>(cols.size()), cols.data(), coefs.data(), 'L', r.hi);
      }
    }
    Cbc_setObjSense(model, p.maximize ? -1.0 : 1.0);
    MilpResult res = cbc_solve_loaded(model, o);
    finish(p, res);
    return res;
  }
};

}  // namespace

std::unique_ptr<MilpSolver> make_milp_solver(MilpBackend backend) {
  if (backend == MilpBackend::Glpk) return std::make_unique<GlpkSolver>();
  return std::make_unique<CbcSolver>();
}

MilpResult solve_mps_file(const std::string& path, MilpBackend backend, const MilpOptions& options) {
  if (backend == MilpBackend::Glpk) {
    glp_prob* lp = glp_create_prob();
    struct Guard {
      glp_prob* lp;
      ~Guard() { glp_delete_prob(lp); }
    } guard{lp};
    int rc = 0;
    {
      std::lock_guard<std::mutex> lock(glpk_mutex());
      const int was = glp_term_out(GLP_OFF);  // the reader reports on stdout otherwise
      rc = glp_read_mps(lp, GLP_MPS_FILE, nullptr, path.c_str());
      glp_term_out(was);
    }
    if (rc != 0) throw InputError(path, "MPS", "GLPK could not read it as free MPS");
    MilpResult r = glpk_solve_loaded(lp, glp_get_num_int(lp) > 0, options);
    if (r.status == MilpStatus::Optimal) r.bound = r.objective;
    return r;
  }
  Cbc_Model* model = Cbc_newModel();
  struct Guard {
    Cbc_Model* m;
    ~Guard() { Cbc_deleteModel(m); }
  } guard{model};
  Cbc_setLogLevel(model, 0);
  {
    // Cbc_readMps asserts on a malformed file: CoinMpsIO (the reader it uses) vets it first.
    CoinMpsIO reader;
    reader.messageHandler()->setLogLevel(0);
    if (reader.readMps(path.c_str(), "") != 0) throw InputError(path, "MPS", "CBC's reader (CoinMpsIO) rejected it");
  }
  if (Cbc_readMps(model, path.c_str()) != 0) throw InputError(path, "MPS", "CBC could not read it as MPS");
  MilpResult r = cbc_solve_loaded(model, options);
  if (r.status == MilpStatus::Optimal) r.bound = r.objective;
  return r;
}

}  // namespace nncert
