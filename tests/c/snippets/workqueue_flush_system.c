/* flush_scheduled_work() on a current kernel: it builds, with the
 * kernel's warning, and warns again when it runs.
 * expect-warning: Please avoid flushing system-wide workqueues.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/workqueue.h>

MODULE_LICENSE("GPL");

static void noop(struct work_struct *work)
{
}

static DECLARE_WORK(item, noop);

static int __init flush_init(void)
{
	schedule_work(&item);
	flush_scheduled_work();
	return 0;
}

module_init(flush_init);
