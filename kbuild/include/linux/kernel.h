/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's catch-all header: what lab code expects after
 * #include <linux/kernel.h> (printk, the min/max and rounding helpers,
 * ARRAY_SIZE, container_of, kstrto*, the printf family, the limits).
 */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <linux/stdarg.h>
#include <linux/align.h>
#include <linux/limits.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/container_of.h>
#include <linux/bitops.h>
#include <linux/kstrtox.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/instruction_pointer.h>
#include <linux/minmax.h>
#include <linux/typecheck.h>
#include <linux/printk.h>
#include <linux/build_bug.h>
#include <linux/sprintf.h>
#include <linux/err.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/version.h>

#define STACK_MAGIC	0xdeadbeef

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 5, 0)
/* Gone in 5.5: sizeof_field(). */
#define FIELD_SIZEOF(t, f) (sizeof(((t *)0)->f))
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 15, 0)
/* Gone in 4.15: READ_ONCE() and WRITE_ONCE(). */
#define ACCESS_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#endif

#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]) + __must_be_array(arr))

#define REPEAT_BYTE(x)	((~0ul / 0xff) * (x))

#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))
#define lower_32_bits(n) ((u32)((n) & 0xffffffff))
#define upper_16_bits(n) ((u16)((n) >> 16))
#define lower_16_bits(n) ((u16)((n) & 0xffff))


#define PTR_IF(cond, ptr)	((cond) ? (ptr) : NULL)
#define u64_to_user_ptr(x)	((void __user *)(uintptr_t)(x))

/* modhost's kernel is fully preemptible in user space: these only mark
 * where the kernel's debug checks would look. */
#define might_resched() do { } while (0)
#define might_sleep() do { } while (0)
#define might_sleep_if(cond) do { (void)(cond); } while (0)
#define might_fault() do { } while (0)
#define sched_annotate_sleep() do { } while (0)

/* The kernel stops; modhost reports an Oops for the calling task. */
__printf(1, 2) void __noreturn panic(const char *fmt, ...) __cold;

extern const char hex_asc[];
extern const char hex_asc_upper[];
#define hex_asc_lo(x)	hex_asc[((x) & 0x0f)]
#define hex_asc_hi(x)	hex_asc[((x) & 0xf0) >> 4]
#define hex_asc_upper_lo(x)	hex_asc_upper[((x) & 0x0f)]
#define hex_asc_upper_hi(x)	hex_asc_upper[((x) & 0xf0) >> 4]

static inline char *hex_byte_pack(char *buf, u8 byte)
{
	*buf++ = hex_asc_hi(byte);
	*buf++ = hex_asc_lo(byte);
	return buf;
}

static inline char *hex_byte_pack_upper(char *buf, u8 byte)
{
	*buf++ = hex_asc_upper_hi(byte);
	*buf++ = hex_asc_upper_lo(byte);
	return buf;
}

extern int hex_to_bin(unsigned char ch);
extern int __must_check hex2bin(u8 *dst, const char *src, size_t count);
extern char *bin2hex(char *dst, const void *src, size_t count);

enum system_states {
	SYSTEM_BOOTING,
	SYSTEM_SCHEDULING,
	SYSTEM_FREEING_INITMEM,
	SYSTEM_RUNNING,
	SYSTEM_HALT,
	SYSTEM_POWER_OFF,
	SYSTEM_RESTART,
	SYSTEM_SUSPEND,
};
#define system_state SYSTEM_RUNNING

#endif
