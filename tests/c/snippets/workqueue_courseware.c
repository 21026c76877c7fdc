/* The courseware's work queues: a static and a dynamic work item on the
 * system queue, delayed work, a private queue, and the flushes.
 * modhost-kernel: 4.4
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/workqueue.h>

MODULE_LICENSE("GPL");

static void say(struct work_struct *work)
{
	pr_info("work %p runs\n", work);
}

static DECLARE_WORK(hello, say);
static struct work_struct dynamic;
static struct delayed_work later;
static struct workqueue_struct *queue;

static int __init wq_init(void)
{
	INIT_WORK(&dynamic, say);
	INIT_DELAYED_WORK(&later, say);
	schedule_work(&hello);
	schedule_work(&dynamic);
	schedule_delayed_work(&later, HZ);
	flush_scheduled_work();

	queue = create_workqueue("mine");
	if (!queue)
		return -ENOMEM;
	queue_work(queue, &dynamic);
	queue_delayed_work(queue, &later, HZ / 2);
	return 0;
}

static void __exit wq_exit(void)
{
	cancel_delayed_work(&later);
	flush_workqueue(queue);
	destroy_workqueue(queue);
	cancel_work_sync(&hello);
}

module_init(wq_init);
module_exit(wq_exit);
