/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters. module_param(name, type, perm) and friends define:
 *  - `struct kernel_param __param_<name>` (section __param, hidden): the
 *    runtime record (name, ops, perm, arg) that kbuild/lib's start hands
 *    each value to, through ops->set;
 *  - a `struct modhost_kparam_info` in section .modhost_kparam (name,
 *    perm, max: the array capacity or the string buffer size), which
 *    modpost copies into the .ko's `kparam=NAME:PERM:MAX` lines, so that
 *    the host knows the parameters without running the module;
 *  - `parmtype=NAME:TYPE` in .modinfo (not for module_param_cb).
 * The host parses and checks insmod's values by the kernel's rules, keeps
 * them, and the module reads each one with param_get when it starts and
 * when /sys changes it.
 */
#ifndef _LINUX_MODULE_PARAMS_H
#define _LINUX_MODULE_PARAMS_H

#include <linux/init.h>
#include <linux/stringify.h>
#include <linux/kernel.h>
#include <linux/stat.h>
#include <linux/export.h>
#include <modhost/lib.h>

/* A module's parameters have no "module." prefix. */
#define MODULE_PARAM_PREFIX ""
#define MAX_PARAM_PREFIX_LEN (64 - sizeof(unsigned long))
/* The longest parameter name the .modhost_kparam record holds. */
#define MODHOST_PARAM_NAME_MAX 63

#define __MODULE_INFO(tag, name, info)					\
	static const char __UNIQUE_ID(name)[] __used			\
		__section(".modinfo") __aligned(1)			\
		= __stringify(tag) "=" info

#define __MODULE_PARM_TYPE(name, _type) \
	__MODULE_INFO(parmtype, name##type, #name ":" _type)

/* One line of description of a parameter, for modinfo. */
#define MODULE_PARM_DESC(_parm, desc) \
	__MODULE_INFO(parm, _parm, #_parm ":" desc)

struct kernel_param;

/* Flags available for kernel_param_ops: NOARG = the parameter may be given
 * without a value (bool). */
enum {
	KERNEL_PARAM_OPS_FL_NOARG = (1 << 0)
};

struct kernel_param_ops {
	unsigned int flags;
	/* Returns 0, or -errno. arg = kp->arg. */
	int (*set)(const char *val, const struct kernel_param *kp);
	/* Returns the length written, or -errno. buffer is a PAGE_SIZE buffer. */
	int (*get)(char *buffer, const struct kernel_param *kp);
	/* Frees the parameter's value at unload. */
	void (*free)(void *arg);
};

enum {
	KERNEL_PARAM_FL_UNSAFE = (1 << 0),
	KERNEL_PARAM_FL_HWPARAM = (1 << 1),
};

/* struct kparam_string, kparam_array and kernel_param: <modhost/kmod.h>,
 * where the host reads them. */

/* What modpost reads for `kparam=NAME:PERM:MAX`: no pointers, fixed size. */
struct modhost_kparam_info {
	char name[MODHOST_PARAM_NAME_MAX + 1];
	u32 perm;
	u32 max;
};

/* Permissions: readable by all if by any, writable by the owner only. */
#define VERIFY_OCTAL_PERMISSIONS(perms)						\
	(BUILD_BUG_ON_ZERO((perms) < 0) +					\
	 BUILD_BUG_ON_ZERO((perms) > 0777) +					\
	 /* USER_READABLE >= GROUP_READABLE >= OTHER_READABLE */		\
	 BUILD_BUG_ON_ZERO((((perms) >> 6) & 4) < (((perms) >> 3) & 4)) +	\
	 BUILD_BUG_ON_ZERO((((perms) >> 3) & 4) < ((perms) & 4)) +		\
	 /* USER_WRITABLE >= GROUP_WRITABLE */					\
	 BUILD_BUG_ON_ZERO((((perms) >> 6) & 2) < (((perms) >> 3) & 2)) +	\
	 /* OTHER_WRITABLE?  Generally considered a bad idea. */		\
	 BUILD_BUG_ON_ZERO((perms) & 2) +					\
	 (perms))

#define __modhost_module_param(name, ops, arg, perm, max, flags)		\
	_Static_assert(sizeof(#name) <= MODHOST_PARAM_NAME_MAX + 1,		\
		       "parameter name too long: " #name);			\
	static const char __param_str_##name[] = MODULE_PARAM_PREFIX #name;	\
	struct kernel_param __param_##name __modhost_hidden __used		\
		__section("__param") __aligned(sizeof(void *)) = {		\
		__param_str_##name, THIS_MODULE, ops,				\
		VERIFY_OCTAL_PERMISSIONS(perm), -1, flags, { arg } };		\
	static const struct modhost_kparam_info __modhost_kparam_##name		\
		__used __section(".modhost_kparam") __aligned(4) =		\
		{ #name, (perm), (max) }

/* A parameter with its own ops: set and get see `arg` as kp->arg. */
#define module_param_cb(name, ops, arg, perm)				\
	__modhost_module_param(name, ops, arg, perm, 0, 0)
#define module_param_cb_unsafe(name, ops, arg, perm)			\
	__modhost_module_param(name, ops, arg, perm, 0, KERNEL_PARAM_FL_UNSAFE)

/* Obsolete - use module_param_cb() */
#define module_param_call(name, _set, _get, arg, perm)			\
	static const struct kernel_param_ops __param_ops_##name =	\
		{ .flags = 0, .set = _set, .get = _get };		\
	module_param_cb(name, &__param_ops_##name, arg, perm)

/* Checks at compile time that p points to the type's C type. */
#define __param_check(name, p, type) \
	static inline type __always_unused *__check_##name(void) { return(p); }

#define param_check_byte(name, p) __param_check(name, p, unsigned char)
#define param_check_short(name, p) __param_check(name, p, short)
#define param_check_ushort(name, p) __param_check(name, p, unsigned short)
#define param_check_int(name, p) __param_check(name, p, int)
#define param_check_uint(name, p) __param_check(name, p, unsigned int)
#define param_check_long(name, p) __param_check(name, p, long)
#define param_check_ulong(name, p) __param_check(name, p, unsigned long)
#define param_check_ullong(name, p) __param_check(name, p, unsigned long long)
#define param_check_hexint(name, p) param_check_uint(name, p)
#define param_check_charp(name, p) __param_check(name, p, char *)
#define param_check_bool(name, p) __param_check(name, p, bool)
#define param_check_invbool(name, p) __param_check(name, p, bool)
#define param_check_bint param_check_int

/* module_param(name, type, perm): the variable `name` is the parameter. */
#define module_param(name, type, perm)				\
	module_param_named(name, name, type, perm)

/* module_param_named(name, value, type, perm): the variable `value` is the
 * parameter `name`. */
#define module_param_named(name, value, type, perm)			   \
	param_check_##type(name, &(value));				   \
	module_param_cb(name, &param_ops_##type, &value, perm);		   \
	__MODULE_PARM_TYPE(name, #type)

#define module_param_unsafe(name, type, perm)			\
	module_param_named_unsafe(name, name, type, perm)
#define module_param_named_unsafe(name, value, type, perm)		\
	param_check_##type(name, &(value));				\
	module_param_cb_unsafe(name, &param_ops_##type, &value, perm);	\
	__MODULE_PARM_TYPE(name, #type)

/* module_param_string(name, string, len, perm): a char buffer of len bytes. */
#define module_param_string(name, string, len, perm)			\
	static const struct kparam_string __param_string_##name		\
		= { len, string };					\
	__modhost_module_param(name, &param_ops_string,			\
			       .str = &__param_string_##name, perm, len, 0); \
	__MODULE_PARM_TYPE(name, "string")

/* module_param_array(name, type, nump, perm): a comma-separated list into
 * the array `name`; *nump (if nump is not NULL) gets the count given. */
#define module_param_array(name, type, nump, perm)		\
	module_param_array_named(name, name, type, nump, perm)

#define module_param_array_named(name, array, type, nump, perm)		\
	param_check_##type(name, &(array)[0]);				\
	static const struct kparam_array __param_arr_##name		\
	= { .max = ARRAY_SIZE(array), .num = nump,			\
	    .ops = &param_ops_##type,					\
	    .elemsize = sizeof(array[0]), .elem = array };		\
	__modhost_module_param(name, &param_array_ops,			\
			       .arr = &__param_arr_##name,		\
			       perm, ARRAY_SIZE(array), 0);		\
	__MODULE_PARM_TYPE(name, "array of " #type)

/* Built-in code's parameters; a module's are module_param. */
#define core_param(name, var, type, perm) module_param_named(name, var, type, perm)

extern void kernel_param_lock(struct module *mod);
extern void kernel_param_unlock(struct module *mod);

extern const struct kernel_param_ops param_ops_byte;
extern int param_set_byte(const char *val, const struct kernel_param *kp);
extern int param_get_byte(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_short;
extern int param_set_short(const char *val, const struct kernel_param *kp);
extern int param_get_short(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_ushort;
extern int param_set_ushort(const char *val, const struct kernel_param *kp);
extern int param_get_ushort(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_int;
extern int param_set_int(const char *val, const struct kernel_param *kp);
extern int param_get_int(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_uint;
extern int param_set_uint(const char *val, const struct kernel_param *kp);
extern int param_get_uint(char *buffer, const struct kernel_param *kp);
int param_set_uint_minmax(const char *val, const struct kernel_param *kp,
			  unsigned int min, unsigned int max);
extern const struct kernel_param_ops param_ops_long;
extern int param_set_long(const char *val, const struct kernel_param *kp);
extern int param_get_long(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_ulong;
extern int param_set_ulong(const char *val, const struct kernel_param *kp);
extern int param_get_ulong(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_ullong;
extern int param_set_ullong(const char *val, const struct kernel_param *kp);
extern int param_get_ullong(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_hexint;
extern int param_set_hexint(const char *val, const struct kernel_param *kp);
extern int param_get_hexint(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_charp;
extern int param_set_charp(const char *val, const struct kernel_param *kp);
extern int param_get_charp(char *buffer, const struct kernel_param *kp);
extern void param_free_charp(void *arg);
extern const struct kernel_param_ops param_ops_bool;
extern int param_set_bool(const char *val, const struct kernel_param *kp);
extern int param_get_bool(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_bool_enable_only;
extern int param_set_bool_enable_only(const char *val, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_invbool;
extern int param_set_invbool(const char *val, const struct kernel_param *kp);
extern int param_get_invbool(char *buffer, const struct kernel_param *kp);
extern const struct kernel_param_ops param_ops_bint;
extern int param_set_bint(const char *val, const struct kernel_param *kp);
#define param_get_bint param_get_int

extern const struct kernel_param_ops param_array_ops;
extern const struct kernel_param_ops param_ops_string;
extern int param_set_copystring(const char *val, const struct kernel_param *kp);
extern int param_get_string(char *buffer, const struct kernel_param *kp);

#endif
