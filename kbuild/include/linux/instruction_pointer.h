/* SPDX-License-Identifier: GPL-2.0 */
/*
 * _RET_IP_, the caller's return address, and _THIS_IP_, an address where
 * it appears in its function: what reports symbolize (fifo_put+0x1c/0x80).
 * The empty asm goto keeps the label in place: a label whose address is
 * only taken may otherwise move to the function's entry.
 */
#ifndef _LINUX_INSTRUCTION_POINTER_H
#define _LINUX_INSTRUCTION_POINTER_H

#define _RET_IP_	(unsigned long)__builtin_return_address(0)
#define _THIS_IP_ \
	({ __label__ __here; __here: asm goto("" :::: __here); (unsigned long)&&__here; })

#endif /* _LINUX_INSTRUCTION_POINTER_H */
