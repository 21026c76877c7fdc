/* DEFINE_SEMAPHORE with its count, from 6.4. */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/semaphore.h>

MODULE_LICENSE("GPL");

static DEFINE_SEMAPHORE(slots, 3);
static DEFINE_BINARY_SEMAPHORE(gate);

static int __init sem_init(void)
{
	down(&slots);
	down(&gate);
	up(&gate);
	up(&slots);
	return 0;
}

module_init(sem_init);
