// SPDX-License-Identifier: GPL-2.0
/* The lab sheet's exporter: square() for everyone, cube() for GPL modules. */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

int square(int x)
{
	pr_info("square: %d users and references\n", module_refcount(THIS_MODULE));
	return x * x;
}
EXPORT_SYMBOL(square);

int cube(int x)
{
	return x * x * x;
}
EXPORT_SYMBOL_GPL(cube);

static int __init square_init(void)
{
	pr_info("square: loaded\n");
	return 0;
}

static void __exit square_exit(void)
{
	pr_info("square: unloaded with %d references\n", module_refcount(THIS_MODULE));
}

module_init(square_init);
module_exit(square_exit);
MODULE_LICENSE("GPL");
