// SPDX-License-Identifier: GPL-2.0
/* A timer callback that spins while `spin` is set (write 0 to free it). */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/timer.h>
#include <linux/jiffies.h>

static int spin = 1;
module_param(spin, int, 0644);

static struct timer_list spin_timer;

static void spin_fn(struct timer_list *t)
{
	pr_info("spinning\n");
	while (READ_ONCE(spin))
		cpu_relax();
	pr_info("done spinning\n");
}

static int __init spin_timer_init(void)
{
	timer_setup(&spin_timer, spin_fn, 0);
	mod_timer(&spin_timer, jiffies + 1);
	return 0;
}

static void __exit spin_timer_exit(void)
{
	del_timer_sync(&spin_timer);
}

module_init(spin_timer_init);
module_exit(spin_timer_exit);
MODULE_LICENSE("GPL");
