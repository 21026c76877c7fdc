// SPDX-License-Identifier: GPL-2.0
/* The classic off-by-one in a block the module keeps: nothing frees it
 * (nor looks at it) until the module goes. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *tag = "lab-7";
module_param(tag, charp, 0444);

static char *kept;

static int __init keep_init(void)
{
	kept = kmalloc(strlen(tag), GFP_KERNEL);
	if (!kept)
		return -ENOMEM;
	strcpy(kept, tag);
	return 0;
}

static void __exit keep_exit(void)
{
	kfree(kept);
}

module_init(keep_init);
module_exit(keep_exit);
MODULE_LICENSE("GPL");
