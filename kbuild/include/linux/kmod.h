/* SPDX-License-Identifier: GPL-2.0 */
/* request_module and the user-mode helper live elsewhere; the kernel's
 * <linux/module.h> includes this header. */
#ifndef __LINUX_KMOD_H__
#define __LINUX_KMOD_H__

#include <linux/errno.h>

#endif
