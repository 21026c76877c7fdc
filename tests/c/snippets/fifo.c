/* The lab's FIFO: a fixed ring under a mutex, with "empty" and "fill"
 * semaphores; producers block when it is full, consumers when empty.
 * modhost-kernel: 4.4
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/mutex.h>
#include <linux/semaphore.h>
#include <linux/jiffies.h>

MODULE_LICENSE("GPL");

#define FIFO_SIZE 32

static int items[FIFO_SIZE];
static int head, tail;
static DEFINE_MUTEX(lock);
static struct semaphore empty, fill;
static DEFINE_SEMAPHORE(spare);

int fifo_put(int item)
{
	if (down_interruptible(&empty))
		return -ERESTARTSYS;
	mutex_lock(&lock);
	items[head] = item;
	head = (head + 1) % FIFO_SIZE;
	mutex_unlock(&lock);
	up(&fill);
	return 0;
}
EXPORT_SYMBOL(fifo_put);

int fifo_get(int *item)
{
	int ret = down_timeout(&fill, HZ);

	if (ret)
		return ret;
	if (mutex_lock_interruptible(&lock)) {
		up(&fill);
		return -ERESTARTSYS;
	}
	*item = items[tail];
	tail = (tail + 1) % FIFO_SIZE;
	mutex_unlock(&lock);
	up(&empty);
	return 0;
}
EXPORT_SYMBOL(fifo_get);

static int __init fifo_init(void)
{
	sema_init(&empty, FIFO_SIZE);
	sema_init(&fill, 0);
	if (down_trylock(&spare) == 0)
		up(&spare);
	if (mutex_trylock(&lock))
		mutex_unlock(&lock);
	pr_info("fifo: locked %d\n", mutex_is_locked(&lock));
	return 0;
}

static void __exit fifo_exit(void)
{
	if (down_killable(&spare) == 0)
		up(&spare);
	mutex_destroy(&lock);
}

module_init(fifo_init);
module_exit(fifo_exit);
