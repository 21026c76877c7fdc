/* SPDX-License-Identifier: GPL-2.0 */
/* Random numbers from the host (the kernel's CRNG). */
#ifndef _LINUX_RANDOM_H
#define _LINUX_RANDOM_H

#include <linux/types.h>
#include <linux/kernel.h>

void get_random_bytes(void *buf, size_t len);
u8 get_random_u8(void);
u16 get_random_u16(void);
u32 get_random_u32(void);
u64 get_random_u64(void);
static inline unsigned long get_random_long(void) { return get_random_u64(); }
static inline unsigned int get_random_int(void) { return get_random_u32(); }

/* A uniform value in [0, ceil), ceil > 0. */
u32 __get_random_u32_below(u32 ceil);
static inline u32 get_random_u32_below(u32 ceil) { return __get_random_u32_below(ceil); }
static inline u32 get_random_u32_above(u32 floor) { return floor + 1 + __get_random_u32_below(U32_MAX - floor); }
static inline u32 get_random_u32_inclusive(u32 floor, u32 ceil)
{
	return floor + __get_random_u32_below(ceil - floor + 1);
}

/* The old pseudo-random interface (<linux/prandom.h>), now the CRNG too. */
static inline u32 prandom_u32(void) { return get_random_u32(); }
static inline u32 prandom_u32_max(u32 ep_ro) { return __get_random_u32_below(ep_ro); }
static inline void prandom_bytes(void *buf, size_t nbytes) { get_random_bytes(buf, nbytes); }

#endif
