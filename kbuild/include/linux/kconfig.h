/* SPDX-License-Identifier: GPL-2.0-only */
/* Included before every source file, as the kernel's is: the configuration
 * modhost plays (64-bit x86, SMP, preemptible, modules, modversions). */
#ifndef _LINUX_KCONFIG_H
#define _LINUX_KCONFIG_H

#define CONFIG_64BIT 1
#define CONFIG_X86_64 1
#define CONFIG_SMP 1
#define CONFIG_PREEMPT 1
#define CONFIG_MODULES 1
#define CONFIG_MODULE_UNLOAD 1
#define CONFIG_MODVERSIONS 1
#define CONFIG_PRINTK 1
#define CONFIG_PROC_FS 1
#define CONFIG_HZ 250
#define CONFIG_NR_CPUS 2

/* KASAN=1 compiles the module's objects with -fsanitize=kernel-address.
 * Each then names lib/kasan.c's entry point, so that the module links it
 * even when the compiler found no access of its own to check: the
 * library's string and memory functions check theirs then. */
#ifdef __SANITIZE_ADDRESS__
#define CONFIG_KASAN 1
#define CONFIG_KASAN_GENERIC 1
#define CONFIG_KASAN_OUTLINE 1
__asm__(".globl __modhost_kasan_check_range\n\t.hidden __modhost_kasan_check_range");
#endif

#define IS_ENABLED(option) __is_defined(option)
#define IS_BUILTIN(option) __is_defined(option)
#define IS_MODULE(option) 0
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x) ___is_defined(x)
#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)

#endif
