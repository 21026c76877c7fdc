/work/main/tests/c/oops/null_init.o
