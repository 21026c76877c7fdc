/* Measuring time: ktime, timespec64, and jiffies conversions. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/jiffies.h>
#include <linux/delay.h>

MODULE_LICENSE("GPL");

static int __init time_init(void)
{
	ktime_t start = ktime_get(), end;
	struct timespec64 ts;
	u64 j = get_jiffies_64();

	mdelay(2);
	end = ktime_get();
	ktime_get_ts64(&ts);
	pr_info("took %lld ns (%lld us, %lld ms); uptime %lld.%09ld s\n", ktime_to_ns(ktime_sub(end, start)),
		ktime_us_delta(end, start), ktime_to_ms(ktime_sub(end, start)), (long long)ts.tv_sec, ts.tv_nsec);
	pr_info("HZ %d: 10 ms = %lu jiffies, %u jiffies = %u us; %llu ns since load\n", HZ, msecs_to_jiffies(10),
		3, jiffies_to_usecs(3), ktime_get_ns() - ktime_to_ns(start));
	pr_info("in range: %d\n", time_in_range(jiffies, (unsigned long)j, jiffies + 1));
	ts = ns_to_timespec64(ktime_get_boottime_ns());
	pr_info("%lu jiffies\n", timespec64_to_jiffies(&ts));
	return 0;
}

module_init(time_init);
