savedcmd_/work/main/tests/c/oops/deep_kthread.o := gcc -std=gnu11 -nostdinc -I/work/main/kbuild/include -include /work/main/kbuild/include/linux/kconfig.h -D__KERNEL__ -fPIC -fvisibility=hidden -fno-strict-aliasing -fno-common -fno-stack-protector -fno-omit-frame-pointer -ffreestanding -g -O2 -Wall -Wundef -Werror=implicit-function-declaration -Werror=implicit-int -Werror=return-type -Wno-format-security -Wno-pointer-sign -Wno-error=incompatible-pointer-types -DMODULE -DKBUILD_MODNAME='"deep_kthread"' -DKBUILD_BASENAME='"deep_kthread"'  -fmacro-prefix-map=/work/main/tests/c/oops/=      -MD -MP -MF /work/main/tests/c/oops/.deep_kthread.o.d -c -o /work/main/tests/c/oops/deep_kthread.o /work/main/tests/c/oops/deep_kthread.c
/work/main/tests/c/oops/deep_kthread.o: \
 /work/main/tests/c/oops/deep_kthread.c \
 /work/main/kbuild/include/linux/kconfig.h \
 /work/main/kbuild/include/linux/module.h \
 /work/main/kbuild/include/linux/list.h \
 /work/main/kbuild/include/linux/container_of.h \
 /work/main/kbuild/include/linux/build_bug.h \
 /work/main/kbuild/include/linux/compiler.h \
 /work/main/kbuild/include/linux/stddef.h \
 /work/main/kbuild/include/linux/types.h \
 /work/main/kbuild/include/linux/poison.h \
 /work/main/kbuild/include/linux/stat.h \
 /work/main/kbuild/include/linux/cache.h \
 /work/main/kbuild/include/linux/kmod.h \
 /work/main/kbuild/include/linux/errno.h \
 /work/main/kbuild/include/asm/errno.h \
 /work/main/kbuild/include/asm-generic/errno.h \
 /work/main/kbuild/include/asm-generic/errno-base.h \
 /work/main/kbuild/include/linux/umh.h \
 /work/main/kbuild/include/modhost/lib.h \
 /work/main/kbuild/include/modhost/kmod.h \
 /work/main/kbuild/include/modhost/services.h \
 /work/main/kbuild/include/linux/init.h \
 /work/main/kbuild/include/linux/stringify.h \
 /work/main/kbuild/include/linux/kernel.h \
 /work/main/kbuild/include/linux/stdarg.h \
 /work/main/kbuild/include/linux/align.h \
 /work/main/kbuild/include/linux/const.h \
 /work/main/kbuild/include/linux/limits.h \
 /work/main/kbuild/include/linux/bitops.h \
 /work/main/kbuild/include/linux/bits.h \
 /work/main/kbuild/include/linux/kstrtox.h \
 /work/main/kbuild/include/linux/log2.h \
 /work/main/kbuild/include/linux/math.h \
 /work/main/kbuild/include/linux/minmax.h \
 /work/main/kbuild/include/linux/typecheck.h \
 /work/main/kbuild/include/linux/printk.h \
 /work/main/kbuild/include/linux/kern_levels.h \
 /work/main/kbuild/include/linux/ratelimit_types.h \
 /work/main/kbuild/include/linux/version.h \
 /work/main/kbuild/include/linux/sprintf.h \
 /work/main/kbuild/include/linux/err.h \
 /work/main/kbuild/include/linux/bug.h \
 /work/main/kbuild/include/linux/moduleparam.h \
 /work/main/kbuild/include/linux/export.h \
 /work/main/kbuild/include/asm/processor.h \
 /work/main/kbuild/include/linux/kthread.h \
 /work/main/kbuild/include/linux/sched.h \
 /work/main/kbuild/include/linux/jiffies.h \
 /work/main/kbuild/include/linux/time64.h \
 /work/main/kbuild/include/linux/sched/signal.h \
 /work/main/kbuild/include/linux/signal.h
/work/main/kbuild/include/linux/kconfig.h:
/work/main/kbuild/include/linux/module.h:
/work/main/kbuild/include/linux/list.h:
/work/main/kbuild/include/linux/container_of.h:
/work/main/kbuild/include/linux/build_bug.h:
/work/main/kbuild/include/linux/compiler.h:
/work/main/kbuild/include/linux/stddef.h:
/work/main/kbuild/include/linux/types.h:
/work/main/kbuild/include/linux/poison.h:
/work/main/kbuild/include/linux/stat.h:
/work/main/kbuild/include/linux/cache.h:
/work/main/kbuild/include/linux/kmod.h:
/work/main/kbuild/include/linux/errno.h:
/work/main/kbuild/include/asm/errno.h:
/work/main/kbuild/include/asm-generic/errno.h:
/work/main/kbuild/include/asm-generic/errno-base.h:
/work/main/kbuild/include/linux/umh.h:
/work/main/kbuild/include/modhost/lib.h:
/work/main/kbuild/include/modhost/kmod.h:
/work/main/kbuild/include/modhost/services.h:
/work/main/kbuild/include/linux/init.h:
/work/main/kbuild/include/linux/stringify.h:
/work/main/kbuild/include/linux/kernel.h:
/work/main/kbuild/include/linux/stdarg.h:
/work/main/kbuild/include/linux/align.h:
/work/main/kbuild/include/linux/const.h:
/work/main/kbuild/include/linux/limits.h:
/work/main/kbuild/include/linux/bitops.h:
/work/main/kbuild/include/linux/bits.h:
/work/main/kbuild/include/linux/kstrtox.h:
/work/main/kbuild/include/linux/log2.h:
/work/main/kbuild/include/linux/math.h:
/work/main/kbuild/include/linux/minmax.h:
/work/main/kbuild/include/linux/typecheck.h:
/work/main/kbuild/include/linux/printk.h:
/work/main/kbuild/include/linux/kern_levels.h:
/work/main/kbuild/include/linux/ratelimit_types.h:
/work/main/kbuild/include/linux/version.h:
/work/main/kbuild/include/linux/sprintf.h:
/work/main/kbuild/include/linux/err.h:
/work/main/kbuild/include/linux/bug.h:
/work/main/kbuild/include/linux/moduleparam.h:
/work/main/kbuild/include/linux/export.h:
/work/main/kbuild/include/asm/processor.h:
/work/main/kbuild/include/linux/kthread.h:
/work/main/kbuild/include/linux/sched.h:
/work/main/kbuild/include/linux/jiffies.h:
/work/main/kbuild/include/linux/time64.h:
/work/main/kbuild/include/linux/sched/signal.h:
/work/main/kbuild/include/linux/signal.h:
