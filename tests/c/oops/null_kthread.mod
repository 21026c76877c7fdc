/work/main/tests/c/oops/null_kthread.o
