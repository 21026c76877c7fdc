/work/main/tests/c/oops/spin_work.o
