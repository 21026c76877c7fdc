/* SPDX-License-Identifier: GPL-2.0-only */
/* Softirq masking: the host's softirq work (timers, tasklets, BH work) runs
 * on its own threads, so there is nothing to mask; these order memory
 * accesses only. */
#ifndef _LINUX_BH_H
#define _LINUX_BH_H

#include <linux/compiler.h>

#define local_bh_disable()	barrier()
#define local_bh_enable()	barrier()

#endif /* _LINUX_BH_H */
