// SPDX-License-Identifier: GPL-2.0
/* Two mutexes taken in one order by one function and in the other by another. */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(a);
static DEFINE_MUTEX(b);

static void forward(void)
{
	mutex_lock(&a);
	mutex_lock(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);
}

static void backward(void)
{
	mutex_lock(&b);
	mutex_lock(&a);
	mutex_unlock(&a);
	mutex_unlock(&b);
}

static int __init abba_init(void)
{
	forward();
	backward();
	return 0;
}

static void __exit abba_exit(void)
{
}

module_init(abba_init);
module_exit(abba_exit);
MODULE_LICENSE("GPL");
