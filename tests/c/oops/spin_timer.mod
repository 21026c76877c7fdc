/work/main/tests/c/oops/spin_timer.o
