/* The lab era's time of day: do_gettimeofday.
 * modhost-kernel: 4.4
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/time.h>

MODULE_LICENSE("GPL");

static int __init stamp_init(void)
{
	struct timeval tv;

	do_gettimeofday(&tv);
	pr_info("loaded at %ld.%06ld\n", (long)tv.tv_sec, tv.tv_usec);
	return 0;
}

module_init(stamp_init);
