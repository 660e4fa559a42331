#!/bin/sh
# Runs a Cortex-M3 ELF on QEMU's mps2-an385 board; stdout, files and the exit code travel
# through semihosting (the harness reads ./vectors.txt from the host folder).
# packages: qemu-system-arm
# $NNCERT_QEMU_ARGS: extra QEMU options (the instruction-counting plugin).
set -eu
exec qemu-system-arm -M mps2-an385 -cpu cortex-m3 -nographic -monitor none -serial none -semihosting ${NNCERT_QEMU_ARGS-} -kernel "$1"
