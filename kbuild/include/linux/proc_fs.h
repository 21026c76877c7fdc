/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /proc files with file operations. proc_create takes a
 * `const struct proc_ops *` since 5.6 and a `const struct file_operations *`
 * before; PDE_DATA(inode) became pde_data(inode) in 5.17 (both are here).
 * modhost's /proc has no directories: parent must be NULL, and proc_mkdir
 * is not provided.
 */
#ifndef _LINUX_PROC_FS_H
#define _LINUX_PROC_FS_H

#include <linux/fs.h>
#include <linux/version.h>

struct proc_dir_entry;

#define PROC_ENTRY_PERMANENT	1U

struct proc_ops {
	unsigned int proc_flags;
	int (*proc_open)(struct inode *, struct file *);
	ssize_t (*proc_read)(struct file *, char __user *, size_t, loff_t *);
	ssize_t (*proc_read_iter)(void *, void *);	/* not called by modhost */
	ssize_t (*proc_write)(struct file *, const char __user *, size_t, loff_t *);
	loff_t (*proc_lseek)(struct file *, loff_t, int);
	int (*proc_release)(struct inode *, struct file *);
	__poll_t (*proc_poll)(struct file *, void *);
	long (*proc_ioctl)(struct file *, unsigned int, unsigned long);
	long (*proc_compat_ioctl)(struct file *, unsigned int, unsigned long);
};

struct proc_dir_entry *__modhost_proc_create_ops(const char *name, umode_t mode, struct proc_dir_entry *parent,
						 const struct proc_ops *ops, void *data, struct modhost_site site);
struct proc_dir_entry *__modhost_proc_create_fops(const char *name, umode_t mode, struct proc_dir_entry *parent,
						  const struct file_operations *fops, void *data,
						  struct modhost_site site);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
#define proc_create(name, mode, parent, ops) \
	__modhost_proc_create_ops(name, mode, parent, ops, NULL, MODHOST_SITE())
#define proc_create_data(name, mode, parent, ops, data) \
	__modhost_proc_create_ops(name, mode, parent, ops, data, MODHOST_SITE())
#else
#define proc_create(name, mode, parent, fops) \
	__modhost_proc_create_fops(name, mode, parent, fops, NULL, MODHOST_SITE())
#define proc_create_data(name, mode, parent, fops, data) \
	__modhost_proc_create_fops(name, mode, parent, fops, data, MODHOST_SITE())
#endif

void __modhost_proc_remove(struct proc_dir_entry *entry, struct modhost_site site);
void __modhost_remove_proc_entry(const char *name, struct proc_dir_entry *parent, struct modhost_site site);
#define proc_remove(entry)		__modhost_proc_remove(entry, MODHOST_SITE())
#define remove_proc_entry(name, parent)	__modhost_remove_proc_entry(name, parent, MODHOST_SITE())

/* The data given to proc_create_data, from the file's inode. */
static inline void *pde_data(const struct inode *inode)
{
	return inode->i_private;
}
#define PDE_DATA(inode) pde_data(inode)

#endif
