// SPDX-License-Identifier: GPL-2.0-only
/*
 * seq_file: a file's text made by the module's show functions.
 *
 * Simpler than the kernel's and with the same results for a reader: the
 * first read makes the whole text (start, show, next ... stop over every
 * record) into a buffer, doubling the buffer and starting again while a
 * show overflows it; reads are then served from the buffer. Seeking back
 * to 0 makes the text again at the next read, so a file read twice shows
 * the state of each time.
 *
 * Kernel counterpart: fs/seq_file.c.
 */
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define SEQ_FIRST_SIZE	4096
/* A text larger than this is cut there (the kernel has no such bound,
 * but a show function that never stops writing must not eat the host). */
#define SEQ_MAX_SIZE	(8u << 20)

void seq_vprintf(struct seq_file *m, const char *fmt, va_list args)
{
	int len;

	if (m->count < m->size) {
		len = vsnprintf(m->buf + m->count, m->size - m->count, fmt, args);
		if (m->count + len < m->size) {
			m->count += len;
			return;
		}
	}
	m->count = m->size;	/* overflowed */
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	seq_vprintf(m, fmt, args);
	va_end(args);
}

int seq_write(struct seq_file *m, const void *data, size_t len)
{
	if (m->count + len < m->size) {
		memcpy(m->buf + m->count, data, len);
		m->count += len;
		return 0;
	}
	m->count = m->size;
	return -1;
}

void seq_puts(struct seq_file *m, const char *s)
{
	seq_write(m, s, strlen(s));
}

void seq_putc(struct seq_file *m, char c)
{
	seq_write(m, &c, 1);
}

/* One pass over the records into the buffer; false if it overflowed. */
static bool seq_fill(struct seq_file *m)
{
	loff_t pos = 0;
	void *p;

	m->count = 0;
	m->index = 0;
	p = m->op->start(m, &pos);
	while (p && !IS_ERR(p)) {
		size_t before = m->count;
		int err = m->op->show(m, p);

		if (seq_has_overflowed(m))
			break;
		if (err == SEQ_SKIP)
			m->count = before;
		else if (err < 0)
			break;
		p = m->op->next(m, p, &pos);
		m->index = pos;
	}
	m->op->stop(m, p);
	return !seq_has_overflowed(m);
}

/* Makes the whole text; 0 or -ENOMEM. */
static int seq_make(struct seq_file *m)
{
	size_t size = m->size ? m->size : SEQ_FIRST_SIZE;

	for (;;) {
		if (!m->buf || m->size != size) {
			kvfree(m->buf);
			m->buf = kvmalloc(size, GFP_KERNEL);
			m->size = m->buf ? size : 0;
			if (!m->buf)
				return -ENOMEM;
		}
		if (seq_fill(m) || size >= SEQ_MAX_SIZE)
			break;
		size *= 2;
	}
	m->made = true;
	return 0;
}

ssize_t seq_read(struct file *file, char __user *buf, size_t size, loff_t *ppos)
{
	struct seq_file *m = file->private_data;

	if (!m->made || *ppos == 0) {
		int err = seq_make(m);

		if (err)
			return err;
	}
	return simple_read_from_buffer(buf, size, ppos, m->buf, m->count);
}

loff_t seq_lseek(struct file *file, loff_t offset, int whence)
{
	struct seq_file *m = file->private_data;
	loff_t pos = whence == SEEK_CUR ? file->f_pos + offset : offset;

	if (whence != SEEK_SET && whence != SEEK_CUR)
		return -EINVAL;
	if (pos < 0)
		return -EINVAL;
	if (pos == 0)
		m->made = false;
	file->f_pos = pos;
	return pos;
}

int seq_open(struct file *file, const struct seq_operations *op)
{
	struct seq_file *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return -ENOMEM;
	m->op = op;
	m->file = file;
	file->private_data = m;
	return 0;
}

int seq_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	(void)inode;
	kvfree(m->buf);
	kfree(m);
	return 0;
}

static void *single_start(struct seq_file *m, loff_t *pos)
{
	(void)m;
	return *pos ? NULL : SEQ_START_TOKEN;
}

static void *single_next(struct seq_file *m, void *v, loff_t *pos)
{
	(void)m;
	(void)v;
	++*pos;
	return NULL;
}

static void single_stop(struct seq_file *m, void *v)
{
	(void)m;
	(void)v;
}

/* single_open's operations, with the module's show; freed by single_release. */
struct single_ops {
	struct seq_operations ops;
};

int single_open(struct file *file, int (*show)(struct seq_file *, void *), void *data)
{
	struct single_ops *single = kmalloc(sizeof(*single), GFP_KERNEL);
	int ret;

	if (!single)
		return -ENOMEM;
	single->ops.start = single_start;
	single->ops.next = single_next;
	single->ops.stop = single_stop;
	single->ops.show = show;
	ret = seq_open(file, &single->ops);
	if (ret) {
		kfree(single);
		return ret;
	}
	((struct seq_file *)file->private_data)->private = data;
	return 0;
}

int single_open_size(struct file *file, int (*show)(struct seq_file *, void *), void *data, size_t size)
{
	int ret = single_open(file, show, data);
	struct seq_file *m;

	if (ret)
		return ret;
	m = file->private_data;
	m->buf = kvmalloc(size, GFP_KERNEL);
	m->size = m->buf ? size : 0;
	return 0;
}

int single_release(struct inode *inode, struct file *file)
{
	const struct seq_operations *op = ((struct seq_file *)file->private_data)->op;
	int ret = seq_release(inode, file);

	kfree((void *)op);
	return ret;
}
