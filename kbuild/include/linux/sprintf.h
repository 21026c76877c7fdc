/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's printf family (lib/vsprintf.c): no floating point; %p has
 * the kernel's extensions (%pS %ps %pB %pK %px). */
#ifndef _LINUX_KERNEL_SPRINTF_H_
#define _LINUX_KERNEL_SPRINTF_H_

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/stdarg.h>
#include <modhost/lib.h>

__printf(2, 3) int sprintf(char *buf, const char *fmt, ...);
__printf(2, 0) int vsprintf(char *buf, const char *fmt, va_list args);
__printf(3, 4) int snprintf(char *buf, size_t size, const char *fmt, ...);
__printf(3, 0) int vsnprintf(char *buf, size_t size, const char *fmt, va_list args);
__printf(3, 4) int scnprintf(char *buf, size_t size, const char *fmt, ...);
__printf(3, 0) int vscnprintf(char *buf, size_t size, const char *fmt, va_list args);
__printf(2, 3) __malloc char *kasprintf(gfp_t gfp, const char *fmt, ...);
__printf(2, 0) __malloc char *kvasprintf(gfp_t gfp, const char *fmt, va_list args);
__printf(2, 0) const char *kvasprintf_const(gfp_t gfp, const char *fmt, va_list args);

/* The allocating ones pass the caller's site to kmalloc, as kmalloc does. */
__printf(3, 4) __malloc char *__modhost_kasprintf(struct modhost_site site, gfp_t gfp, const char *fmt, ...);
__printf(3, 0) __malloc char *__modhost_kvasprintf(struct modhost_site site, gfp_t gfp, const char *fmt,
						   va_list args);
#define kasprintf(gfp, fmt, ...) __modhost_kasprintf(MODHOST_SITE(), (gfp), fmt, ##__VA_ARGS__)
#define kvasprintf(gfp, fmt, args) __modhost_kvasprintf(MODHOST_SITE(), (gfp), fmt, args)

__scanf(2, 3) int sscanf(const char *, const char *, ...);
__scanf(2, 0) int vsscanf(const char *, const char *, va_list);

#endif
