// SPDX-License-Identifier: GPL-2.0
/* A parameter whose set operation writes through NULL: the /sys write fails, rmmod works. */
#include <linux/module.h>
#include <linux/moduleparam.h>

static int *target;
static int poke;

static int poke_set(const char *val, const struct kernel_param *kp)
{
	*target = 1;
	return param_set_int(val, kp);
}

static const struct kernel_param_ops poke_ops = {
	.set = poke_set,
	.get = param_get_int,
};
module_param_cb(poke, &poke_ops, &poke, 0644);

static int __init null_param_init(void)
{
	return 0;
}

static void __exit null_param_exit(void)
{
	pr_info("exit\n");
}

module_init(null_param_init);
module_exit(null_param_exit);
MODULE_LICENSE("GPL");
