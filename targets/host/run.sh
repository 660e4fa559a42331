#!/bin/sh
# Runs a harness built by build.sh in the current folder (it reads ./vectors.txt).
set -eu
exec "$1"
