/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Misc devices: major 10, one minor each, /dev/NAME made at once.
 * MISC_DYNAMIC_MINOR asks for a free minor (from 256 up, as 6.x does).
 * Opening one sets file->private_data to the struct miscdevice.
 */
#ifndef _LINUX_MISCDEVICE_H
#define _LINUX_MISCDEVICE_H

#include <linux/fs.h>
#include <linux/device.h>

#define MISC_MAJOR		10
#define MISC_DYNAMIC_MINOR	255

struct miscdevice {
	int minor;
	const char *name;
	const struct file_operations *fops;
	struct device *parent;
	struct device *this_device;
	const char *nodename;
	umode_t mode;
	/* kbuild/lib's: the host's cdev, and whether the minor was given. */
	modhost_handle_t __cdev;
	bool __dynamic;
};

int __modhost_misc_register(struct miscdevice *misc, struct modhost_site site);
void __modhost_misc_deregister(struct miscdevice *misc, struct modhost_site site);
#define misc_register(misc)	__modhost_misc_register(misc, MODHOST_SITE())
#define misc_deregister(misc)	__modhost_misc_deregister(misc, MODHOST_SITE())

#endif
