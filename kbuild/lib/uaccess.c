// SPDX-License-Identifier: GPL-2.0-only
/*
 * User memory: every copy goes through the host, which checks the range
 * against the user buffer of the file call in progress on this task.
 *
 * Kernel counterpart: lib/usercopy.c, lib/strncpy_from_user.c.
 */
#include <linux/uaccess.h>
#include <modhost/lib.h>

unsigned long __modhost_copy_to_user(void __user *to, const void *from, unsigned long n)
{
	return mh_call(dev, copy_to_user, to, from, n);
}

unsigned long __modhost_copy_from_user(void *to, const void __user *from, unsigned long n)
{
	return mh_call(dev, copy_from_user, to, from, n);
}

unsigned long clear_user(void __user *to, unsigned long n)
{
	static const char zeros[256];
	unsigned long done = 0;

	while (done < n) {
		unsigned long chunk = n - done < sizeof(zeros) ? n - done : sizeof(zeros);
		unsigned long left = copy_to_user((char __user *)to + done, zeros, chunk);

		done += chunk - left;
		if (left)
			break;
	}
	return n - done;
}

long strncpy_from_user(char *dst, const char __user *src, long count)
{
	long i;

	for (i = 0; i < count; i++) {
		if (copy_from_user(&dst[i], src + i, 1))
			return -EFAULT;
		if (!dst[i])
			return i;
	}
	return count;
}
