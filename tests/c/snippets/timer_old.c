/* The courseware's timers, the 2.6 way: init_timer + fields, one handler
 * for several timers told apart by .data; a periodic timer re-arms itself.
 * modhost-kernel: 4.4
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/timer.h>
#include <linux/jiffies.h>

MODULE_LICENSE("GPL");

static struct timer_list t1, t2;
static int ticks;

static void handler(unsigned long data)
{
	pr_info("timer %lu fired at %lu\n", data, jiffies);
	if (data == 1 && ++ticks < 5)
		mod_timer(&t1, jiffies + HZ / 10);
}

static int __init timers_init(void)
{
	init_timer(&t1);
	t1.expires = jiffies + HZ / 10;
	t1.data = 1;
	t1.function = handler;
	add_timer(&t1);

	setup_timer(&t2, handler, 2);
	t2.expires = jiffies + 2 * HZ;
	add_timer(&t2);
	pr_info("t2 pending: %d, mod_timer says %d\n", timer_pending(&t2), mod_timer(&t2, jiffies + HZ));
	return 0;
}

static void __exit timers_exit(void)
{
	pr_info("del_timer: %d\n", del_timer(&t2));
	del_timer_sync(&t1);
}

module_init(timers_init);
module_exit(timers_exit);
