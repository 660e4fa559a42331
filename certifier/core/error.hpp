// Error types shared by the whole certifier. Library code throws; the CLI boundary
// (certifier/cli/main.cpp) catches and maps them to the exit codes of DESIGN §7.
#pragma once

#include <stdexcept>
#include <string>

namespace nncert {

// Bad usage or bad input (exit 2). The message is one line: "<file>: <position>: <expectation>".
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  InputError(const std::string& file, const std::string& position, const std::string& what)
      : std::runtime_error(file + ": " + position + ": " + what) {}
};

// A broken invariant inside nncert itself (exit 4), e.g. a solver witness that does not replay.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace nncert
