/work/main/tests/c/oops/null_tasklet.o
