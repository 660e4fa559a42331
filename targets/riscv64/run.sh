#!/bin/sh
# Runs a static RISC-V 64 harness under user-mode emulation.   packages: qemu-user
set -eu
# $NNCERT_QEMU_ARGS: extra QEMU options (the instruction-counting plugin).
exec qemu-riscv64 ${NNCERT_QEMU_ARGS-} "$1"
