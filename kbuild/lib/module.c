// SPDX-License-Identifier: GPL-2.0-only
/*
 * The entry points modpost puts in __this_module: what the kernel does
 * around a module's init and exit (kernel/module/main.c), for one module
 * instance. Every .ko links its own copy of kbuild/lib, so the globals
 * here are the instance's.
 *
 * start: takes the host's table and the instance's handle, copies the
 * instance's name into THIS_MODULE->name, loads the parameters' values
 * from the host, then runs init; on failure the parameters' memory is
 * freed, as the kernel frees a module whose init fails.
 * stop: runs exit, then frees the parameters' memory (charp strings).
 * param_changed: reloads one parameter the host changed through /sys.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <modhost/kmod.h>
#include <modhost/lib.h>
#include "internal.h"

const struct modhost_services *__modhost_services;
modhost_module_t __modhost_self;

static void copy_instance_name(void)
{
	struct modhost_str name = mh_call(module, module_name);
	size_t len = min_t(size_t, name.len, MODULE_NAME_LEN - 1);

	memcpy(__this_module.name, name.ptr, len);
	__this_module.name[len] = '\0';
}

int __modhost_start(const struct modhost_init_args *args)
{
	int ret;

	__modhost_services = args->services;
	__modhost_self = args->module;
	copy_instance_name();

	ret = __modhost_params_load();
	if (ret) {
		__modhost_params_free();
		__modhost_printk_flush();
		return MODHOST_INIT_BAD_PARAMS;
	}
	if (__this_module.init)
		ret = __this_module.init();
	__modhost_printk_flush();
	if (ret)
		__modhost_params_free();
	return ret;
}

void __modhost_stop(void)
{
	if (__this_module.exit)
		__this_module.exit();
	__modhost_printk_flush();
	__modhost_params_free();
}

int __modhost_param_changed(modhost_u32 index)
{
	int ret = __modhost_param_load(index);

	__modhost_printk_flush();
	return ret;
}

/* The host knows only the calling module: THIS_MODULE (or NULL). */
static bool is_self(struct module *module)
{
	return WARN_ONCE(module != &__this_module,
			 "%s: a module reference on another module is not supported\n",
			 __this_module.name) == 0;
}

bool try_module_get(struct module *module)
{
	if (!module)
		return true;
	if (!is_self(module))
		return false;
	return mh_call(module, try_module_get);
}

/* A reference the caller already holds one of: cannot fail. */
void __module_get(struct module *module)
{
	if (module && is_self(module))
		(void)mh_call(module, try_module_get);
}

void module_put(struct module *module)
{
	if (module && is_self(module))
		mh_call(module, module_put);
}

int module_refcount(struct module *module)
{
	if (!module || !is_self(module))
		return 0;
	return (int)mh_call(module, module_refcount);
}
