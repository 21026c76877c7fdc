// SPDX-License-Identifier: GPL-2.0-only
/*
 * KASAN=1: what GCC's -fsanitize=kernel-address calls before each load and
 * store of a module's instrumented code (outline mode: every access is a
 * call such as __asan_store1_noabort(addr)). Each asks the host's
 * kasan_check with the access's place in the module's code (the call's
 * return address); the host knows the module's blocks, their redzones and
 * its quarantine, so there is no shadow memory here, and the compiler is
 * told to write none (no stack or global redzones).
 *
 * This file is compiled without instrumentation, as all of lib/ is, and
 * only modules with instrumented objects link it (they are what refers to
 * __asan_*). Its __modhost_kasan_check_range, weak in internal.h, turns on
 * the checks of the library's string and memory functions in exactly
 * those modules.
 *
 * Kernel counterpart: mm/kasan/generic.c (__asan_load1 and friends),
 * mm/kasan/shadow.c (memcpy and friends check their ranges).
 */

#include <linux/kernel.h>
#include <modhost/lib.h>
#include "internal.h"

/* The module's own image, from its ELF header to the end of its bss (the
 * linker's symbols): no block of kmalloc is there, so an access there,
 * the most common kind after the stack's, needs no question to the host. */
extern const char __ehdr_start[] __modhost_hidden;
extern const char _end[] __modhost_hidden;

static __always_inline void check(unsigned long addr, size_t size, bool write, unsigned long ip)
{
	if (addr >= (unsigned long)__ehdr_start && addr < (unsigned long)_end)
		return;
	/* A constructor runs before start sets the table: nothing to ask yet. */
	if (likely(__modhost_services) && size)
		mh_call(mem, kasan_check, (const void *)addr, size, write, ip);
}

void __modhost_kasan_check_range(const volatile void *addr, size_t size, bool write, unsigned long ip)
{
	check((unsigned long)addr, size, write, ip);
}

/* Both spellings: _noabort is what GCC calls with recovery on (the
 * kernel's default, and modhost's: a report never stops the module). */
#define DEFINE_ASAN_LOAD_STORE(size)						\
	void __asan_load##size##_noabort(unsigned long addr);			\
	void __asan_load##size##_noabort(unsigned long addr)			\
	{									\
		check(addr, size, false, _RET_IP_);				\
	}									\
	void __asan_load##size(unsigned long addr)				\
		__attribute__((alias("__asan_load" #size "_noabort")));	\
	void __asan_store##size##_noabort(unsigned long addr);			\
	void __asan_store##size##_noabort(unsigned long addr)			\
	{									\
		check(addr, size, true, _RET_IP_);				\
	}									\
	void __asan_store##size(unsigned long addr)				\
		__attribute__((alias("__asan_store" #size "_noabort")))

DEFINE_ASAN_LOAD_STORE(1);
DEFINE_ASAN_LOAD_STORE(2);
DEFINE_ASAN_LOAD_STORE(4);
DEFINE_ASAN_LOAD_STORE(8);
DEFINE_ASAN_LOAD_STORE(16);

/* An access of a size the calls above do not cover. */
void __asan_loadN_noabort(unsigned long addr, size_t size);
void __asan_loadN_noabort(unsigned long addr, size_t size)
{
	check(addr, size, false, _RET_IP_);
}
void __asan_loadN(unsigned long addr, size_t size) __attribute__((alias("__asan_loadN_noabort")));

void __asan_storeN_noabort(unsigned long addr, size_t size);
void __asan_storeN_noabort(unsigned long addr, size_t size)
{
	check(addr, size, true, _RET_IP_);
}
void __asan_storeN(unsigned long addr, size_t size) __attribute__((alias("__asan_storeN_noabort")));

/* Called before a call that does not return: with no stack redzones,
 * there is nothing to unpoison. */
void __asan_handle_no_return(void);
void __asan_handle_no_return(void)
{
}
