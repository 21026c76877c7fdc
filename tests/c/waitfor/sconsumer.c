// SPDX-License-Identifier: GPL-2.0
/* Takes one item from sfifo in init, so that get_item has given a slot back once. */
#include <linux/module.h>

char get_item(void);

static int __init sconsumer_init(void)
{
	pr_info("sconsumer: got %c\n", get_item());
	return 0;
}

static void __exit sconsumer_exit(void)
{
}

module_init(sconsumer_init);
module_exit(sconsumer_exit);
MODULE_LICENSE("GPL");
