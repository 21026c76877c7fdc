// SPDX-License-Identifier: GPL-2.0
/*
 * fifo: a bounded buffer for the producer/consumer lab.
 *
 * A mutex guards the ring; `empty` counts the free slots and `fill` the
 * items, so put_item() sleeps while the buffer is full and get_item()
 * while it is empty.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/semaphore.h>

#include "fifo.h"

#define FIFO_MAX 32

static int size = 8;
module_param(size, int, 0444);
MODULE_PARM_DESC(size, "Number of slots (1-32)");

static char buffer[FIFO_MAX];
static int head, tail;
static unsigned long puts, gets;

static DEFINE_MUTEX(lock);
static struct semaphore empty;
static struct semaphore fill;

int put_item(char item)
{
	if (down_interruptible(&empty))
		return -EINTR;
	mutex_lock(&lock);
	buffer[head] = item;
	head = (head + 1) % size;
	puts++;
	mutex_unlock(&lock);
	up(&fill);
	return 0;
}
EXPORT_SYMBOL_GPL(put_item);

int get_item(char *item)
{
	if (down_interruptible(&fill))
		return -EINTR;
	mutex_lock(&lock);
	*item = buffer[tail];
	tail = (tail + 1) % size;
	gets++;
	mutex_unlock(&lock);
	up(&empty);
	return 0;
}
EXPORT_SYMBOL_GPL(get_item);

static int __init fifo_init(void)
{
	if (size < 1 || size > FIFO_MAX) {
		pr_err("fifo: size must be 1-%d, not %d\n", FIFO_MAX, size);
		return -EINVAL;
	}
	sema_init(&empty, size);
	sema_init(&fill, 0);
	pr_info("fifo: ready with %d slots\n", size);
	return 0;
}

static void __exit fifo_exit(void)
{
	pr_info("fifo: %lu put, %lu got, %lu left\n", puts, gets, puts - gets);
}

module_init(fifo_init);
module_exit(fifo_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Lab");
MODULE_DESCRIPTION("Bounded FIFO with a mutex and two semaphores");
