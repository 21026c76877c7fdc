// SPDX-License-Identifier: GPL-2.0-only
/* Random numbers: every value comes from the host's generator. */

#include <linux/random.h>
#include <modhost/lib.h>

void get_random_bytes(void *buf, size_t len)
{
	mh_call(mem, get_random_bytes, buf, len);
}

#define GET_RANDOM(name, type)				\
type name(void)						\
{							\
	type v;						\
							\
	get_random_bytes(&v, sizeof(v));		\
	return v;					\
}

GET_RANDOM(get_random_u8, u8)
GET_RANDOM(get_random_u16, u16)
GET_RANDOM(get_random_u32, u32)
GET_RANDOM(get_random_u64, u64)

/* Uniform in [0, ceil): Lemire's multiply-and-reject, as the kernel's. */
u32 __get_random_u32_below(u32 ceil)
{
	u64 mult;

	if (unlikely(!ceil))
		return get_random_u32();
	mult = (u64)ceil * get_random_u32();
	if (unlikely((u32)mult < ceil)) {
		u32 bound = -ceil % ceil;

		while (unlikely((u32)mult < bound))
			mult = (u64)ceil * get_random_u32();
	}
	return mult >> 32;
}
