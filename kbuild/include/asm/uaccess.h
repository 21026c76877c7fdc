/* SPDX-License-Identifier: GPL-2.0 */
/* Old modules include <asm/uaccess.h>: the same as <linux/uaccess.h>. */
#include <linux/uaccess.h>
