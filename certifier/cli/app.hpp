// The `nncert` command line: subcommands, the exception -> exit code boundary (DESIGN §7).
#pragma once

namespace nncert::cli {

// Exit codes of DESIGN §7.
enum Exit : int { kOk = 0, kFalsified = 1, kBadInput = 2, kUnknown = 3, kInternal = 4 };

int run(int argc, char** argv);

}  // namespace nncert::cli
