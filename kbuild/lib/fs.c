// SPDX-License-Identifier: GPL-2.0-only
/*
 * Files: the trampoline the host calls for every operation on a file
 * opened on a module's device or /proc file, and the VFS helpers modules
 * use (llseek flavours, simple_read_from_buffer).
 *
 * OPEN makes the struct file and its inode in one kmalloc'd block (module
 * memory, so the module's pointers into it stay valid while it is open)
 * and calls the module's open; RELEASE calls release and frees the block.
 * Every other call reads, writes or seeks through file->f_op, or through
 * the struct proc_ops of a /proc file; read and write get a copy of f_pos
 * and f_pos takes what they leave in it, as vfs_read does.
 *
 * Kernel counterpart: fs/open.c, fs/read_write.c, fs/libfs.c,
 * fs/proc/inode.c (proc_reg_*).
 */
#include <linux/fs.h>
#include <linux/proc_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "fs.h"

/* What OPEN allocates. */
struct open_file {
	struct file file;
	struct inode inode;
};

static fmode_t fmode(unsigned int flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return FMODE_READ | FMODE_LSEEK | FMODE_PREAD;
	case O_WRONLY:
		return FMODE_WRITE | FMODE_LSEEK | FMODE_PWRITE;
	default:
		return FMODE_READ | FMODE_WRITE | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	}
}

s64 modhost_file_open(struct modhost_file_call *call, const struct modhost_file_source *source)
{
	struct open_file *o = kzalloc(sizeof(*o), GFP_KERNEL);
	int ret = 0;

	if (!o)
		return -ENOMEM;
	o->inode.i_mode = S_IFCHR | 0600;
	o->inode.i_rdev = call->dev;
	o->inode.i_cdev = source->cdev;
	o->inode.i_private = source->data;
	o->file.f_inode = &o->inode;
	o->file.f_flags = call->flags;
	o->file.f_mode = fmode(call->flags);
	o->file.f_op = source->fops;
	o->file.__proc_ops = source->proc_ops;
	o->file.private_data = source->private_data;
	if (source->proc_ops && source->proc_ops->proc_open)
		ret = source->proc_ops->proc_open(&o->inode, &o->file);
	else if (!source->proc_ops && source->fops && source->fops->open)
		ret = source->fops->open(&o->inode, &o->file);
	if (ret) {
		kfree(o);
		return ret;
	}
	call->file = &o->file;
	return 0;
}

static s64 file_read(struct file *file, struct modhost_file_call *call)
{
	const struct proc_ops *pops = file->__proc_ops;
	ssize_t (*read)(struct file *, char __user *, size_t, loff_t *) =
		pops ? pops->proc_read : file->f_op ? file->f_op->read : NULL;
	loff_t pos = file->f_pos;
	ssize_t ret;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (!read)
		return -EINVAL;
	ret = read(file, call->buf, call->len, &pos);
	if (ret >= 0)
		file->f_pos = pos;
	return ret;
}

static s64 file_write(struct file *file, struct modhost_file_call *call)
{
	const struct proc_ops *pops = file->__proc_ops;
	ssize_t (*write)(struct file *, const char __user *, size_t, loff_t *) =
		pops ? pops->proc_write : file->f_op ? file->f_op->write : NULL;
	loff_t pos = file->f_pos;
	ssize_t ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!write)
		return -EINVAL;
	ret = write(file, call->buf, call->len, &pos);
	if (ret >= 0)
		file->f_pos = pos;
	return ret;
}

static s64 file_llseek(struct file *file, struct modhost_file_call *call)
{
	const struct proc_ops *pops = file->__proc_ops;
	loff_t (*llseek)(struct file *, loff_t, int) =
		pops ? pops->proc_lseek : file->f_op ? file->f_op->llseek : NULL;

	/* A NULL llseek cannot seek, as since 6.12 (no_llseek is gone). */
	if (!llseek)
		return -ESPIPE;
	return llseek(file, call->offset, call->whence);
}

static s64 file_ioctl(struct file *file, struct modhost_file_call *call)
{
	const struct proc_ops *pops = file->__proc_ops;
	long (*ioctl)(struct file *, unsigned int, unsigned long) =
		pops ? pops->proc_ioctl : file->f_op ? file->f_op->unlocked_ioctl : NULL;

	if (!ioctl)
		return -ENOTTY;
	return ioctl(file, call->cmd, call->arg);
}

static s64 file_release(struct file *file)
{
	const struct proc_ops *pops = file->__proc_ops;
	struct open_file *o = container_of(file, struct open_file, file);
	int ret = 0;

	if (pops && pops->proc_release)
		ret = pops->proc_release(&o->inode, file);
	else if (!pops && file->f_op && file->f_op->release)
		ret = file->f_op->release(&o->inode, file);
	kfree(o);
	return ret;
}

s64 modhost_file_call(struct modhost_file_call *call)
{
	struct file *file = call->file;

	if (!file)
		return -EBADF;
	switch (call->op) {
	case MODHOST_FILE_READ:
		return file_read(file, call);
	case MODHOST_FILE_WRITE:
		return file_write(file, call);
	case MODHOST_FILE_LLSEEK:
		return file_llseek(file, call);
	case MODHOST_FILE_IOCTL:
		return file_ioctl(file, call);
	case MODHOST_FILE_RELEASE:
		return file_release(file);
	default:
		return -EINVAL;
	}
}

static loff_t set_pos(struct file *file, loff_t offset)
{
	if (offset < 0)
		return -EINVAL;
	file->f_pos = offset;
	return offset;
}

loff_t fixed_size_llseek(struct file *file, loff_t offset, int whence, loff_t size)
{
	switch (whence) {
	case SEEK_SET:
		return set_pos(file, offset);
	case SEEK_CUR:
		return set_pos(file, file->f_pos + offset);
	case SEEK_END:
		return set_pos(file, size + offset);
	default:
		return -EINVAL;
	}
}

loff_t default_llseek(struct file *file, loff_t offset, int whence)
{
	return fixed_size_llseek(file, offset, whence, file->f_inode ? file->f_inode->i_size : 0);
}

loff_t generic_file_llseek(struct file *file, loff_t offset, int whence)
{
	return default_llseek(file, offset, whence);
}

loff_t noop_llseek(struct file *file, loff_t offset, int whence)
{
	(void)offset;
	(void)whence;
	return file->f_pos;
}

loff_t no_llseek(struct file *file, loff_t offset, int whence)
{
	(void)file;
	(void)offset;
	(void)whence;
	return -ESPIPE;
}

int nonseekable_open(struct inode *inode, struct file *filp)
{
	(void)inode;
	filp->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE);
	return 0;
}

int stream_open(struct inode *inode, struct file *filp)
{
	return nonseekable_open(inode, filp);
}

ssize_t simple_read_from_buffer(void __user *to, size_t count, loff_t *ppos, const void *from, size_t available)
{
	loff_t pos = *ppos;
	size_t ret;

	if (pos < 0)
		return -EINVAL;
	if ((size_t)pos >= available || !count)
		return 0;
	if (count > available - pos)
		count = available - pos;
	ret = copy_to_user(to, (const char *)from + pos, count);
	if (ret == count)
		return -EFAULT;
	count -= ret;
	*ppos = pos + count;
	return count;
}

ssize_t simple_write_to_buffer(void *to, size_t available, loff_t *ppos, const void __user *from, size_t count)
{
	loff_t pos = *ppos;
	size_t res;

	if (pos < 0)
		return -EINVAL;
	if ((size_t)pos >= available || !count)
		return 0;
	if (count > available - pos)
		count = available - pos;
	res = copy_from_user((char *)to + pos, from, count);
	if (res == count)
		return -EFAULT;
	count -= res;
	*ppos = pos + count;
	return count;
}
