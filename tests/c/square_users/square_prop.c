/* A proprietary module using square(), exported to everyone. */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

extern int square(int x);

static int __init square_prop_init(void)
{
	pr_info("square_prop: square(4) = %d\n", square(4));
	return 0;
}

static void __exit square_prop_exit(void)
{
}

module_init(square_prop_init);
module_exit(square_prop_exit);
MODULE_LICENSE("Proprietary");
