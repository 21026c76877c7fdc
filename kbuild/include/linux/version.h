/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel generation the module is built for: 6.12.0 unless kbuild was
 * given MODHOST_KERNEL=a.b[.c], which it passes as
 * -DMODHOST_LINUX_VERSION_CODE=<number or KERNEL_VERSION(a,b,c)>.
 * Headers whose API changed between generations test LINUX_VERSION_CODE.
 */
#ifndef _LINUX_VERSION_H
#define _LINUX_VERSION_H

#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

#ifdef MODHOST_LINUX_VERSION_CODE
#define LINUX_VERSION_CODE (MODHOST_LINUX_VERSION_CODE)
#else
#define LINUX_VERSION_CODE 396288	/* KERNEL_VERSION(6, 12, 0) */
#endif

#define LINUX_VERSION_MAJOR (LINUX_VERSION_CODE >> 16)
#define LINUX_VERSION_PATCHLEVEL ((LINUX_VERSION_CODE >> 8) & 0xff)
#define LINUX_VERSION_SUBLEVEL (LINUX_VERSION_CODE & 0xff)

#endif
