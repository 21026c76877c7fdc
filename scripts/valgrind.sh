#!/usr/bin/env bash
# Runs a short scripted modhost session under valgrind memcheck, then the
# end-to-end tests of handles (module code that runs on after rmmod in a
# thread of its own or a thread-local destructor, objects freed from their
# own callbacks, stale and forged handles), and fails on any invalid read
# or write, use of uninitialised memory, or bad free.
#
#   scripts/valgrind.sh            # about two minutes on a 2-core machine
#
# Not part of `cargo test`: valgrind runs the host some 30x slower and is
# not installed everywhere. Leaks are not errors here: modules are unmapped
# with dlclose, and what the Rust runtime keeps until exit is not a leak.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }
cargo build --quiet   # the host and the shipped plugins, into target/debug

session=$(mktemp)
trap 'rm -f "$session"' EXIT
cat > "$session" <<'SESSION'
insmod fifo.so size=4
insmod producer.so item=A rate=50
insmod --name producer2 producer.so item=B rate=20
insmod consumer.so rate=40
lsmod
sleep 1
cat /proc/fifo
echo 100 > /sys/module/producer/parameters/rate
sleep 1
rmmod fifo
rmmod consumer
rmmod producer producer2
modprobe -r fifo
modprobe consumer rate=5
insmod --name producer3 producer.so rate=fast
dmesg -l err,warn
SESSION

# Two commands fail on purpose (rmmod of a module in use, a bad
# parameter), so the session's own status is 1; memcheck's is 99. modhost
# turns what reaches fds 1 and 2 into kernel log lines, so memcheck reports
# through fd 3, a copy of this script's stderr.
status=0
valgrind --tool=memcheck --error-exitcode=99 --errors-for-leak-kinds=none \
    --track-origins=yes --quiet --log-fd=3 \
    target/debug/modhost --module-path target/debug --console-level 4 --script "$session" 3>&2 || status=$?
case $status in
    0 | 1) echo "valgrind.sh: the session: memcheck found no errors" ;;
    99) echo "valgrind.sh: the session: memcheck found errors (above)" >&2; exit 1 ;;
    *) echo "valgrind.sh: modhost exited with status $status" >&2; exit 1 ;;
esac

# The handles tests, one at a time (memcheck serialises threads anyway).
tests=$(cargo test --quiet -p modhost-tests --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*modhost_tests-[^"]*\)".*/\1/p' | head -n 1)
[ -x "$tests" ] || { echo "valgrind.sh: the end-to-end test binary was not built" >&2; exit 1; }
status=0
valgrind --tool=memcheck --error-exitcode=99 --errors-for-leak-kinds=none --quiet \
    "$tests" --test-threads=1 handles:: || status=$?
case $status in
    0) echo "valgrind.sh: the handles tests: memcheck found no errors" ;;
    99) echo "valgrind.sh: the handles tests: memcheck found errors (above)" >&2; exit 1 ;;
    *) echo "valgrind.sh: the handles tests failed under memcheck (status $status)" >&2; exit 1 ;;
esac
