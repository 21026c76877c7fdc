// SPDX-License-Identifier: GPL-2.0
/* The classic off-by-one: kmalloc(strlen(s)) has no room for the '\0' strcpy writes. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *name = "producer-A";
module_param(name, charp, 0444);

static int __init oob_init(void)
{
	char *copy = kmalloc(strlen(name), GFP_KERNEL);

	if (!copy)
		return -ENOMEM;
	strcpy(copy, name);
	pr_info("copied %s\n", copy);
	kfree(copy);
	return 0;
}

static void __exit oob_exit(void)
{
}

module_init(oob_init);
module_exit(oob_exit);
MODULE_LICENSE("GPL");
