// SPDX-License-Identifier: GPL-2.0
/* A NULL write in a tasklet. */
#include <linux/module.h>
#include <linux/interrupt.h>

static int *target;

static void boom(unsigned long data)
{
	pr_info("tasklet runs\n");
	*target = 42;
}

static DECLARE_TASKLET_OLD(boom_tasklet, boom);

static int __init null_tasklet_init(void)
{
	tasklet_schedule(&boom_tasklet);
	return 0;
}

static void __exit null_tasklet_exit(void)
{
	tasklet_kill(&boom_tasklet);
	pr_info("exit\n");
}

module_init(null_tasklet_init);
module_exit(null_tasklet_exit);
MODULE_LICENSE("GPL");
