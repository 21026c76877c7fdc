// SPDX-License-Identifier: GPL-2.0-only
/*
 * WARN, BUG and panic: the host writes the kernel's reports (the
 * "WARNING: ... at file:line" block, taint W; the Oops), from the caller's
 * site and the text formatted here.
 */

#include <linux/kernel.h>
#include <linux/bug.h>
#include <modhost/lib.h>
#include "internal.h"

/* The kernel's bound on one printk record. */
#define REPORT_MAX 1024

void __modhost_warn(struct modhost_site site, const char *fmt, ...)
{
	char text[REPORT_MAX];
	size_t len = 0;

	if (fmt) {
		va_list args;

		va_start(args, fmt);
		len = vscnprintf(text, sizeof(text), fmt, args);
		va_end(args);
	}
	__modhost_printk_flush();
	mh_call(module, warn, ((struct modhost_str){ text, len }), site);
}

/*
 * BUG()'s first lines, in one record so that no other task's line comes
 * between them; the trap after it is the caller's (see bug.h).
 */
void __modhost_bug(struct modhost_site site)
{
	char text[REPORT_MAX];
	size_t len;

	len = scnprintf(text, sizeof(text), "------------[ cut here ]------------\nkernel BUG at %.*s:%u!",
			(int)site.file.len, site.file.ptr, site.line);
	__modhost_printk_flush();
	mh_call(module, vprintk, LOGLEVEL_CRIT, ((struct modhost_str){ text, len }));
}

void panic(const char *fmt, ...)
{
	char text[REPORT_MAX];
	size_t len;
	va_list args;

	len = scnprintf(text, sizeof(text), "Kernel panic - not syncing: ");
	va_start(args, fmt);
	len += vscnprintf(text + len, sizeof(text) - len, fmt, args);
	va_end(args);
	/* The message usually ends in a newline; the report adds its own. */
	if (len && text[len - 1] == '\n')
		len--;
	__modhost_printk_flush();
	mh_call(module, oops, ((struct modhost_str){ text, len }));
	__builtin_trap();
}
