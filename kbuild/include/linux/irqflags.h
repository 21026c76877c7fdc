/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupt masking. The host has no interrupts a module could mask: these
 * keep the compiler from moving memory accesses across them, and `flags`
 * records that nothing was masked.
 */
#ifndef _LINUX_IRQFLAGS_H
#define _LINUX_IRQFLAGS_H

#include <linux/compiler.h>

#define local_irq_enable()		barrier()
#define local_irq_disable()		barrier()
#define local_irq_save(flags)		do { (flags) = 0; barrier(); } while (0)
#define local_irq_restore(flags)	do { (void)(flags); barrier(); } while (0)
#define local_save_flags(flags)		do { (flags) = 0; } while (0)
#define irqs_disabled()			0

#endif /* _LINUX_IRQFLAGS_H */
