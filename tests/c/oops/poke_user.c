// SPDX-License-Identifier: GPL-2.0
/* Calls poke(NULL, ...) of poke_export from its own work item. */
#include <linux/module.h>
#include <linux/workqueue.h>

extern void poke(int *where, int value);

static struct work_struct poke_work;

static void poke_null(struct work_struct *work)
{
	pr_info("poking NULL\n");
	poke(NULL, 1);
	pr_info("poked\n");
}

static int __init poke_user_init(void)
{
	INIT_WORK(&poke_work, poke_null);
	schedule_work(&poke_work);
	return 0;
}

static void __exit poke_user_exit(void)
{
}

module_init(poke_user_init);
module_exit(poke_user_exit);
MODULE_LICENSE("GPL");
