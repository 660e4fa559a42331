#include "certifier/verify/qnn_portfolio.hpp"

#include "certifier/core/error.hpp"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace nncert {

std::vector<QVerifyOptions> portfolio_members(const QVerifyOptions& base, const QNetwork& net) {
  QVerifyOptions m = base;
  m.threads = 1;
  m.stop = nullptr;
  m.bounds = QBoundsKind::Symbolic;
  std::vector<QVerifyOptions> members;
  // The core that decides most tasks first (issue 6's measurements); it alone runs the attack.
  m.encoding = QEncoding::Compact;
  m.backend = MilpBackend::Cbc;
  members.push_back(m);
  m.attack = false;
  m.encoding = QEncoding::Qvip;
  m.backend = MilpBackend::Glpk;
  members.push_back(m);
  // Input splitting: smaller boxes tighten the symbolic bounds, which the saturated tail lacks.
  // Its leaves share CBC with the first member; that member's output-split calls are short, so
  // the two interleave (each backend serialises its calls) instead of one waiting out the other.
  m.encoding = QEncoding::Compact;
  m.backend = MilpBackend::Cbc;
  m.split_depth = 8;
  m.eager_split = true;
  m.output_split = false;
  members.push_back(m);
  // Z3 only on small inputs: on 784-input networks the bit-blasted formula is huge, and freeing
  // its context after an interrupt took minutes (P4-6 image 42), far past the task's budget.
  if (net.input_size <= kPortfolioSmtMaxInputs) {
    m = members[1];
    m.encoding = QEncoding::Smt;
    members.push_back(m);
  }
  return members;
}

namespace {

std::string member_name(const QVerifyOptions& o) {
  return (o.split_depth > 0 ? "bab:" : "") + to_string(o.encoding) +
         (o.encoding == QEncoding::Smt ? "/z3" : "/" + to_string(o.backend));
}

}  // namespace

QVerifyResult verify_qnn_portfolio(const QNetwork& net, const QProperty& property, const QVerifyOptions& base) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<QVerifyOptions> members = portfolio_members(base, net);
  std::atomic<bool> stop{base.stop && base.stop->load()};
  for (QVerifyOptions& m : members) m.stop = &stop;
  const std::size_t n = members.size();
  std::vector<QVerifyResult> results(n);
  std::vector<std::exception_ptr> errors(n);
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t finished = 0;
  std::optional<std::size_t> winner;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      try {
        results[i] = verify_qnn(net, property, members[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      ++finished;
      if (!winner && (errors[i] || results[i].verdict != QVerdict::Unknown)) {
        winner = i;
        stop = true;
      }
      cv.notify_all();
    });
  {
    std::unique_lock<std::mutex> lock(mutex);
    // The outer stop (a portfolio inside a larger race) is polled; members watch only `stop`.
    while (!winner && finished < n) {
      cv.wait_for(lock, std::chrono::milliseconds(20));
      if (base.stop && base.stop->load()) stop = true;
    }
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  // Members that finished before they saw the stop must agree with the winner.
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const QVerdict a = results[i].verdict, b = results[j].verdict;
      if (a != QVerdict::Unknown && b != QVerdict::Unknown && a != b)
        throw InternalError("QNN portfolio: " + member_name(members[i]) + " says " + to_string(a) + ", " +
                            member_name(members[j]) + " says " + to_string(b) + " on '" + property.description + "'");
    }
  QVerifyResult out;
  if (winner) {
    out = std::move(results[*winner]);
    out.decided_by = "portfolio:" + (out.decided_by.find('/') != std::string::npos && members[*winner].split_depth > 0
                                         ? "bab:" + out.decided_by
                                         : out.decided_by);
  } else {
    out.verdict = QVerdict::Unknown;
    out.decided_by = "portfolio";
    for (std::size_t i = 0; i < n; ++i)
      out.detail += (i ? "; " : "") + member_name(members[i]) + ": " + results[i].detail;
    out.unstable_neurons = results[0].unstable_neurons;
    out.disjuncts_open = results[0].disjuncts_open;
  }
  out.solver_calls = 0;
  for (const QVerifyResult& r : results) out.solver_calls += r.solver_calls;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace nncert
