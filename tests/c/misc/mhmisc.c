// SPDX-License-Identifier: GPL-2.0
/*
 * mhmisc: two misc devices.
 *
 * /dev/mhbuf keeps what is written to it (up to 64 bytes) and reads it
 * back, seekable; its ioctl MHBUF_LEN returns the length. /dev/mhbad
 * copies to and from addresses that are not the reader's buffer: each
 * copy must fail with -EFAULT. A read of /dev/mhstuck sleeps
 * uninterruptibly until unstuck is written to its parameter. With
 * forget=1, exit leaves /dev/mhbuf.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

MODULE_LICENSE("GPL");

/* Forget to deregister /dev/mhbuf at unload (the host removes it). */
static bool forget;
module_param(forget, bool, 0);

#define MHBUF_LEN 0x4d01

static char data[64];
static size_t data_len;
static DEFINE_MUTEX(data_lock);

static ssize_t mhbuf_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
	ssize_t ret;

	mutex_lock(&data_lock);
	ret = simple_read_from_buffer(buf, count, pos, data, data_len);
	mutex_unlock(&data_lock);
	return ret;
}

static ssize_t mhbuf_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
	ssize_t ret;

	mutex_lock(&data_lock);
	ret = simple_write_to_buffer(data, sizeof(data), pos, buf, count);
	if (ret > 0 && *pos > data_len)
		data_len = *pos;
	mutex_unlock(&data_lock);
	return ret;
}

static long mhbuf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd != MHBUF_LEN)
		return -ENOTTY;
	return data_len;
}

static loff_t mhbuf_llseek(struct file *file, loff_t offset, int whence)
{
	return fixed_size_llseek(file, offset, whence, data_len);
}

static const struct file_operations mhbuf_fops = {
	.owner = THIS_MODULE,
	.read = mhbuf_read,
	.write = mhbuf_write,
	.unlocked_ioctl = mhbuf_ioctl,
	.llseek = mhbuf_llseek,
};

static struct miscdevice mhbuf = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mhbuf",
	.fops = &mhbuf_fops,
};

static ssize_t mhbad_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
	int x = 7;

	if (*pos)
		return 0;
	/* Past the end of the reader's buffer, and a pointer of our own. */
	if (copy_to_user(buf + count, "x", 1) != 1)
		return -EIO;
	if (put_user(x, (int __user *)data) != -EFAULT)
		return -EIO;
	if (get_user(x, (int __user *)NULL) != -EFAULT || x != 0)
		return -EIO;
	if (clear_user(buf + count, 4) != 4)
		return -EIO;
	/* Inside it, copies work. */
	if (count < 3 || put_user('!', buf))
		return -EIO;
	if (copy_to_user(buf, "bad", 3))
		return -EFAULT;
	*pos += 3;
	return 3;
}

static const struct file_operations mhbad_fops = {
	.owner = THIS_MODULE,
	.read = mhbad_read,
};

static struct miscdevice mhbad = {
	.minor = 42,
	.name = "mhbad",
	.fops = &mhbad_fops,
};

static bool unstuck;
static DECLARE_WAIT_QUEUE_HEAD(stuck_wq);

static int unstuck_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	wake_up(&stuck_wq);
	return ret;
}

static const struct kernel_param_ops unstuck_ops = {
	.set = unstuck_set,
	.get = param_get_bool,
};
module_param_cb(unstuck, &unstuck_ops, &unstuck, 0644);
/* modhost's loader wants a type for every parameter (the kernel does not). */
__MODULE_PARM_TYPE(unstuck, "bool");

static ssize_t mhstuck_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
	wait_event(stuck_wq, READ_ONCE(unstuck));
	return 0;
}

static const struct file_operations mhstuck_fops = {
	.owner = THIS_MODULE,
	.read = mhstuck_read,
};

static struct miscdevice mhstuck = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mhstuck",
	.fops = &mhstuck_fops,
};

static int __init mhmisc_init(void)
{
	int ret = misc_register(&mhbuf);

	if (ret)
		return ret;
	ret = misc_register(&mhbad);
	if (ret)
		goto buf;
	ret = misc_register(&mhstuck);
	if (ret)
		goto bad;
	pr_info("mhmisc: mhbuf is 10:%d, mhbad is 10:%d\n", mhbuf.minor, mhbad.minor);
	return 0;
bad:
	misc_deregister(&mhbad);
buf:
	misc_deregister(&mhbuf);
	return ret;
}

static void __exit mhmisc_exit(void)
{
	misc_deregister(&mhstuck);
	misc_deregister(&mhbad);
	if (!forget)
		misc_deregister(&mhbuf);
}

module_init(mhmisc_init);
module_exit(mhmisc_exit);
