/work/main/tests/c/oops/poke_user.o
