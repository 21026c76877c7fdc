// SPDX-License-Identifier: GPL-2.0
/* A work item that spins while `spin` is set (write 0 to free it), for at
 * most `spin_ms` milliseconds if that is set. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>
#include <linux/jiffies.h>

static int spin = 1;
module_param(spin, int, 0644);
static int spin_ms;
module_param(spin_ms, int, 0444);

static struct work_struct spin_work;

static void spin_fn(struct work_struct *work)
{
	unsigned long end = jiffies + msecs_to_jiffies(spin_ms);

	pr_info("spinning\n");
	while (READ_ONCE(spin) && (!spin_ms || time_before(jiffies, end)))
		cpu_relax();
	pr_info("done spinning\n");
}

static int __init spin_work_init(void)
{
	INIT_WORK(&spin_work, spin_fn);
	schedule_work(&spin_work);
	return 0;
}

static void __exit spin_work_exit(void)
{
	flush_work(&spin_work);
}

module_init(spin_work_init);
module_exit(spin_work_exit);
MODULE_LICENSE("GPL");
