// The quantized-network branch of `nncert verify` (issue 6): exact robustness of a QNetwork on
// dataset samples (--robust linf|l1|l0:R in input grid units) with the compact, qvip or smt core
// or their portfolio; --export-ilp and --cross-check add re-checkable evidence (issue 16).
// cmd_verify.cpp dispatches here; `nncert mrr` (cmd_mrr.cpp) shares the option parsing.
#pragma once

#include "certifier/cli/command.hpp"
#include "certifier/core/model.hpp"
#include "certifier/verify/qnn_property.hpp"

#include <string>

namespace nncert::cli {

struct QnnVerifyRequest {
  std::string model, robust, data, samples, encoding = "compact", solver = "cbc", results;
  double timeout = 60, delta = 0;
  int threads = 1;
  std::string shard;  // --shard K/N: only the samples whose dataset index is K-1 mod N
  std::string export_ilp;    // directory for the decided queries as MPS files (empty: none)
  bool cross_check = false;  // re-decide every verdict with a second core, both in the certificate
};

// Per-sample verdicts and a summary; appends verified certificates to a .nnc model. Returns the
// exit code (0 all robust, 1 some falsified, 3 some unknown).
int run_verify_qnn(const QnnVerifyRequest& request, const Globals& globals, Model& model);

// "linf:2" -> {Linf, 2}; InputError unless the radius is a non-negative integer.
std::pair<QNorm, std::int64_t> parse_qnn_robust(const std::string& spec);

}  // namespace nncert::cli
