/* Timers, the current way: timer_setup + from_timer, a static DEFINE_TIMER,
 * .expires set by hand before add_timer, and the shutdown a re-arming
 * timer needs before its memory goes.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/timer.h>
#include <linux/slab.h>

MODULE_LICENSE("GPL");

struct beat {
	int count;
	struct timer_list timer;
};

static struct beat *beat;

static void beat_fn(struct timer_list *t)
{
	struct beat *b = from_timer(b, t, timer);

	b->count++;
	mod_timer(&b->timer, jiffies + msecs_to_jiffies(100));
}

static void once_fn(struct timer_list *t)
{
	pr_info("once: %lu ms after load\n", (unsigned long)jiffies_to_msecs(t->expires));
}

static DEFINE_TIMER(once, once_fn);

static int __init beat_init(void)
{
	beat = kzalloc(sizeof(*beat), GFP_KERNEL);
	if (!beat)
		return -ENOMEM;
	timer_setup(&beat->timer, beat_fn, 0);
	beat->timer.expires = jiffies + HZ;
	add_timer(&beat->timer);
	mod_timer(&once, jiffies + usecs_to_jiffies(1500));
	return 0;
}

static void __exit beat_exit(void)
{
	timer_shutdown_sync(&beat->timer);
	pr_info("beat: %d beats; once was %spending\n", beat->count, timer_delete_sync(&once) ? "" : "not ");
	del_timer(&once);
	kfree(beat);
}

module_init(beat_init);
module_exit(beat_exit);
