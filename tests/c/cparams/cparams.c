// SPDX-License-Identifier: GPL-2.0
/* Parameters of every kind, with the defaults students give them: a NULL
 * charp, an array that starts empty. init and exit print what they see. */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Parameters of every kind");

static int rate = 5;
module_param(rate, int, 0644);
MODULE_PARM_DESC(rate, "Items per second");
static char *item;
module_param(item, charp, 0444);
static char *label = "lab";
module_param(label, charp, 0644);
static int ids[4];
static unsigned int nids;
module_param_array(ids, int, &nids, 0444);
static char tag[8] = "t";
module_param_string(tag, tag, sizeof(tag), 0644);
static bool verbose;
module_param(verbose, bool, 0644);
static unsigned int mask = 0x10;
module_param(mask, hexint, 0444);

static void show(const char *when)
{
	pr_info("%s: rate=%d item=%s label=%s ids=%u:%d,%d tag=%s verbose=%d mask=%#x\n", when, rate,
		item, label, nids, ids[0], ids[1], tag, verbose, mask);
}

static int __init cparams_init(void)
{
	show("init");
	return 0;
}

static void __exit cparams_exit(void)
{
	show("exit");
}

module_init(cparams_init);
module_exit(cparams_exit);
