#!/bin/sh
# Bare-metal Cortex-M4 (ARMv7E-M with the DSP extension: nncert_kernels.h uses SMLAD) for QEMU's
# mps2-an386 board, I/O through semihosting. The board's memory map is mps2-an385's, so the
# Cortex-M3 target's startup.c and link.ld serve unchanged (nncert conform copies them to SRC_DIR).
# usage: build.sh SRC_DIR OUTPUT_ELF
# $NNCERT_CFLAGS: extra C++ flags, after the defaults (-O2 overrides -Os; -DNNCERT_REPEAT=N).
# packages: gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
set -eu
src=$1; exe=$2
flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=soft -Os -ffunction-sections -fdata-sections"
arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Werror -c "$src/startup.c" -o "$exe.startup.o"
arm-none-eabi-g++ $flags -std=c++11 -fno-exceptions -fno-rtti -Wall -Wextra -Wpedantic -Werror ${NNCERT_CFLAGS-} \
  -I"$src" "$src"/*.cpp "$exe.startup.o" --specs=rdimon.specs -nostartfiles -T "$src/link.ld" -Wl,--gc-sections -o "$exe"
rm -f "$exe.startup.o"
