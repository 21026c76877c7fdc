/work/main/tests/c/oops/bug_work.o
