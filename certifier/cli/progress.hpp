// A small terminal progress bar (Debian has no library for it): drawn on stderr only when
// stderr is a terminal and --json is off, redrawn at most ten times a second.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace nncert::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, std::size_t total, bool allowed);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `done` items of `total`; `status` is shown after the bar (e.g. "loss 0.31").
  void update(std::size_t done, const std::string& status = "");
  void finish();

 private:
  void draw(std::size_t done, const std::string& status);

  std::string label_;
  std::size_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace nncert::cli
