/* SPDX-License-Identifier: GPL-2.0 */
/* The user-mode helper (<linux/umh.h>), which the kernel's <linux/kmod.h>
 * has always offered; request_module is not: a module cannot load
 * another here. The kernel's <linux/module.h> includes this header. */
#ifndef __LINUX_KMOD_H__
#define __LINUX_KMOD_H__

#include <linux/errno.h>
#include <linux/umh.h>

#endif
