/* The workqueue wiki page: an item kmalloc'd per event, freed by its own
 * handler; the delayed variant; the queue flushed and destroyed at exit.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/jiffies.h>

MODULE_LICENSE("GPL");

struct my_work_struct {
	struct work_struct work;
	int my_irq_counter;
	unsigned long my_jiffies;
};

struct my_delayed_work_struct {
	struct delayed_work dwork;
	int n;
};

static struct workqueue_struct *my_workqueue;

static void my_workqueue_function(struct work_struct *work)
{
	struct my_work_struct *my_work = (struct my_work_struct *)work;

	pr_info("counter %d, jiffies %lu\n", my_work->my_irq_counter, my_work->my_jiffies);
	kfree(my_work);
}

static void my_delayed_function(struct work_struct *work)
{
	struct my_delayed_work_struct *w =
		container_of(to_delayed_work(work), struct my_delayed_work_struct, dwork);

	pr_info("delayed %d\n", w->n);
	kfree(w);
}

static int event(int counter)
{
	struct my_work_struct *my_work = kmalloc(sizeof(*my_work), GFP_KERNEL);
	struct my_delayed_work_struct *later = kmalloc(sizeof(*later), GFP_KERNEL);

	if (!my_work || !later) {
		kfree(my_work);
		kfree(later);
		return -ENOMEM;
	}
	INIT_WORK((struct work_struct *)my_work, my_workqueue_function);
	my_work->my_irq_counter = counter;
	my_work->my_jiffies = jiffies;
	queue_work(my_workqueue, (struct work_struct *)my_work);

	INIT_DELAYED_WORK(&later->dwork, my_delayed_function);
	later->n = counter;
	queue_delayed_work(my_workqueue, &later->dwork, msecs_to_jiffies(10));
	return 0;
}

static int __init wiki_init(void)
{
	my_workqueue = alloc_workqueue("my_queue%d", WQ_UNBOUND | WQ_MEM_RECLAIM, 0, 1);
	if (!my_workqueue)
		return -ENOMEM;
	for (int i = 0; i < 3; i++)
		event(i);
	return 0;
}

static void __exit wiki_exit(void)
{
	flush_workqueue(my_workqueue);
	destroy_workqueue(my_workqueue);
}

module_init(wiki_init);
module_exit(wiki_exit);
