// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-mode helpers over the host's: the host runs the program; here are
 * the two-step form's subprocess_info and its init and cleanup.
 *
 * Kernel counterpart: kernel/umh.c.
 */
#include <linux/umh.h>
#include <linux/slab.h>

int __modhost_call_usermodehelper(const char *path, char **argv, char **envp, int wait,
				  struct modhost_site site)
{
	return mh_call(umh, call_usermodehelper, path, argv, envp, (modhost_u32)wait, site);
}

struct subprocess_info *call_usermodehelper_setup(const char *path, char **argv, char **envp, gfp_t gfp_mask,
						  int (*init)(struct subprocess_info *info, struct cred *new),
						  void (*cleanup)(struct subprocess_info *info), void *data)
{
	struct subprocess_info *info = kzalloc(sizeof(*info), gfp_mask);

	if (!info)
		return NULL;
	info->path = path;
	info->argv = argv;
	info->envp = envp;
	info->init = init;
	info->cleanup = cleanup;
	info->data = data;
	return info;
}

static void free_info(struct subprocess_info *info)
{
	if (info->cleanup)
		info->cleanup(info);
	kfree(info);
}

int __modhost_call_usermodehelper_exec(struct subprocess_info *info, int wait, struct modhost_site site)
{
	int retval;

	if (!info->path) {
		free_info(info);
		return -EINVAL;
	}
	info->wait = wait;
	retval = info->init ? info->init(info, NULL) : 0;
	if (!retval)
		retval = __modhost_call_usermodehelper(info->path, info->argv, info->envp, wait, site);
	info->retval = retval;
	free_info(info);
	return retval;
}
