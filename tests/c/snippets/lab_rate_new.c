/* The lab's rate control on a current kernel: ordered queue, mod_delayed_work,
 * and the teardown a self-re-arming item needs.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>

MODULE_LICENSE("GPL");

static int rate = 5;
module_param(rate, int, 0644);

static struct workqueue_struct *wq;
static void lab_work_handler(struct work_struct *work);
static DECLARE_DELAYED_WORK(lab_work, lab_work_handler);

static void lab_work_handler(struct work_struct *work)
{
	struct delayed_work *dwork = to_delayed_work(work);

	pr_info("produce (pending: %d)\n", delayed_work_pending(dwork));
	queue_delayed_work(wq, dwork, msecs_to_jiffies(1000 / rate));
}

static int __init lab_init(void)
{
	wq = alloc_ordered_workqueue("lab-%s", 0, "wq");
	if (!wq)
		return -ENOMEM;
	queue_delayed_work(wq, &lab_work, 0);
	if (mod_delayed_work(wq, &lab_work, HZ))
		pr_info("re-armed\n");
	queue_work(system_unbound_wq, &lab_work.work);
	return 0;
}

static void __exit lab_exit(void)
{
	disable_delayed_work_sync(&lab_work);
	flush_delayed_work(&lab_work);
	pr_info("pending after disable: %d\n", work_pending(&lab_work.work));
	drain_workqueue(wq);
	destroy_workqueue(wq);
}

module_init(lab_init);
module_exit(lab_exit);
