#!/bin/sh
# ARMv7-A Linux (hard float ABI; the model itself uses no floating point), static, for qemu-arm.
# usage: build.sh SRC_DIR OUTPUT_EXE     packages: g++-arm-linux-gnueabihf
# $NNCERT_CFLAGS: extra compiler flags (nncert conform --count-instructions sets -DNNCERT_REPEAT=N).
set -eu
src=$1; exe=$2
arm-linux-gnueabihf-g++ -std=c++11 -O2 -Wall -Wextra -Wpedantic -Werror -static ${NNCERT_CFLAGS-} -I"$src" "$src"/*.cpp -o "$exe"
