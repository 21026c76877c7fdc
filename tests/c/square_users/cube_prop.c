/* A proprietary module using cube(), exported to GPL modules only. */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

extern int cube(int x);

static int __init cube_prop_init(void)
{
	pr_info("cube_prop: cube(2) = %d\n", cube(2));
	return 0;
}

module_init(cube_prop_init);
MODULE_LICENSE("Proprietary");
