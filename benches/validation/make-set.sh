#!/usr/bin/env bash
# Build a validation set of large files of several kinds from what a Debian machine holds,
# for measuring model changes beyond the corpora: `bash benches/validation/make-set.sh DIR`,
# then `kraft bench DIR --peers`, or two kraft binaries side by side. Each file is at most
# SIZE bytes (default 32 MiB: more than the 16 MiB blocks levels 4-6 cut before). The set
# depends on the machine's packages, so compare figures taken on the same machine only; it
# is never committed.
# No pipefail: `head` ends the pipes on purpose.
set -eu
dir=${1:?usage: make-set.sh DIR [SIZE]}
size=${2:-33554432}
mkdir -p "$dir"
cut_to() { head -c "$size" > "$dir/$1"; echo "$dir/$1: $(stat -c %s "$dir/$1") bytes"; }

# C and C++ headers (source text with repeats megabytes apart).
tar cf - -C /usr include 2>/dev/null | cut_to include.tar
# The Debian package index (a text database of records).
lists=$(ls -S /var/lib/apt/lists/*_Packages* 2>/dev/null | head -1 || true)
if [ -n "$lists" ]; then
  case "$lists" in
    *.lz4) command -v lz4 >/dev/null && lz4 -dc "$lists" | cut_to packages.txt ;;
    *.gz) gzip -dc "$lists" | cut_to packages.txt ;;
    *.xz) xz -dc "$lists" | cut_to packages.txt ;;
    *) cut_to packages.txt < "$lists" ;;
  esac
fi
# The largest x86-64 executable on the machine.
exe=$(ls -S /usr/bin/* 2>/dev/null | head -1)
cut_to largest-executable.elf < "$exe"
# Python's standard library as a tar (source, plus whatever binaries it ships).
py=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])' 2>/dev/null || true)
if [ -n "$py" ] && [ -d "$py" ]; then
  tar cf - -C "$py" --exclude=__pycache__ --exclude=site-packages --exclude=test . 2>/dev/null \
    | cut_to python-stdlib.tar
fi
# Shared libraries: x86-64 code and data.
find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name '*.so*' -type f -size +1M 2>/dev/null \
  | sort | head -40 | xargs cat 2>/dev/null | cut_to shared-libraries.bin
