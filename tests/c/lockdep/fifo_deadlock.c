// SPDX-License-Identifier: GPL-2.0
/*
 * The lab's classic deadlock: the fifo's mutex is taken before the
 * counting semaphores, so a full fifo keeps the consumer out while the
 * producer sleeps in down(&empty), and an empty one the other way round.
 * One put and one get in init never block, but the order is already there.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/semaphore.h>

#define SLOTS 4

static DEFINE_MUTEX(lock);
static struct semaphore empty;
static struct semaphore fill;
static int slots[SLOTS];
static int head, tail;

static void put_item(int item)
{
	mutex_lock(&lock);
	down(&empty);
	slots[head] = item;
	head = (head + 1) % SLOTS;
	up(&fill);
	mutex_unlock(&lock);
}

static int get_item(void)
{
	int item;

	mutex_lock(&lock);
	down(&fill);
	item = slots[tail];
	tail = (tail + 1) % SLOTS;
	up(&empty);
	mutex_unlock(&lock);
	return item;
}

static int __init fifo_deadlock_init(void)
{
	sema_init(&empty, SLOTS);
	sema_init(&fill, 0);
	put_item(42);
	pr_info("fifo_deadlock: got %d\n", get_item());
	return 0;
}

static void __exit fifo_deadlock_exit(void)
{
}

module_init(fifo_deadlock_init);
module_exit(fifo_deadlock_exit);
MODULE_LICENSE("GPL");
