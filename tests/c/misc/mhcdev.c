// SPDX-License-Identifier: GPL-2.0
/*
 * mhcdev: a character device the long way, as drivers make them: a
 * dynamic region of two minors, one cdev inside the driver's structure,
 * a class, and a device node per minor. Each minor reads back its own
 * line; open finds the driver's structure from inode->i_cdev.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");

#define MINORS 2

struct mhdev {
	char name[16];
	struct cdev cdev;
	int opens;
};

static dev_t first;
static struct mhdev mhdev = { .name = "mhcdev" };
static struct class *mhclass;

static int mhcdev_open(struct inode *inode, struct file *filp)
{
	struct mhdev *dev = container_of(inode->i_cdev, struct mhdev, cdev);

	dev->opens++;
	filp->private_data = dev;
	return 0;
}

static ssize_t mhcdev_read(struct file *filp, char __user *buf, size_t count, loff_t *pos)
{
	struct mhdev *dev = filp->private_data;
	char line[64];
	int len = snprintf(line, sizeof(line), "%s minor %u of major %u, open %d\n", dev->name,
			   iminor(file_inode(filp)), imajor(file_inode(filp)), dev->opens);

	return simple_read_from_buffer(buf, count, pos, line, len);
}

static const struct file_operations mhcdev_fops = {
	.owner = THIS_MODULE,
	.open = mhcdev_open,
	.read = mhcdev_read,
	.llseek = default_llseek,
};

static int __init mhcdev_init(void)
{
	int ret = alloc_chrdev_region(&first, 0, MINORS, "mhcdev");
	int i;

	if (ret)
		return ret;
	cdev_init(&mhdev.cdev, &mhcdev_fops);
	mhdev.cdev.owner = THIS_MODULE;
	ret = cdev_add(&mhdev.cdev, first, MINORS);
	if (ret)
		goto region;
	mhclass = class_create("mhcdev");
	if (IS_ERR(mhclass)) {
		ret = PTR_ERR(mhclass);
		goto cdev;
	}
	for (i = 0; i < MINORS; i++)
		device_create(mhclass, NULL, MKDEV(MAJOR(first), MINOR(first) + i), NULL, "mhcdev%d", i);
	pr_info("mhcdev: major %d\n", MAJOR(first));
	return 0;
cdev:
	cdev_del(&mhdev.cdev);
region:
	unregister_chrdev_region(first, MINORS);
	return ret;
}

static void __exit mhcdev_exit(void)
{
	int i;

	for (i = 0; i < MINORS; i++)
		device_destroy(mhclass, MKDEV(MAJOR(first), MINOR(first) + i));
	class_destroy(mhclass);
	cdev_del(&mhdev.cdev);
	unregister_chrdev_region(first, MINORS);
}

module_init(mhcdev_init);
module_exit(mhcdev_exit);
