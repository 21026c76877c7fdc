/* Tasklets before 5.9: functions of unsigned long data.
 * modhost-kernel: 4.4
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/interrupt.h>

MODULE_LICENSE("GPL");

static void bottom_half(unsigned long data)
{
	pr_info("tasklet %lu, in_interrupt %d\n", data, (int)in_interrupt());
}

static DECLARE_TASKLET(fixed, bottom_half, 1);
static struct tasklet_struct dynamic;

static int __init tl_init(void)
{
	tasklet_init(&dynamic, bottom_half, 2);
	tasklet_disable(&dynamic);
	tasklet_schedule(&dynamic);
	tasklet_enable(&dynamic);
	tasklet_hi_schedule(&fixed);
	return 0;
}

static void __exit tl_exit(void)
{
	tasklet_kill(&fixed);
	tasklet_kill(&dynamic);
}

module_init(tl_init);
module_exit(tl_exit);
