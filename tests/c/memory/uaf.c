// SPDX-License-Identifier: GPL-2.0
/* A buffer freed in init and written to afterwards. */
#include <linux/module.h>
#include <linux/slab.h>

struct item {
	int seq;
	char tag[12];
};

static struct item *last;

static int __init uaf_init(void)
{
	last = kzalloc(sizeof(*last), GFP_KERNEL);
	if (!last)
		return -ENOMEM;
	kfree(last);
	last->seq = 42;
	return 0;
}

static void __exit uaf_exit(void)
{
}

module_init(uaf_init);
module_exit(uaf_exit);
MODULE_LICENSE("GPL");
