#!/bin/sh
# Bare-metal Cortex-M55 (ARMv8.1-M with MVE: nncert_kernels.h uses VMLADAVA) for QEMU's
# mps3-an547 board, I/O through semihosting. Needs startup.c and link.ld from this folder in
# SRC_DIR (nncert conform copies them there). -mfloat-abi=hard: with soft, GCC turns MVE off.
# usage: build.sh SRC_DIR OUTPUT_ELF
# $NNCERT_CFLAGS: extra C++ flags, after the defaults (-O2 overrides -Os; -DNNCERT_REPEAT=N).
# packages: gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
set -eu
src=$1; exe=$2
flags="-mcpu=cortex-m55 -mthumb -mfloat-abi=hard -Os -ffunction-sections -fdata-sections"
arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Werror -c "$src/startup.c" -o "$exe.startup.o"
arm-none-eabi-g++ $flags -std=c++11 -fno-exceptions -fno-rtti -Wall -Wextra -Wpedantic -Werror ${NNCERT_CFLAGS-} \
  -I"$src" "$src"/*.cpp "$exe.startup.o" --specs=rdimon.specs -nostartfiles -T "$src/link.ld" -Wl,--gc-sections -o "$exe"
rm -f "$exe.startup.o"
