/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct cdev: a range of device numbers bound to file operations. Opening
 * one of its numbers sets inode->i_cdev to it, so that container_of finds
 * the driver's structure around it, as in the kernel.
 */
#ifndef _LINUX_CDEV_H
#define _LINUX_CDEV_H

#include <linux/fs.h>

struct cdev {
	struct module *owner;
	const struct file_operations *ops;
	dev_t dev;
	unsigned int count;
	modhost_handle_t __handle;	/* the host's cdev, 0 until cdev_add */
	bool __allocated;		/* cdev_alloc'd: cdev_del frees it */
};

void cdev_init(struct cdev *cdev, const struct file_operations *fops);
struct cdev *__modhost_cdev_alloc(struct modhost_site site);
int __modhost_cdev_add(struct cdev *p, dev_t dev, unsigned int count, struct modhost_site site);
void __modhost_cdev_del(struct cdev *p, struct modhost_site site);

#define cdev_alloc()			__modhost_cdev_alloc(MODHOST_SITE())
#define cdev_add(p, dev, count)		__modhost_cdev_add(p, dev, count, MODHOST_SITE())
#define cdev_del(p)			__modhost_cdev_del(p, MODHOST_SITE())

#endif
