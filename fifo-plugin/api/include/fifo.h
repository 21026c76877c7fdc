/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fifo module's interface for C modules: the lab's fifo.h for the
 * Rust fifo (fifo-plugin). The same types as fifo-plugin/api/src/lib.rs,
 * laid out the same (a test of that crate checks these numbers); every
 * export is GPL-only.
 *
 * A C module built with kbuild includes it with
 *   ccflags-y += -I$(srctree)/../fifo-plugin/api/include
 * and its imports are resolved against the loaded fifo.so like any other.
 */
#ifndef _FIFO_H
#define _FIFO_H

#include <linux/types.h>

/* The longest item string and producer name, in bytes. */
#define FIFO_ITEM_MAX		63
#define FIFO_PRODUCER_MAX	55

/* One item: its string, who produced it, its number, when it was queued. */
struct fifo_item {
	u64 seq;
	u64 enqueued;		/* jiffies when fifo_put took it */
	u8 len;
	u8 producer_len;
	char data[FIFO_ITEM_MAX];
	char producer[FIFO_PRODUCER_MAX];
};

/* What fifo_stats fills in. */
struct fifo_stats {
	u32 capacity;
	u32 fill;
	u32 high_water;
	u32 producers_waiting;
	u32 consumers_waiting;
	u64 puts;
	u64 gets;
};

_Static_assert(sizeof(struct fifo_item) == 136, "struct fifo_item");
_Static_assert(sizeof(struct fifo_stats) == 40, "struct fifo_stats");

/* Block while full (empty); 0, or -EINTR when interrupted. */
int fifo_put(const struct fifo_item *item);
int fifo_get(struct fifo_item *item);
/* Never block: 0 or -EAGAIN. */
int fifo_try_put(const struct fifo_item *item);
int fifo_try_get(struct fifo_item *item);
/* Block at most timeout jiffies: 0 or -ETIME. */
int fifo_put_timeout(const struct fifo_item *item, u64 timeout);
int fifo_get_timeout(struct fifo_item *item, u64 timeout);
void fifo_stats(struct fifo_stats *stats);

#endif /* _FIFO_H */
