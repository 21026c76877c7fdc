// SPDX-License-Identifier: GPL-2.0
/* init locks a mutex and returns with it held: held when the module's memory goes. */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(config_lock);

static int __init init_holds_init(void)
{
	mutex_lock(&config_lock);
	pr_info("init_holds: configured\n");
	return 0;
}

static void __exit init_holds_exit(void)
{
}

module_init(init_holds_init);
module_exit(init_holds_exit);
MODULE_LICENSE("GPL");
