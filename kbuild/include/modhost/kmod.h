/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a kbuild-built module (.ko) says about itself to the host: the
 * descriptor `__this_module`, its export and import records. modpost writes
 * them into NAME.mod.c; the host reads them (host/src/loader/kmod.rs) after
 * checking every pointer against the module's own segments. The Rust
 * mirror is abi/src/kmod.rs; a host test checks the two agree.
 *
 * The first two fields are those of every modhost module: the magic and
 * the version magic. A .ko's vermagic is MODHOST_KBUILD_VERMAGIC; the host
 * reads the rest of the descriptor only after comparing it.
 */
#ifndef _MODHOST_KMOD_H
#define _MODHOST_KMOD_H

#include <modhost/services.h>

#define MODHOST_MAGIC		"modhost"	/* 8 bytes with its NUL */
#define MODHOST_KBUILD_VERMAGIC	"modhost-abi/3 kbuild"
#define MODULE_NAME_LEN		56

/* What the host passes to `start`: its table and the module's handle. */
struct modhost_init_args {
	const struct modhost_services *services;
	modhost_module_t module;
};

/* One export: EXPORT_SYMBOL{,_GPL}{,_NS} (the kernel's struct kernel_symbol). */
struct modhost_ksym {
	const char *name;
	const void *value;
	const char *namespace;		/* "" for none */
	modhost_u32 gpl_only;
	modhost_u32 crc;		/* modversions: CRC of the prototype */
};

/* One import: a function of another module, called through its slot. */
struct modhost_import {
	const char *name;
	void **slot;			/* the host writes the address here */
	modhost_u32 crc;		/* from Module.symvers at build time */
	modhost_u32 has_crc;		/* 0: no Module.symvers knew the symbol */
};

struct kernel_param_ops;

/*
 * A parameter's runtime record (section __param), laid out as the kernel's;
 * the host reads a parameter's default through it before init (never its
 * ops: they are module code).
 */
struct kparam_string {
	unsigned int maxlen;
	char *string;
};

struct kparam_array {
	unsigned int max;
	unsigned int elemsize;
	unsigned int *num;
	const struct kernel_param_ops *ops;
	void *elem;
};

struct kernel_param {
	const char *name;
	struct module *mod;
	const struct kernel_param_ops *ops;
	const unsigned short perm;
	signed char level;
	unsigned char flags;
	union {
		void *arg;
		const struct kparam_string *str;
		const struct kparam_array *arr;
	};
};

/*
 * `__this_module`. THIS_MODULE points here; `name` is the instance's name,
 * written by `start` before the module's init runs.
 */
struct module {
	char magic[8];
	const char *vermagic;
	modhost_u32 size;		/* sizeof(struct module), checked */
	modhost_u32 num_syms;
	const struct modhost_ksym *syms;
	const struct modhost_import *imports;
	modhost_u32 num_imports;
	modhost_u32 num_kp;
	/* The parameters in the order of the .modhost_tables kparam= lines. */
	struct kernel_param *const *kp;
	/* kbuild/lib's entry points: set up, load parameters, call init; call
	 * exit; reload a parameter the host changed. */
	int (*start)(const struct modhost_init_args *args);
	void (*stop)(void);
	int (*param_changed)(modhost_u32 index);
	/* module_init / module_exit; exit is NULL when there is none (such a
	 * module can only be removed with rmmod -f, as in the kernel). */
	int (*init)(void);
	void (*exit)(void);
	char name[MODULE_NAME_LEN];
};

/* The layout the host reads (abi/src/kmod.rs checks the same numbers). */
_Static_assert(sizeof(struct modhost_ksym) == 32, "struct modhost_ksym");
_Static_assert(sizeof(struct modhost_import) == 24, "struct modhost_import");
_Static_assert(sizeof(struct kernel_param) == 40, "struct kernel_param");
_Static_assert(__builtin_offsetof(struct kernel_param, arg) == 32, "kernel_param.arg");
_Static_assert(__builtin_offsetof(struct kparam_array, elem) == 24, "kparam_array.elem");
_Static_assert(__builtin_offsetof(struct module, start) == 56, "module.start");
_Static_assert(sizeof(struct module) == 152, "struct module");

/* What start returns when a parameter's set op refused its value
 * (INIT_BAD_PARAMS of abi/src/descriptor.rs): "Invalid parameters". */
#define MODHOST_INIT_BAD_PARAMS (-2147483647)

/* kbuild/lib's entry points, which modpost puts in __this_module. */
int __modhost_start(const struct modhost_init_args *args);
void __modhost_stop(void);
int __modhost_param_changed(modhost_u32 index);

#endif /* _MODHOST_KMOD_H */
