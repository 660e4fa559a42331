#!/bin/sh
# Builds the generated model + conformance harness in SRC_DIR for this machine.
# usage: build.sh SRC_DIR OUTPUT_EXE   (honours $CXX, default c++)
# $NNCERT_CFLAGS: extra compiler flags (nncert conform --count-instructions sets -DNNCERT_REPEAT=N).
set -eu
src=$1; exe=$2
${CXX:-c++} -std=c++11 -O2 -Wall -Wextra -Wpedantic -Werror ${NNCERT_CFLAGS-} -I"$src" "$src"/*.cpp -o "$exe"
