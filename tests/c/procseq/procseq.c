// SPDX-License-Identifier: GPL-2.0
/*
 * procseq: two /proc files made with seq_file.
 *
 * /proc/procseq_single shows one block of text (single_open), and counts
 * how many times it was opened; /proc/procseq_records shows `records`
 * lines, one per record (seq_open with start/next/stop/show); both use
 * struct proc_ops.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

MODULE_LICENSE("GPL");

static int records = 3;
module_param(records, int, 0644);

static int opens;
static struct proc_dir_entry *records_entry;

static int single_show(struct seq_file *m, void *v)
{
	seq_printf(m, "opened %d times\n", opens);
	seq_puts(m, "records: ");
	seq_printf(m, "%d", records);
	seq_putc(m, '\n');
	return 0;
}

static int single_open_file(struct inode *inode, struct file *file)
{
	opens++;
	return single_open(file, single_show, pde_data(inode));
}

static const struct proc_ops single_ops = {
	.proc_open = single_open_file,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static void *records_start(struct seq_file *m, loff_t *pos)
{
	return *pos < records ? pos : NULL;
}

static void *records_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return *pos < records ? pos : NULL;
}

static void records_stop(struct seq_file *m, void *v)
{
}

static int records_show(struct seq_file *m, void *v)
{
	loff_t n = *(loff_t *)v;

	seq_printf(m, "record %lld: %s\n", n, (char *)m->private);
	return 0;
}

static const struct seq_operations records_seq = {
	.start = records_start,
	.next = records_next,
	.stop = records_stop,
	.show = records_show,
};

static int records_open(struct inode *inode, struct file *file)
{
	int ret = seq_open(file, &records_seq);

	if (!ret)
		((struct seq_file *)file->private_data)->private = pde_data(inode);
	return ret;
}

static const struct proc_ops records_ops = {
	.proc_open = records_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = seq_release,
};

static char padding[] = "0123456789abcdef0123456789abcdef0123456789abcdef";

static int __init procseq_init(void)
{
	if (!proc_create("procseq_single", 0444, NULL, &single_ops))
		return -ENOMEM;
	records_entry = proc_create_data("procseq_records", 0444, NULL, &records_ops, padding);
	if (!records_entry) {
		remove_proc_entry("procseq_single", NULL);
		return -ENOMEM;
	}
	return 0;
}

static void __exit procseq_exit(void)
{
	proc_remove(records_entry);
	remove_proc_entry("procseq_single", NULL);
}

module_init(procseq_init);
module_exit(procseq_exit);
