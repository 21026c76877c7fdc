// SPDX-License-Identifier: GPL-2.0-only
/*
 * printk: formats a message, reads its KERN_<LEVEL> prefix and hands the
 * host one line at a time (the host adds the time and keeps the record).
 *
 * A message that does not end in '\n' leaves an open line, which a
 * following KERN_CONT message (pr_cont) continues. The open line is
 * written out when a message that is not a continuation comes, when it
 * grows to a record's size, and when the module's init or exit returns.
 * The open line belongs to the module instance, as the kernel's belongs to
 * the CPU: pieces printed by two tasks of a module at once may mix, as
 * they may in the kernel.
 *
 * No level is KERN_DEFAULT, the kernel's default message level (4,
 * KERN_WARNING); a continuation with no open line is a line of its own at
 * that level.
 */

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/string.h>
#include <modhost/lib.h>
#include "internal.h"

/* The kernel's bound on one record, with the NUL (kernel/printk/internal.h). */
#define PRINTKRB_RECORD_MAX	1024

static struct {
	int lock;
	u32 level;
	size_t len;
	char text[PRINTKRB_RECORD_MAX];
} cont;

static void emit(u32 level, const char *text, size_t len)
{
	mh_call(module, vprintk, level, ((struct modhost_str){ text, len }));
}

static void cont_flush_locked(void)
{
	if (cont.len) {
		emit(cont.level, cont.text, cont.len);
		cont.len = 0;
	}
}

void __modhost_printk_flush(void)
{
	mh_lock(&cont.lock);
	cont_flush_locked();
	mh_unlock(&cont.lock);
}

/* Adds a piece to the open line, writing the line out first if it is full. */
static void cont_append_locked(u32 level, const char *text, size_t len)
{
	if (!cont.len)
		cont.level = level;
	if (cont.len + len > sizeof(cont.text) - 1)
		cont_flush_locked();
	if (len > sizeof(cont.text) - 1)
		len = sizeof(cont.text) - 1;
	memcpy(cont.text + cont.len, text, len);
	cont.len += len;
}

/* Writes text out line by line; an unterminated tail stays open. */
static void store_lines_locked(u32 level, bool is_cont, const char *text, size_t len)
{
	if (!is_cont)
		cont_flush_locked();
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t piece = nl ? (size_t)(nl - text) : len;

		if (nl && !cont.len) {
			emit(level, text, piece);
		} else {
			cont_append_locked(level, text, piece);
			if (nl)
				cont_flush_locked();
		}
		if (!nl)
			break;
		text += piece + 1;
		len -= piece + 1;
	}
}

int vprintk(const char *fmt, va_list args)
{
	char text[PRINTKRB_RECORD_MAX];
	const char *body = text;
	u32 level = MESSAGE_LOGLEVEL_DEFAULT;
	bool is_cont = false;
	int len;

	len = vscnprintf(text, sizeof(text), fmt, args);
	while (printk_get_level(body)) {
		char c = printk_get_level(body);

		if (c == 'c')
			is_cont = true;
		else
			level = c - '0';
		body = printk_skip_level(body);
	}
	len -= body - text;

	mh_lock(&cont.lock);
	store_lines_locked(level, is_cont, body, len);
	mh_unlock(&cont.lock);
	/* The kernel counts the text it stores: no prefix, no final newline. */
	return len && body[len - 1] == '\n' ? len - 1 : len;
}

int printk(const char *fmt, ...)
{
	va_list args;
	int r;

	va_start(args, fmt);
	r = vprintk(fmt, args);
	va_end(args);

	return r;
}

/*
 * Whether an event may go on: at most rs->burst of them in rs->interval
 * jiffies. When a new interval starts, says how many were suppressed in
 * the last one.
 */
int ___ratelimit(struct ratelimit_state *rs, const char *func)
{
	unsigned long now;
	int ret;

	if (!rs->interval)
		return 1;

	/* If we contend on this state's lock then almost by definition we
	 * are too busy to print a message, in addition to the one that will
	 * be printed by the entity that is holding the lock already. */
	if (!mh_trylock(&rs->lock))
		return 0;

	now = mh_call(time, jiffies);
	if (!rs->begin)
		rs->begin = now;

	if ((long)(rs->begin + rs->interval - now) < 0) {
		if (rs->missed) {
			if (!(rs->flags & RATELIMIT_MSG_ON_RELEASE)) {
				printk(KERN_WARNING "%s: %d callbacks suppressed\n", func, rs->missed);
				rs->missed = 0;
			}
		}
		rs->begin = now;
		rs->printed = 0;
	}
	if (rs->burst && rs->burst > rs->printed) {
		rs->printed++;
		ret = 1;
	} else {
		rs->missed++;
		ret = 0;
	}
	mh_unlock(&rs->lock);

	return ret;
}

static DEFINE_RATELIMIT_STATE(printk_ratelimit_state, DEFAULT_RATELIMIT_INTERVAL,
			      DEFAULT_RATELIMIT_BURST);

int __printk_ratelimit(const char *func)
{
	return ___ratelimit(&printk_ratelimit_state, func);
}

void __modhost_dump_stack(struct modhost_site site)
{
	__modhost_printk_flush();
	mh_call(debug, dump_stack, site);
}
