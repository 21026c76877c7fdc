/work/main/tests/c/oops/null_timer.o
