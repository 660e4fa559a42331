#!/bin/sh
# Runs a static ARMv7 harness under user-mode emulation.   packages: qemu-user
set -eu
# $NNCERT_QEMU_ARGS: extra QEMU options (the instruction-counting plugin).
exec qemu-arm ${NNCERT_QEMU_ARGS-} "$1"
