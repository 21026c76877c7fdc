/* Tasklets from 5.9: callbacks of the tasklet, from_tasklet, and the old
 * form kept as DECLARE_TASKLET_OLD.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/interrupt.h>

MODULE_LICENSE("GPL");

struct device_state {
	int events;
	struct tasklet_struct bh;
};

static struct device_state dev;

static void dev_bh(struct tasklet_struct *t)
{
	struct device_state *d = from_tasklet(d, t, bh);

	d->events++;
}

static void legacy(unsigned long data)
{
	pr_info("legacy %lu\n", data);
}

static DECLARE_TASKLET(fixed, dev_bh);
static DECLARE_TASKLET_OLD(old, legacy);

static int __init tl_init(void)
{
	tasklet_setup(&dev.bh, dev_bh);
	tasklet_schedule(&dev.bh);
	tasklet_disable_nosync(&old);
	tasklet_schedule(&old);
	tasklet_enable(&old);
	tasklet_schedule(&fixed);
	return 0;
}

static void __exit tl_exit(void)
{
	tasklet_kill(&fixed);
	tasklet_kill(&old);
	tasklet_kill(&dev.bh);
}

module_init(tl_init);
module_exit(tl_exit);
