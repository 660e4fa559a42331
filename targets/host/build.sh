#!/bin/sh
# Builds the generated model + conformance harness in SRC_DIR for this machine.
# usage: build.sh SRC_DIR OUTPUT_EXE   (honours $CXX, default c++)
set -eu
src=$1; exe=$2
${CXX:-c++} -std=c++11 -O2 -Wall -Wextra -Wpedantic -Werror -I"$src" "$src"/*.cpp -o "$exe"
