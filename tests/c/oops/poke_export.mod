/work/main/tests/c/oops/poke_export.o
