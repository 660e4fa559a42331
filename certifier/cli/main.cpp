// Entry point of the `nncert` command line: everything lives in certifier/cli/app.*.
#include "certifier/cli/app.hpp"

int main(int argc, char** argv) { return nncert::cli::run(argc, argv); }
