// SPDX-License-Identifier: GPL-2.0
/* BUG_ON in a work item: kernel BUG, then invalid opcode. */
#include <linux/module.h>
#include <linux/workqueue.h>
#include <linux/bug.h>

static int count;
static struct work_struct bug_work;

static void check(struct work_struct *work)
{
	BUG_ON(count == 0);
}

static int __init bug_work_init(void)
{
	INIT_WORK(&bug_work, check);
	schedule_work(&bug_work);
	return 0;
}

static void __exit bug_work_exit(void)
{
}

module_init(bug_work_init);
module_exit(bug_work_exit);
MODULE_LICENSE("GPL");
