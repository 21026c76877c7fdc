// SPDX-License-Identifier: GPL-2.0
/* A GPL module using both of square's exports. */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

extern int square(int x);
extern int cube(int x);

static int __init square_user_init(void)
{
	pr_info("square_user: square(3) = %d, cube(3) = %d\n", square(3), cube(3));
	return 0;
}

static void __exit square_user_exit(void)
{
}

module_init(square_user_init);
module_exit(square_user_exit);
MODULE_LICENSE("GPL");
