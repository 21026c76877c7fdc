/work/main/tests/c/oops/null_work.o
