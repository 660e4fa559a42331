#!/bin/sh
# Runs a Cortex-M4 ELF on QEMU's mps2-an386 board; stdout, files and the exit code travel
# through semihosting (the harness reads ./vectors.txt from the host folder).
# $NNCERT_QEMU_ARGS: extra QEMU options (the instruction-counting plugin).
# packages: qemu-system-arm
set -eu
exec qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none -semihosting ${NNCERT_QEMU_ARGS-} -kernel "$1"
