// SPDX-License-Identifier: GPL-2.0-only
/*
 * Module parameters (kernel/params.c): the kernel's param_ops for every
 * type, arrays and strings, and the loading of values from the host.
 *
 * The host parses insmod's `name=value` arguments and /sys writes by the
 * kernel's rules and keeps each parameter's value as text. kbuild/lib
 * reads that text with param_get(index), index being the parameter's
 * place in THIS_MODULE->kp (the order of the .ko's kparam= lines), and
 * hands it to the parameter's ops->set, as the kernel's parse_args does.
 *
 * The host has a value for every parameter, given or not (it reads the
 * defaults from the module's variables), while the kernel sets only the
 * parameters given. So at start a value is applied only if it differs
 * from what the variable shows through the kernel's own get op: a
 * parameter not given keeps its variable untouched, a NULL charp stays
 * NULL (the host shows it as "" or "(null)") and an array that starts
 * empty stays empty (the host shows it as "", which set would refuse).
 * Parameters with the module's own ops (module_param_cb) are always set:
 * their get may need what init makes. A parameter the host has no value
 * for (param_get < 0) is left alone too.
 *
 * charp values are kmalloc'ed and live until the parameter is set again
 * or the module is unloaded (destroy_params, in stop); the strings the
 * module's source points charp parameters at are never freed.
 */

#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <modhost/kmod.h>
#include <asm/page.h>
#include <modhost/lib.h>
#include "internal.h"


/* The longest charp value, as the kernel's param_set_charp. */
#define CHARP_MAX 1024

/* The host's text of parameter `index` in a kmalloc'ed buffer, or NULL if
 * it has none; *err is -ENOMEM if the buffer could not be made. */
static char *host_value(u32 index, int *err)
{
	size_t room = 64;

	*err = 0;
	for (;;) {
		char *buf = kmalloc(room + 1, GFP_KERNEL);
		s64 len;

		if (!buf) {
			*err = -ENOMEM;
			return NULL;
		}
		len = mh_call(module, param_get, index, buf, room);
		if (len < 0) {
			kfree(buf);
			return NULL;
		}
		if ((u64)len <= room) {
			buf[len] = '\0';
			return buf;
		}
		kfree(buf);
		room = len;
	}
}

/* Whether ops are the kernel's own, whose get only formats the variable. */
static bool kernel_ops(const struct kernel_param_ops *ops)
{
	static const struct kernel_param_ops *const known[] = {
		&param_ops_byte, &param_ops_short, &param_ops_ushort, &param_ops_int,
		&param_ops_uint, &param_ops_long, &param_ops_ulong, &param_ops_ullong,
		&param_ops_hexint, &param_ops_charp, &param_ops_bool, &param_ops_invbool,
		&param_ops_bint, &param_ops_string, &param_ops_bool_enable_only,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (ops == known[i])
			return true;
	return false;
}

/* Whether the variable already holds val, as its get op shows it. */
static bool holds(const struct kernel_param *kp, const char *val)
{
	char shown[PAGE_SIZE];
	int len;

	if (!kernel_ops(kp->ops) && !(kp->ops == &param_array_ops && kernel_ops(kp->arr->ops)))
		return false;
	if (kp->ops == &param_ops_charp && !*(char **)kp->arg)
		return !*val || !strcmp(val, "(null)");
	len = kp->ops->get(shown, kp);
	if (len > 0 && shown[len - 1] == '\n')
		shown[--len] = '\0';
	return len >= 0 && !strcmp(shown, val);
}

/* Gives parameter index its value from the host; at start (`initial`),
 * only if the variable does not hold it already. */
static int param_load(u32 index, bool initial)
{
	const struct kernel_param *kp;
	char *val;
	int err;

	if (index >= __this_module.num_kp)
		return -EINVAL;
	kp = __this_module.kp[index];
	val = host_value(index, &err);
	if (!val)
		return err;
	if (!initial || !holds(kp, val))
		err = kp->ops->set(val, kp);
	kfree(val);
	return err;
}

int __modhost_param_load(u32 index)
{
	return param_load(index, false);
}

/* Loads every parameter; the first failure fails the load, with
 * parse_args' words. */
int __modhost_params_load(void)
{
	u32 i;

	for (i = 0; i < __this_module.num_kp; i++) {
		int err = param_load(i, true), ignored;
		char *val;

		if (!err)
			continue;
		val = host_value(i, &ignored);
		if (err == -ENOSPC)
			pr_err("%s: `%s' too large for parameter `%s'\n", __this_module.name,
			       val ? val : "", __this_module.kp[i]->name);
		else
			pr_err("%s: `%s' invalid for parameter `%s'\n", __this_module.name,
			       val ? val : "", __this_module.kp[i]->name);
		kfree(val);
		return err;
	}
	return 0;
}

/* destroy_params: lets each parameter's ops free what they hold. */
void __modhost_params_free(void)
{
	u32 i;

	for (i = 0; i < __this_module.num_kp; i++) {
		const struct kernel_param *kp = __this_module.kp[i];

		if (kp->ops->free)
			kp->ops->free(kp->arg);
	}
}

/* The host serialises a module's parameter changes with its start and
 * stop, as the kernel's kernel_param_lock does; these are for module code
 * that reads a parameter it shares with /sys. */
void kernel_param_lock(struct module *mod)
{
	(void)mod;
}

void kernel_param_unlock(struct module *mod)
{
	(void)mod;
}

#define STANDARD_PARAM_DEF(name, type, format, strtolfn)			\
	int param_set_##name(const char *val, const struct kernel_param *kp)	\
	{									\
		return strtolfn(val, 0, (type *)kp->arg);			\
	}									\
	int param_get_##name(char *buffer, const struct kernel_param *kp)	\
	{									\
		return scnprintf(buffer, PAGE_SIZE, format "\n",		\
				*((type *)kp->arg));				\
	}									\
	const struct kernel_param_ops param_ops_##name = {			\
		.set = param_set_##name,					\
		.get = param_get_##name,					\
	};

STANDARD_PARAM_DEF(byte,	unsigned char,		"%hhu",		kstrtou8);
STANDARD_PARAM_DEF(short,	short,			"%hi",		kstrtos16);
STANDARD_PARAM_DEF(ushort,	unsigned short,		"%hu",		kstrtou16);
STANDARD_PARAM_DEF(int,		int,			"%i",		kstrtoint);
STANDARD_PARAM_DEF(uint,	unsigned int,		"%u",		kstrtouint);
STANDARD_PARAM_DEF(long,	long,			"%li",		kstrtol);
STANDARD_PARAM_DEF(ulong,	unsigned long,		"%lu",		kstrtoul);
STANDARD_PARAM_DEF(ullong,	unsigned long long,	"%llu",		kstrtoull);
STANDARD_PARAM_DEF(hexint,	unsigned int,		"%#08x",	kstrtouint);

int param_set_uint_minmax(const char *val, const struct kernel_param *kp,
			  unsigned int min, unsigned int max)
{
	unsigned int num;
	int ret;

	if (!val)
		return -EINVAL;
	ret = kstrtouint(val, 0, &num);
	if (ret)
		return ret;
	if (num < min || num > max)
		return -EINVAL;
	*((unsigned int *)kp->arg) = num;
	return 0;
}

/* The strings param_set_charp made, so that only those are freed. */
struct kmalloced_param {
	struct list_head list;
	char val[];
};
static LIST_HEAD(kmalloced_params);
static int kmalloced_params_lock;

static void *kmalloc_parameter(unsigned int size)
{
	struct kmalloced_param *p;

	p = kmalloc(sizeof(*p) + size, GFP_KERNEL);
	if (!p)
		return NULL;

	mh_lock(&kmalloced_params_lock);
	list_add(&p->list, &kmalloced_params);
	mh_unlock(&kmalloced_params_lock);
	return p->val;
}

/* Does nothing if param is not kmalloced. */
static void maybe_kfree_parameter(void *param)
{
	struct kmalloced_param *p, *found = NULL;

	mh_lock(&kmalloced_params_lock);
	list_for_each_entry(p, &kmalloced_params, list) {
		if (p->val == param) {
			list_del(&p->list);
			found = p;
			break;
		}
	}
	mh_unlock(&kmalloced_params_lock);
	kfree(found);
}

int param_set_charp(const char *val, const struct kernel_param *kp)
{
	size_t len, maxlen = CHARP_MAX;

	len = strnlen(val, maxlen + 1);
	if (len == maxlen + 1) {
		pr_err("%s: string parameter too long\n", kp->name);
		return -ENOSPC;
	}

	maybe_kfree_parameter(*(char **)kp->arg);

	*(char **)kp->arg = kmalloc_parameter(len + 1);
	if (!*(char **)kp->arg)
		return -ENOMEM;
	strcpy(*(char **)kp->arg, val);
	return 0;
}

int param_get_charp(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%s\n", *((char **)kp->arg));
}

void param_free_charp(void *arg)
{
	maybe_kfree_parameter(*((char **)arg));
}

const struct kernel_param_ops param_ops_charp = {
	.set = param_set_charp,
	.get = param_get_charp,
	.free = param_free_charp,
};

/* Actually could be a bool or an int, for historical reasons. */
int param_set_bool(const char *val, const struct kernel_param *kp)
{
	/* No equals means "set"... */
	if (!val)
		val = "1";

	/* One of =[yYnN01] */
	return kstrtobool(val, kp->arg);
}

int param_get_bool(char *buffer, const struct kernel_param *kp)
{
	/* Y and N chosen as being relatively non-coder friendly */
	return sprintf(buffer, "%c\n", *(bool *)kp->arg ? 'Y' : 'N');
}

const struct kernel_param_ops param_ops_bool = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = param_set_bool,
	.get = param_get_bool,
};

/* Can be set to true, never back to false. */
int param_set_bool_enable_only(const char *val, const struct kernel_param *kp)
{
	int err;
	bool new_value;
	bool orig_value = *(bool *)kp->arg;
	struct kernel_param dummy_kp = *kp;

	dummy_kp.arg = &new_value;

	err = param_set_bool(val, &dummy_kp);
	if (err)
		return err;

	/* Don't let them unset it once it's set! */
	if (!new_value && orig_value)
		return -EROFS;

	if (new_value)
		err = param_set_bool(val, kp);

	return err;
}

const struct kernel_param_ops param_ops_bool_enable_only = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = param_set_bool_enable_only,
	.get = param_get_bool,
};

/* This one must be bool. */
int param_set_invbool(const char *val, const struct kernel_param *kp)
{
	int ret;
	bool boolval;
	struct kernel_param dummy = *kp;

	dummy.arg = &boolval;
	ret = param_set_bool(val, &dummy);
	if (ret == 0)
		*(bool *)kp->arg = !boolval;
	return ret;
}

int param_get_invbool(char *buffer, const struct kernel_param *kp)
{
	return sprintf(buffer, "%c\n", (*(bool *)kp->arg) ? 'N' : 'Y');
}

const struct kernel_param_ops param_ops_invbool = {
	.set = param_set_invbool,
	.get = param_get_invbool,
};

/* A bool kept in an int. */
int param_set_bint(const char *val, const struct kernel_param *kp)
{
	/* Match bool exactly, by re-using it. */
	struct kernel_param boolkp = *kp;
	bool v;
	int ret;

	boolkp.arg = &v;

	ret = param_set_bool(val, &boolkp);
	if (ret == 0)
		*(int *)kp->arg = v;
	return ret;
}

const struct kernel_param_ops param_ops_bint = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = param_set_bint,
	.get = param_get_int,
};

/* We break the rule and mangle the string. */
static int param_array(const char *name, const char *val, unsigned int min, unsigned int max,
		       void *elem, int elemsize,
		       int (*set)(const char *, const struct kernel_param *kp),
		       s16 level, unsigned int *num)
{
	int ret;
	struct kernel_param kp = { .name = name, .mod = &__this_module, .level = level };
	char save;

	kp.arg = elem;

	*num = 0;
	/* We expect a comma-separated list of values. */
	do {
		int len;

		if (*num == max) {
			pr_err("%s: can only take %i arguments\n", name, max);
			return -EINVAL;
		}
		len = strcspn(val, ",");

		/* nul-terminate and parse */
		save = val[len];
		((char *)val)[len] = '\0';
		ret = set(val, &kp);

		if (ret != 0)
			return ret;
		kp.arg += elemsize;
		val += len + 1;
		(*num)++;
	} while (save == ',');

	if (*num < min) {
		pr_err("%s: needs at least %i arguments\n", name, min);
		return -EINVAL;
	}
	return 0;
}

static int param_array_set(const char *val, const struct kernel_param *kp)
{
	const struct kparam_array *arr = kp->arr;
	unsigned int temp_num;

	return param_array(kp->name, val, 1, arr->max, arr->elem, arr->elemsize, arr->ops->set,
			   kp->level, arr->num ?: &temp_num);
}

static int param_array_get(char *buffer, const struct kernel_param *kp)
{
	int i, off, ret;
	const struct kparam_array *arr = kp->arr;
	struct kernel_param p = *kp;

	for (i = off = 0; i < (arr->num ? (int)*arr->num : (int)arr->max); i++) {
		/* Replace \n with comma */
		if (i)
			buffer[off - 1] = ',';
		p.arg = arr->elem + arr->elemsize * i;
		ret = arr->ops->get(buffer + off, &p);
		if (ret < 0)
			return ret;
		off += ret;
	}
	buffer[off] = '\0';
	return off;
}

static void param_array_free(void *arg)
{
	unsigned int i;
	const struct kparam_array *arr = arg;

	if (arr->ops->free)
		for (i = 0; i < (arr->num ? *arr->num : arr->max); i++)
			arr->ops->free(arr->elem + arr->elemsize * i);
}

const struct kernel_param_ops param_array_ops = {
	.set = param_array_set,
	.get = param_array_get,
	.free = param_array_free,
};

int param_set_copystring(const char *val, const struct kernel_param *kp)
{
	const struct kparam_string *kps = kp->str;

	if (strnlen(val, kps->maxlen) == kps->maxlen) {
		pr_err("%s: string doesn't fit in %u chars.\n", kp->name, kps->maxlen - 1);
		return -ENOSPC;
	}
	strcpy(kps->string, val);
	return 0;
}

int param_get_string(char *buffer, const struct kernel_param *kp)
{
	const struct kparam_string *kps = kp->str;

	return scnprintf(buffer, PAGE_SIZE, "%s\n", kps->string);
}

const struct kernel_param_ops param_ops_string = {
	.set = param_set_copystring,
	.get = param_get_string,
};
