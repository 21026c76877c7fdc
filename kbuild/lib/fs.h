/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to kbuild/lib: how a file is opened and called (fs.c), for the
 * devices (chardev.c) and /proc files (proc.c) that hand the host their
 * trampolines.
 */
#ifndef _KBUILD_LIB_FS_H
#define _KBUILD_LIB_FS_H

#include <linux/fs.h>

/* What an open sets up: the operations and what the file and inode point to. */
struct modhost_file_source {
	const struct file_operations *fops;
	const struct proc_ops *proc_ops;
	struct cdev *cdev;
	void *data;		/* inode->i_private */
	void *private_data;	/* file->private_data before open */
};

/* OPEN: makes the struct file, calls the module's open. */
s64 modhost_file_open(struct modhost_file_call *call, const struct modhost_file_source *source);
/* Every other operation, through call->file. */
s64 modhost_file_call(struct modhost_file_call *call);

#endif
