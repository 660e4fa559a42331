// Certified synthesis by counterexample-guided repair (Zavatteri et al., "Automated Synthesis of
// Certified Neural Networks", ECAI'24, Algorithm 1): train -> verify (complete) -> repair each
// counterexample's outputs (output_repair), add it and samples around it (sampling) to the
// training data -> retrain, until the network is verified or the budget is spent.
// NeVer 2.0's verification-based adversarial learning is the same loop on robustness properties.
#pragma once

#include "certifier/repair/data_repair.hpp"
#include "certifier/repair/output_repair.hpp"
#include "certifier/repair/property_loss.hpp"
#include "certifier/repair/sampling.hpp"
#include "certifier/train/trainer.hpp"
#include "certifier/verify/counterexample_search.hpp"

#include <functional>
#include <limits>
#include <optional>
#include <vector>

namespace nncert {

enum class Retrain { Scratch, Finetune };
Retrain parse_retrain(const std::string& name);  // "scratch" | "finetune", InputError otherwise
std::string to_string(Retrain r);

struct CegisConfig {
  TrainConfig train;                     // loss, epochs, batch, Adam, patience, seed
  std::vector<std::size_t> widths;       // architecture for re-initialisation (Retrain::Scratch)
  bool batch_norm = false;
  Retrain retrain = Retrain::Scratch;    // the paper retrains from scratch every iteration
  bool train_first = true;               // train the first network (false: `initial` is it)
  bool repair_data = true;               // move contradicting training targets first (data_repair)
  bool validate_on_repairs = true;       // early-stop on the validation set plus a tenth of the new pairs
  SearchOptions search;                  // C, MILP backend, threads
  // The check of every round; empty: find_counterexamples on the float network. `repair --bits`
  // checks the network's quantization with the exact QNN search instead (same result, same rules).
  std::function<SearchResult(const Network&, const LinearProperty&, const SearchOptions&)> check;
  OutputRepairOptions repair;            // margin of the repaired targets in the first round
  // Targets repaired exactly onto the boundary leave the retrained network on it, and its fitting
  // error then puts half of them back across: the margin doubles every round (up to max_margin),
  // so the loop converges to a network inside the property rather than oscillating around it.
  double margin_growth = 2, max_margin = 0.05;
  SamplingOptions sampling;              // S and the noise
  // Uniform points of the precondition per round, labelled with the current network's outputs
  // moved into the postcondition (unchanged where they satisfy it): the retrained network learns
  // the property over the whole region, not only around the counterexamples. 0 = the paper's loop.
  std::size_t region_samples = 0;
  // The property as a term of the training loss (property_loss), on adversarially moving points
  // and the verifier's counterexamples; weight 0 = the paper's loop, data augmentation only.
  PropertyLossOptions property_loss{.weight = 0};
  std::size_t max_iterations = 100;
  double timeout_s = std::numeric_limits<double>::infinity();
  std::uint64_t seed = 0;                // initialisation (plus the iteration) and sampling
};

struct CegisData {
  Dataset train, validation;  // validation: early stopping, never augmented
  std::optional<Dataset> test;
};

struct CegisIteration {
  std::size_t iteration = 0;  // 0 = the network as trained/given, before any repair
  Verdict verdict = Verdict::Unknown;
  std::size_t counterexamples = 0, added = 0, training_size = 0;
  double validation_loss = 0;
  std::optional<double> region_violating;  // fraction of the region samples that violated
  std::optional<double> test_loss, test_accuracy;
  double train_seconds = 0, verify_seconds = 0, repair_seconds = 0;
  std::string detail;  // the verifier's
};

struct CegisResult {
  Network network;                // certified, or the best so far (fewest counterexamples found)
  bool certified = false;
  std::vector<CegisIteration> history;
  std::vector<LinearCounterexample> open;  // the returned network's, when not certified
  std::string proof;                       // what settled the certificate (solver, tolerance)
  std::size_t best_iteration = 0;
  DataRepairReport data_repair;            // what repair_data changed before the first training
  double seconds = 0;
};

struct CegisHooks {
  std::function<void(const CegisIteration&)> on_iteration;
  TrainHooks train;
};

// Throws InputError when a counterexample's outputs cannot be repaired (no output satisfies the
// postcondition at its input), naming the property and the input.
CegisResult cegis(const Network& initial, const LinearProperty& property, const CegisData& data,
                  const CegisConfig& config, const CegisHooks& hooks = {});

}  // namespace nncert
