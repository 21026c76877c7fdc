// SPDX-License-Identifier: GPL-2.0
/* A /proc file whose show function writes through NULL: the cat fails, the file stays. */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static int *target;

static int null_show(struct seq_file *m, void *v)
{
	seq_puts(m, "about to fault\n");
	*target = 42;
	return 0;
}

static int null_open(struct inode *inode, struct file *file)
{
	return single_open(file, null_show, NULL);
}

static const struct proc_ops null_ops = {
	.proc_open = null_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static int __init null_proc_init(void)
{
	if (!proc_create("null_proc", 0444, NULL, &null_ops))
		return -ENOMEM;
	return 0;
}

static void __exit null_proc_exit(void)
{
	remove_proc_entry("null_proc", NULL);
}

module_init(null_proc_init);
module_exit(null_proc_exit);
MODULE_LICENSE("GPL");
