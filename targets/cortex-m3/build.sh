#!/bin/sh
# Bare-metal Cortex-M3 (ARMv7-M, Thumb-2) for QEMU's mps2-an385 board, I/O through semihosting.
# Needs startup.c and link.ld from this folder in SRC_DIR (nncert conform copies them there).
# usage: build.sh SRC_DIR OUTPUT_ELF
# packages: gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
# $NNCERT_CFLAGS: extra C++ flags, after the defaults (-O2 overrides -Os; -DNNCERT_REPEAT=N).
set -eu
src=$1; exe=$2
flags="-mcpu=cortex-m3 -mthumb -Os -ffunction-sections -fdata-sections"
arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Werror -c "$src/startup.c" -o "$exe.startup.o"
arm-none-eabi-g++ $flags -std=c++11 -fno-exceptions -fno-rtti -Wall -Wextra -Wpedantic -Werror ${NNCERT_CFLAGS-} \
  -I"$src" "$src"/*.cpp "$exe.startup.o" --specs=rdimon.specs -nostartfiles -T "$src/link.ld" -Wl,--gc-sections -o "$exe"
rm -f "$exe.startup.o"
