/work/main/tests/c/oops/div0_init.o
