// SPDX-License-Identifier: GPL-2.0
/*
 * mhmisc: two misc devices.
 *
 * /dev/mhbuf keeps what is written to it (up to 64 bytes) and reads it
 * back, seekable; its ioctl MHBUF_LEN returns the length. /dev/mhbad
 * copies to and from addresses that are not the reader's buffer: each
 * copy must fail with -EFAULT. With forget=1, exit leaves /dev/mhbuf.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>

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

static int __init mhmisc_init(void)
{
	int ret = misc_register(&mhbuf);

	if (ret)
		return ret;
	ret = misc_register(&mhbad);
	if (ret)
		misc_deregister(&mhbuf);
	else
		pr_info("mhmisc: mhbuf is 10:%d, mhbad is 10:%d\n", mhbuf.minor, mhbad.minor);
	return ret;
}

static void __exit mhmisc_exit(void)
{
	misc_deregister(&mhbad);
	if (!forget)
		misc_deregister(&mhbuf);
}

module_init(mhmisc_init);
module_exit(mhmisc_exit);
