// SPDX-License-Identifier: GPL-2.0
/* Exports poke(), which writes where it is told: a NULL makes it fault on its caller's task. */
#include <linux/module.h>

void poke(int *where, int value)
{
	*where = value;
}
EXPORT_SYMBOL(poke);

static int __init poke_export_init(void)
{
	return 0;
}

static void __exit poke_export_exit(void)
{
}

module_init(poke_export_init);
module_exit(poke_export_exit);
MODULE_LICENSE("GPL");
