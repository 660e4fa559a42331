#!/bin/sh
# Runs a static RISC-V 64 harness under user-mode emulation.   packages: qemu-user
set -eu
exec qemu-riscv64 "$1"
