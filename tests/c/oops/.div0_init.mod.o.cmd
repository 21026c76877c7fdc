savedcmd_/work/main/tests/c/oops/div0_init.mod.o := gcc -std=gnu11 -nostdinc -I/work/main/kbuild/include -include /work/main/kbuild/include/linux/kconfig.h -D__KERNEL__ -fPIC -fvisibility=hidden -fno-strict-aliasing -fno-common -fno-stack-protector -fno-omit-frame-pointer -ffreestanding -g -O2 -Wall -Wundef -Werror=implicit-function-declaration -Werror=implicit-int -Werror=return-type -Wno-format-security -Wno-pointer-sign -Wno-error=incompatible-pointer-types -DMODULE -DKBUILD_MODNAME='"div0_init"' -MD -MP -MF /work/main/tests/c/oops/.div0_init.mod.o.d -c -o /work/main/tests/c/oops/div0_init.mod.o /work/main/tests/c/oops/div0_init.mod.c
/work/main/tests/c/oops/div0_init.mod.o: \
 /work/main/tests/c/oops/div0_init.mod.c \
 /work/main/kbuild/include/linux/kconfig.h \
 /work/main/kbuild/include/modhost/kmod.h \
 /work/main/kbuild/include/modhost/services.h
/work/main/kbuild/include/linux/kconfig.h:
/work/main/kbuild/include/modhost/kmod.h:
/work/main/kbuild/include/modhost/services.h:
