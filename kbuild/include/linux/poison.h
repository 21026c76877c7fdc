/* SPDX-License-Identifier: GPL-2.0 */
/* Values that fault when used: list_del leaves these in the entry. */
#ifndef _LINUX_POISON_H
#define _LINUX_POISON_H

/* x86-64's CONFIG_ILLEGAL_POINTER_VALUE: non-canonical, so a fault. */
#define POISON_POINTER_DELTA 0xdead000000000000UL

#define LIST_POISON1  ((void *) 0x100 + POISON_POINTER_DELTA)
#define LIST_POISON2  ((void *) 0x122 + POISON_POINTER_DELTA)

#define POISON_INUSE	0x5a	/* for use-uninitialised poisoning */
#define POISON_FREE	0x6b	/* for use-after-free poisoning */
#define POISON_END	0xa5	/* end-byte of poisoning */

#endif
