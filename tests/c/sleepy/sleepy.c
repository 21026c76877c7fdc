// SPDX-License-Identifier: GPL-2.0
/*
 * sleepy: readers of /dev/sleepy sleep until somebody writes to it.
 *
 * Every write wakes all the readers, and schedules work that starts a
 * timer, "whee", which re-arms itself every few seconds, counts, and
 * dumps its stack. rmmod stops it.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/timer.h>
#include <linux/uaccess.h>

MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("readers sleep until a writer comes");

static int sleepy_major;
static DECLARE_WAIT_QUEUE_HEAD(wq);
static unsigned long writes;		/* how many writes so far */
static struct timer_list whee_timer;
static int whee_count;
static bool stopping;

static void whee(struct timer_list *t)
{
	whee_count++;
	printk(KERN_INFO "sleepy: whee %d\n", whee_count);
	dump_stack();
	if (!READ_ONCE(stopping))
		mod_timer(&whee_timer, jiffies + 3 * HZ);
}

static void start_whee(struct work_struct *work)
{
	if (!timer_pending(&whee_timer) && !READ_ONCE(stopping))
		mod_timer(&whee_timer, jiffies + HZ);
}

static DECLARE_WORK(whee_work, start_whee);

static int sleepy_open(struct inode *inode, struct file *filp)
{
	/* A reader waits for the writes after it opened. */
	filp->private_data = (void *)READ_ONCE(writes);
	return 0;
}

static ssize_t sleepy_read(struct file *filp, char __user *buf, size_t count, loff_t *pos)
{
	unsigned long seen = (unsigned long)filp->private_data;
	char line[64];
	int len;

	if (*pos > 0)
		return 0;	/* one line per open: then EOF */
	printk(KERN_DEBUG "process %i (%s) going to sleep\n", current->pid, current->comm);
	if (wait_event_interruptible(wq, READ_ONCE(writes) != seen))
		return -ERESTARTSYS;
	printk(KERN_DEBUG "awoken %i (%s)\n", current->pid, current->comm);
	len = snprintf(line, sizeof(line), "awoken after write %lu\n", READ_ONCE(writes));
	if (len > count)
		len = count;
	if (copy_to_user(buf, line, len))
		return -EFAULT;
	*pos += len;
	return len;
}

static ssize_t sleepy_write(struct file *filp, const char __user *buf, size_t count, loff_t *pos)
{
	printk(KERN_DEBUG "process %i (%s) awakening the readers...\n", current->pid, current->comm);
	WRITE_ONCE(writes, writes + 1);
	wake_up_interruptible(&wq);
	schedule_work(&whee_work);
	return count;	/* succeed, to avoid retrial */
}

static const struct file_operations sleepy_fops = {
	.owner = THIS_MODULE,
	.open = sleepy_open,
	.read = sleepy_read,
	.write = sleepy_write,
};

static int __init sleepy_init(void)
{
	int result = register_chrdev(0, "sleepy", &sleepy_fops);

	if (result < 0)
		return result;
	sleepy_major = result;
	timer_setup(&whee_timer, whee, 0);
	printk(KERN_INFO "sleepy: major %d\n", sleepy_major);
	return 0;
}

static void __exit sleepy_exit(void)
{
	WRITE_ONCE(stopping, true);
	cancel_work_sync(&whee_work);
	del_timer_sync(&whee_timer);
	unregister_chrdev(sleepy_major, "sleepy");
	printk(KERN_INFO "sleepy: whee ran %d times\n", whee_count);
}

module_init(sleepy_init);
module_exit(sleepy_exit);
