/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a module says about itself: MODULE_LICENSE and the other .modinfo
 * strings, module_init/module_exit (<linux/init.h>), parameters
 * (<linux/moduleparam.h>), exports (<linux/export.h>), and THIS_MODULE,
 * which points at the __this_module descriptor modpost writes; its name
 * is the instance's name (insmod NAME.ko may load one file under several
 * names).
 */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H

#include <linux/list.h>
#include <linux/stat.h>
#include <linux/compiler.h>
#include <linux/cache.h>
#include <linux/kmod.h>
#include <linux/init.h>
#include <linux/stringify.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/export.h>
#include <asm/processor.h>
#include <linux/version.h>
#include <modhost/kmod.h>
#include <modhost/lib.h>

#define MODULE_INFO(tag, info) __MODULE_INFO(tag, tag, info)

/*
 * "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
 * "Dual MIT/GPL", "Dual MPL/GPL" are GPL-compatible; anything else
 * ("Proprietary") is not, and such a module does not see GPL-only exports.
 */
#define MODULE_LICENSE(_license) MODULE_INFO(license, _license)
#define MODULE_AUTHOR(_author) MODULE_INFO(author, _author)
#define MODULE_DESCRIPTION(_description) MODULE_INFO(description, _description)
#define MODULE_VERSION(_version) MODULE_INFO(version, _version)
#define MODULE_ALIAS(_alias) MODULE_INFO(alias, _alias)
#define MODULE_SOFTDEP(_softdep) MODULE_INFO(softdep, _softdep)
#define MODULE_WEAKDEP(_weakdep) MODULE_INFO(weakdep, _weakdep)
#define MODULE_FIRMWARE(_firmware) MODULE_INFO(firmware, _firmware)
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 12, 0)
/* Never did anything; gone in 5.12. */
#define MODULE_SUPPORTED_DEVICE(name)
#endif
/* Device tables drive hotplug loading, which modhost does not have. */
#define MODULE_DEVICE_TABLE(type, name)

/* Lets the module use the symbols exported into namespace ns: a string
 * literal since 6.13, a bare token before (as EXPORT_SYMBOL_NS). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define MODULE_IMPORT_NS(ns) MODULE_INFO(import_ns, ns)
#else
#define MODULE_IMPORT_NS(ns) MODULE_INFO(import_ns, __stringify(ns))
#endif

#define module_name(mod) ((mod) ? (mod)->name : "kernel")

/*
 * A reference on the module, as code that hands out pointers into it
 * (file_operations.owner) takes: try_module_get fails once the module is
 * going. The host's table knows only the calling module, so `module` must
 * be THIS_MODULE or NULL (NULL always succeeds, as in the kernel).
 */
extern bool try_module_get(struct module *module);
extern void module_put(struct module *module);
extern void __module_get(struct module *module);
/* The modules using it plus the references taken: THIS_MODULE only. */
extern int module_refcount(struct module *module);

#define symbol_get(x) (&(x))
#define symbol_put(x) do { } while (0)

#endif
