// SPDX-License-Identifier: GPL-2.0
/*
 * The lab's fifo as students often write it: down() where the solution
 * has down_interruptible(), so a producer waiting for a free slot sleeps
 * uninterruptibly, and nothing but a get_item() ends its sleep.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/semaphore.h>

static int size = 4;
module_param(size, int, 0444);

static char buffer[32];
static int head, tail;
static DEFINE_MUTEX(lock);
static struct semaphore empty;
static struct semaphore fill;

void put_item(char item)
{
	down(&empty);
	mutex_lock(&lock);
	buffer[head] = item;
	head = (head + 1) % size;
	mutex_unlock(&lock);
	up(&fill);
}
EXPORT_SYMBOL_GPL(put_item);

char get_item(void)
{
	char item;

	down(&fill);
	mutex_lock(&lock);
	item = buffer[tail];
	tail = (tail + 1) % size;
	mutex_unlock(&lock);
	up(&empty);
	return item;
}
EXPORT_SYMBOL_GPL(get_item);

static int __init sfifo_init(void)
{
	sema_init(&empty, size);
	sema_init(&fill, 0);
	return 0;
}

static void __exit sfifo_exit(void)
{
}

module_init(sfifo_init);
module_exit(sfifo_exit);
MODULE_LICENSE("GPL");
