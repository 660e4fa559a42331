#!/bin/sh
# RISC-V 64 Linux (rv64gc), static, for qemu-riscv64.
# usage: build.sh SRC_DIR OUTPUT_EXE     packages: g++-riscv64-linux-gnu
# $NNCERT_CFLAGS: extra compiler flags (nncert conform --count-instructions sets -DNNCERT_REPEAT=N).
set -eu
src=$1; exe=$2
riscv64-linux-gnu-g++ -std=c++11 -O2 -Wall -Wextra -Wpedantic -Werror -static ${NNCERT_CFLAGS-} -I"$src" "$src"/*.cpp -o "$exe"
