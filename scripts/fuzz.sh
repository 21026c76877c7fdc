#!/usr/bin/env bash
# Fuzzes the loader with mutated module files: the `module_file` target of
# fuzz/ (cargo-fuzz, libFuzzer) runs mutants of the shipped modules through
# everything insmod does to a file short of init, for a bounded number of
# runs, and fails on any crash, hang or leak it finds (the input is kept in
# fuzz/artifacts/module_file/).
#
#   scripts/fuzz.sh            # 20000 runs
#   scripts/fuzz.sh 1000000    # longer
#
# Needs a nightly toolchain (cargo-fuzz builds with sanitizers); without one
# it says so and exits 0. Installs cargo-fuzz if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20000}

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: no nightly toolchain; fuzzing skipped"
    exit 0
fi
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# The seed corpus: the shipped modules as users build them, and the lab's
# fifo in C as kbuild builds it.
cargo build --quiet --release -p modhost -p fifo-plugin -p producer-plugin -p consumer-plugin
corpus=fuzz/corpus/module_file
mkdir -p "$corpus"
for module in fifo producer consumer; do
    cp "target/release/lib$module.so" "$corpus/"
done
clab=target/fuzz-seeds/lab
mkdir -p "$clab"
cp tests/c/lab/*.c tests/c/lab/*.h tests/c/lab/Makefile "$clab/"
MODHOST="$PWD/target/release/modhost" make -s -C kbuild M="$PWD/$clab" >/dev/null
cp "$clab/fifo.ko" "$corpus/"

# -max_len: the seeds are about 600 KiB; -timeout: a hang is a finding (the
# loader gives a layout-check child 10 s before it kills it and refuses).
# Faults are the sanitizer's to report, not libFuzzer's: the loader runs its
# layout check in a child process, where a fault is a refused module, and
# the target clears the sanitizer's death callback there; in the fuzzing
# process itself a fault is reported and its input kept as usual.
export ASAN_OPTIONS=${ASAN_OPTIONS:-handle_abort=1:handle_sigill=1:handle_sigfpe=1}
cargo +nightly fuzz run --fuzz-dir fuzz module_file "$corpus" -- \
    -runs="$runs" -max_len=1048576 -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -handle_segv=0 -handle_bus=0 -handle_abrt=0 -handle_ill=0 -handle_fpe=0
