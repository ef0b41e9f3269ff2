#!/usr/bin/env bash
# Installs, with apt, the system programs that iochannels' tests use as independent
# witnesses (lsof, lsfd, ss, strace, graphviz's dot) and the headless browser for the
# HTML test; with "compiler", the C compiler and Python headers of the optional C part.
# The package itself needs none of them. Nothing is installed when all are present,
# when IOCHANNELS_NO_APT=1, or when we are neither root nor allowed sudo: the tests
# that need a missing witness then skip and say why.
set -u

need=()
command -v lsof >/dev/null 2>&1 || need+=(lsof)
command -v lsfd >/dev/null 2>&1 || need+=(util-linux-extra)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v cc >/dev/null 2>&1 || need+=(gcc)  # the trace tests compile small C programs
command -v dash >/dev/null 2>&1 || need+=(dash)  # the shell's reference (tests/shell)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)
if [ "${1:-}" = venv ]; then need=(python3-venv); fi
# compiler: what setup.py needs to build the optional C part of the scan (a C compiler and
# the headers of the Python that builds it); without them the package installs pure Python.
if [ "${1:-}" = compiler ]; then
    need=()
    command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
    "${PYTHON:-python3}" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
        2>/dev/null || need+=(python3-dev)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "${IOCHANNELS_NO_APT:-0}" = 1 ]; then
    echo "note: not installing ${need[*]} (IOCHANNELS_NO_APT=1); tests needing them will skip"
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "note: cannot install ${need[*]} (not root, no sudo); tests needing them will skip"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: no apt-get; install ${need[*]} by hand; tests needing them will skip"
    exit 0
fi
echo "installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null &&
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    echo "note: apt-get could not install ${need[*]}; tests needing them will skip"
exit 0
