/work/main/tests/c/oops/deep_kthread.o
