/* SPDX-License-Identifier: GPL-2.0 */
/*
 * __init/__exit markers and module_init/module_exit. A module's init and
 * exit code stays mapped for the module's life (nothing is discarded
 * after init), so the markers change nothing but the compiler's layout.
 *
 * module_init(fn) makes init_module an alias of fn, module_exit(fn) makes
 * cleanup_module one; modpost points __this_module's init and exit at
 * them. Code of the 2.4 era defines init_module/cleanup_module itself.
 */
#ifndef _LINUX_INIT_H
#define _LINUX_INIT_H

#include <linux/compiler.h>
#include <linux/types.h>

#define __init		__cold notrace
#define __exit		__cold notrace
#define __initdata
#define __initconst
#define __exitdata
#define __refdata
#define __initmem
#define __ref
#define __init_or_module
#define __initdata_or_module
#define __meminit
#define __meminitdata
#define __devinit
#define __devinitdata
#define __devexit
#define __devexit_p(x)	x
#define __exit_p(x)	x
#define __exitused	__used
#define __visible_init	__init

typedef int (*initcall_t)(void);
typedef void (*exitcall_t)(void);

/* The kernel calls these only for built-in code; a module has one of each. */
#define module_init(initfn)					\
	static inline initcall_t __maybe_unused __inittest(void)	\
	{ return initfn; }					\
	int init_module(void) __copy(initfn)			\
		__attribute__((alias(#initfn)));

#define module_exit(exitfn)					\
	static inline exitcall_t __maybe_unused __exittest(void)	\
	{ return exitfn; }					\
	void cleanup_module(void) __copy(exitfn)		\
		__attribute__((alias(#exitfn)));

#define __initcall(fn) module_init(fn)
#define __exitcall(fn) module_exit(fn)
#define late_initcall(fn) module_init(fn)
#define subsys_initcall(fn) module_init(fn)
#define device_initcall(fn) module_init(fn)
#define fs_initcall(fn) module_init(fn)
#define arch_initcall(fn) module_init(fn)
#define core_initcall(fn) module_init(fn)
#define postcore_initcall(fn) module_init(fn)

#endif
