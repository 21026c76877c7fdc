/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files: struct file, struct inode, struct file_operations, and the
 * character device numbers (register_chrdev and the regions).
 *
 * A file opened on a module's device or /proc file is a struct file in
 * module memory, made by kbuild/lib when the host opens it and freed after
 * release: f_pos, f_flags, f_mode and private_data are the module's, as
 * in the kernel. The `buf` a read or write gets is user memory: reach it
 * with copy_to_user/copy_from_user (<linux/uaccess.h>), which refuse an
 * address outside it with -EFAULT.
 *
 * register_chrdev also makes /dev/NAME (what the courseware's mknod step
 * does by hand): modhost has no mknod. With alloc_chrdev_region + cdev_add,
 * device_create (<linux/device.h>) makes the node, as udev does.
 */
#ifndef _LINUX_FS_H
#define _LINUX_FS_H

#include <linux/types.h>
#include <linux/kdev_t.h>
#include <linux/errno.h>
#include <linux/stat.h>
#include <linux/wait.h>
#include <linux/module.h>

struct file;
struct inode;
struct cdev;
struct seq_file;
struct proc_ops;

typedef unsigned int fmode_t;
typedef unsigned int __poll_t;

#define FMODE_READ		0x1
#define FMODE_WRITE		0x2
#define FMODE_LSEEK		0x4
#define FMODE_PREAD		0x8
#define FMODE_PWRITE		0x10

#define O_ACCMODE	00000003
#define O_RDONLY	00000000
#define O_WRONLY	00000001
#define O_RDWR		00000002
#define O_CREAT		00000100
#define O_TRUNC		00001000
#define O_APPEND	00002000
#define O_NONBLOCK	00004000
#define O_NDELAY	O_NONBLOCK

#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2

#define CHRDEV_MAJOR_MAX 512

struct inode {
	umode_t i_mode;
	dev_t i_rdev;
	loff_t i_size;
	struct cdev *i_cdev;
	void *i_private;		/* a /proc file's data (pde_data) */
};

struct file_operations {
	struct module *owner;
	loff_t (*llseek)(struct file *, loff_t, int);
	ssize_t (*read)(struct file *, char __user *, size_t, loff_t *);
	ssize_t (*write)(struct file *, const char __user *, size_t, loff_t *);
	__poll_t (*poll)(struct file *, void *);	/* not called by modhost */
	long (*unlocked_ioctl)(struct file *, unsigned int, unsigned long);
	long (*compat_ioctl)(struct file *, unsigned int, unsigned long);
	int (*open)(struct inode *, struct file *);
	int (*flush)(struct file *, void *);
	int (*release)(struct inode *, struct file *);
	int (*fsync)(struct file *, loff_t, loff_t, int);
};

struct file {
	loff_t f_pos;
	unsigned int f_flags;
	fmode_t f_mode;
	const struct file_operations *f_op;
	struct inode *f_inode;
	void *private_data;
	/* A /proc file opened with struct proc_ops: kbuild/lib's business. */
	const struct proc_ops *__proc_ops;
};

static inline struct inode *file_inode(const struct file *f)
{
	return f->f_inode;
}

static inline unsigned int iminor(const struct inode *inode)
{
	return MINOR(inode->i_rdev);
}

static inline unsigned int imajor(const struct inode *inode)
{
	return MAJOR(inode->i_rdev);
}

/* llseek helpers: default_llseek and generic_file_llseek move f_pos
 * (SEEK_END counts from i_size); noop_llseek leaves it; no_llseek refuses. */
loff_t default_llseek(struct file *file, loff_t offset, int whence);
loff_t generic_file_llseek(struct file *file, loff_t offset, int whence);
loff_t noop_llseek(struct file *file, loff_t offset, int whence);
loff_t no_llseek(struct file *file, loff_t offset, int whence);
loff_t fixed_size_llseek(struct file *file, loff_t offset, int whence, loff_t size);

int nonseekable_open(struct inode *inode, struct file *filp);
int stream_open(struct inode *inode, struct file *filp);

ssize_t simple_read_from_buffer(void __user *to, size_t count, loff_t *ppos, const void *from, size_t available);
ssize_t simple_write_to_buffer(void *to, size_t available, loff_t *ppos, const void __user *from, size_t count);

/* Device numbers (fs/char_dev.c). */
int __modhost_register_chrdev_region(dev_t from, unsigned int count, const char *name, struct modhost_site site);
int __modhost_alloc_chrdev_region(dev_t *dev, unsigned int baseminor, unsigned int count, const char *name,
				  struct modhost_site site);
void __modhost_unregister_chrdev_region(dev_t from, unsigned int count, struct modhost_site site);
int __modhost_register_chrdev(unsigned int major, unsigned int baseminor, unsigned int count, const char *name,
			      const struct file_operations *fops, struct modhost_site site);
void __modhost_unregister_chrdev(unsigned int major, unsigned int baseminor, unsigned int count, const char *name,
				 struct modhost_site site);

#define register_chrdev_region(from, count, name) \
	__modhost_register_chrdev_region(from, count, name, MODHOST_SITE())
#define alloc_chrdev_region(dev, baseminor, count, name) \
	__modhost_alloc_chrdev_region(dev, baseminor, count, name, MODHOST_SITE())
#define unregister_chrdev_region(from, count) \
	__modhost_unregister_chrdev_region(from, count, MODHOST_SITE())
#define __register_chrdev(major, baseminor, count, name, fops) \
	__modhost_register_chrdev(major, baseminor, count, name, fops, MODHOST_SITE())
#define __unregister_chrdev(major, baseminor, count, name) \
	__modhost_unregister_chrdev(major, baseminor, count, name, MODHOST_SITE())
/* register_chrdev: major 0 asks for a free one and returns it; else 0. */
#define register_chrdev(major, name, fops)	__register_chrdev(major, 0, 256, name, fops)
#define unregister_chrdev(major, name)		__unregister_chrdev(major, 0, 256, name)

#endif /* _LINUX_FS_H */
