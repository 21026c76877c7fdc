/* The lab's rate control, as lab-era solutions wrote it: a private
 * unbound queue and a delayed work item whose function takes no argument.
 * A kernel of that era warned about the function's type; so does this.
 * modhost-kernel: 4.4
 * expect-warning: incompatible-pointer-types
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>

MODULE_LICENSE("GPL");

static int rate = 5;
module_param(rate, int, 0644);
MODULE_PARM_DESC(rate, "items per second");

static struct workqueue_struct *wq;
static void lab_work_handler(void);
static DECLARE_DELAYED_WORK(lab_work, lab_work_handler);

static void lab_work_handler(void)
{
	pr_info("produce\n");
	queue_delayed_work(wq, &lab_work, HZ / rate);
}

static int __init lab_init(void)
{
	wq = alloc_workqueue("lab-wq", WQ_UNBOUND, 1);
	if (!wq)
		return -ENOMEM;
	queue_delayed_work(wq, &lab_work, 2 * HZ);
	return 0;
}

static void __exit lab_exit(void)
{
	cancel_delayed_work(&lab_work);
	destroy_workqueue(wq);
}

module_init(lab_init);
module_exit(lab_exit);
