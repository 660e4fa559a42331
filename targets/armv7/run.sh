#!/bin/sh
# Runs a static ARMv7 harness under user-mode emulation.   packages: qemu-user
set -eu
exec qemu-arm "$1"
