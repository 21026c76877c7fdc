/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * EXPORT_SYMBOL and friends. Each puts a record in section .export_symbol
 * under the local symbol __export_symbol_<sym>: the licence ("GPL" or "")
 * and the namespace ("" for none), both NUL-terminated. modpost reads them
 * and writes the .ko's export table in NAME.mod.c. The namespace is a
 * string literal since 6.13 and a bare token before, as in the kernel.
 */
#ifndef _LINUX_EXPORT_H
#define _LINUX_EXPORT_H

#include <linux/compiler.h>
#include <linux/stringify.h>
#include <linux/version.h>
#include <modhost/lib.h>

#define __EXPORT_SYMBOL(sym, license, ns)				\
	extern __typeof__(sym) sym;					\
	__ADDRESSABLE(sym)						\
	static const char __export_symbol_##sym[] __used		\
		__section(".export_symbol") __aligned(1) = license "\0" ns

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define __MH_EXPORT_NS(ns) ns
#else
#define __MH_EXPORT_NS(ns) __stringify(ns)
#endif

/* A file (or ccflags-y) may put all its exports in one namespace. */
#ifdef DEFAULT_SYMBOL_NAMESPACE
#define _EXPORT_SYMBOL(sym, license) \
	__EXPORT_SYMBOL(sym, license, __MH_EXPORT_NS(DEFAULT_SYMBOL_NAMESPACE))
#else
#define _EXPORT_SYMBOL(sym, license)	__EXPORT_SYMBOL(sym, license, "")
#endif

#define EXPORT_SYMBOL(sym)		_EXPORT_SYMBOL(sym, "")
#define EXPORT_SYMBOL_GPL(sym)		_EXPORT_SYMBOL(sym, "GPL")
#define EXPORT_SYMBOL_NS(sym, ns)	__EXPORT_SYMBOL(sym, "", __MH_EXPORT_NS(ns))
#define EXPORT_SYMBOL_NS_GPL(sym, ns)	__EXPORT_SYMBOL(sym, "GPL", __MH_EXPORT_NS(ns))
#define EXPORT_SYMBOL_GPL_FUTURE(sym)	EXPORT_SYMBOL_GPL(sym)
#define EXPORT_UNUSED_SYMBOL(sym)
#define EXPORT_UNUSED_SYMBOL_GPL(sym)

#define THIS_MODULE (&__this_module)

#endif
