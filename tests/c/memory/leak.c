// SPDX-License-Identifier: GPL-2.0
/* A buffer kmalloc'ed in init and never freed. */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *buffer;

static int __init leak_init(void)
{
	buffer = kmalloc(96, GFP_KERNEL);
	if (!buffer)
		return -ENOMEM;
	strcpy(buffer, "lab buffer");
	return 0;
}

static void __exit leak_exit(void)
{
}

module_init(leak_init);
module_exit(leak_exit);
MODULE_LICENSE("GPL");
