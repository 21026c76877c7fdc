// SPDX-License-Identifier: GPL-2.0-only
/*
 * Character devices over the host's dev group: device number regions,
 * cdevs, register_chrdev, device classes and devices (/dev nodes), misc
 * devices.
 *
 * The host keeps the regions, cdevs and nodes (and reports what a module
 * leaves registered at unload); this file keeps only what the kernel API
 * needs to find them again by number: register_chrdev's records, a
 * class's devices. The host calls a cdev's trampoline with the struct
 * cdev (or struct miscdevice) as context: OPEN sets inode->i_cdev (or
 * file->private_data, as misc_open does) and calls the module's open.
 *
 * Kernel counterpart: fs/char_dev.c, drivers/base/core.c, drivers/base/class.c,
 * drivers/char/misc.c.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include "fs.h"
#include "internal.h"

int __modhost_register_chrdev_region(dev_t from, unsigned int count, const char *name, struct modhost_site site)
{
	long long ret = mh_call(dev, register_chrdev_region, from, count, modhost_str(name), site);

	return ret < 0 ? (int)ret : 0;
}

int __modhost_alloc_chrdev_region(dev_t *dev, unsigned int baseminor, unsigned int count, const char *name,
				  struct modhost_site site)
{
	long long ret = mh_call(dev, register_chrdev_region, MKDEV(0, baseminor), count, modhost_str(name), site);

	if (ret < 0)
		return (int)ret;
	*dev = (dev_t)ret;
	return 0;
}

void __modhost_unregister_chrdev_region(dev_t from, unsigned int count, struct modhost_site site)
{
	mh_call(dev, unregister_chrdev_region, from, count, site);
}

static s64 cdev_trampoline(const void *context, struct modhost_file_call *call)
{
	struct cdev *cdev = (struct cdev *)context;
	struct modhost_file_source source = { .fops = cdev->ops, .cdev = cdev };

	if (call->op == MODHOST_FILE_OPEN)
		return modhost_file_open(call, &source);
	return modhost_file_call(call);
}

void cdev_init(struct cdev *cdev, const struct file_operations *fops)
{
	__builtin_memset(cdev, 0, sizeof(*cdev));
	cdev->ops = fops;
}

struct cdev *__modhost_cdev_alloc(struct modhost_site site)
{
	struct cdev *cdev = mh_call(mem, kmalloc, sizeof(*cdev), GFP_KERNEL | __GFP_ZERO, site);

	if (cdev)
		cdev->__allocated = true;
	return cdev;
}

int __modhost_cdev_add(struct cdev *p, dev_t dev, unsigned int count, struct modhost_site site)
{
	struct modhost_file_ops ops = { cdev_trampoline, p };

	p->dev = dev;
	p->count = count;
	p->__handle = mh_call(dev, cdev_add, dev, count, ops, site);
	return p->__handle ? 0 : -EBUSY;
}

void __modhost_cdev_del(struct cdev *p, struct modhost_site site)
{
	if (p->__handle)
		mh_call(dev, cdev_del, p->__handle, site);
	p->__handle = 0;
	if (p->__allocated)
		mh_call(mem, kfree, p, site);
}

/* One register_chrdev: its cdev and /dev node, found again by major. */
struct chrdev {
	struct cdev cdev;
	modhost_handle_t node;
	unsigned int major, baseminor, count;
	struct chrdev *next;
};

static struct chrdev *chrdevs;
static int chrdevs_lock;

int __modhost_register_chrdev(unsigned int major, unsigned int baseminor, unsigned int count, const char *name,
			      const struct file_operations *fops, struct modhost_site site)
{
	long long first = mh_call(dev, register_chrdev_region, MKDEV(major, baseminor), count, modhost_str(name), site);
	struct chrdev *cd;

	if (first < 0)
		return (int)first;
	cd = mh_call(mem, kmalloc, sizeof(*cd), GFP_KERNEL | __GFP_ZERO, site);
	if (!cd) {
		mh_call(dev, unregister_chrdev_region, (u32)first, count, site);
		return -ENOMEM;
	}
	cdev_init(&cd->cdev, fops);
	cd->major = MAJOR((dev_t)first);
	cd->baseminor = baseminor;
	cd->count = count;
	if (__modhost_cdev_add(&cd->cdev, (dev_t)first, count, site)) {
		mh_call(dev, unregister_chrdev_region, (u32)first, count, site);
		mh_call(mem, kfree, cd, site);
		return -EBUSY;
	}
	/* What mknod /dev/NAME c MAJOR 0 would make; a taken name is no failure. */
	cd->node = mh_call(dev, device_create, (u32)first, modhost_str(name), site);
	mh_lock(&chrdevs_lock);
	cd->next = chrdevs;
	chrdevs = cd;
	mh_unlock(&chrdevs_lock);
	return major ? 0 : (int)cd->major;
}

void __modhost_unregister_chrdev(unsigned int major, unsigned int baseminor, unsigned int count, const char *name,
				 struct modhost_site site)
{
	struct chrdev **link, *cd = NULL;

	(void)name;
	mh_lock(&chrdevs_lock);
	for (link = &chrdevs; *link; link = &(*link)->next) {
		if ((*link)->major == major && (*link)->baseminor == baseminor && (*link)->count == count) {
			cd = *link;
			*link = cd->next;
			break;
		}
	}
	mh_unlock(&chrdevs_lock);
	if (!cd) {
		/* The host reports the region nobody registered. */
		mh_call(dev, unregister_chrdev_region, MKDEV(major, baseminor), count, site);
		return;
	}
	if (cd->node)
		mh_call(dev, device_destroy, cd->node, site);
	__modhost_cdev_del(&cd->cdev, site);
	mh_call(dev, unregister_chrdev_region, MKDEV(major, baseminor), count, site);
	mh_call(mem, kfree, cd, site);
}

struct class *__modhost_class_create(const char *name, struct modhost_site site)
{
	struct class *cls = mh_call(mem, kmalloc, sizeof(*cls), GFP_KERNEL | __GFP_ZERO, site);

	if (!cls)
		return ERR_PTR(-ENOMEM);
	cls->name = name;
	return cls;
}

static void device_free(struct device *dev, struct modhost_site site)
{
	if (dev->__handle)
		mh_call(dev, device_destroy, dev->__handle, site);
	mh_call(mem, kfree, dev, site);
}

void class_destroy(const struct class *cls)
{
	struct class *c = (struct class *)cls;

	if (IS_ERR_OR_NULL(cls))
		return;
	while (c->__devices) {
		struct device *dev = c->__devices;

		c->__devices = dev->__next;
		device_free(dev, MODHOST_SITE());
	}
	mh_call(mem, kfree, c, MODHOST_SITE());
}

static int classes_lock;

struct device *__modhost_device_create(const struct class *cls, struct device *parent, dev_t devt, void *drvdata,
				       struct modhost_site site, const char *fmt, ...)
{
	struct class *c = (struct class *)cls;
	struct device *dev = mh_call(mem, kmalloc, sizeof(*dev), GFP_KERNEL | __GFP_ZERO, site);
	va_list args;

	if (!dev)
		return ERR_PTR(-ENOMEM);
	va_start(args, fmt);
	vsnprintf(dev->__name, sizeof(dev->__name), fmt, args);
	va_end(args);
	dev->devt = devt;
	dev->class = c;
	dev->parent = parent;
	dev->driver_data = drvdata;
	if (devt) {
		dev->__handle = mh_call(dev, device_create, devt, modhost_str(dev->__name), site);
		if (!dev->__handle) {
			mh_call(mem, kfree, dev, site);
			return ERR_PTR(-EEXIST);
		}
	}
	if (!IS_ERR_OR_NULL(c)) {
		mh_lock(&classes_lock);
		dev->__next = c->__devices;
		c->__devices = dev;
		mh_unlock(&classes_lock);
	}
	return dev;
}

/* Takes dev off its class's list; whether it was there. */
static bool device_unlink(struct device *dev)
{
	struct device **link;
	bool found = false;

	if (IS_ERR_OR_NULL(dev->class))
		return false;
	mh_lock(&classes_lock);
	for (link = &dev->class->__devices; *link; link = &(*link)->__next) {
		if (*link == dev) {
			*link = dev->__next;
			found = true;
			break;
		}
	}
	mh_unlock(&classes_lock);
	return found;
}

void device_destroy(const struct class *cls, dev_t devt)
{
	struct device *dev;

	if (IS_ERR_OR_NULL(cls))
		return;
	mh_lock(&classes_lock);
	for (dev = cls->__devices; dev; dev = dev->__next)
		if (dev->devt == devt)
			break;
	mh_unlock(&classes_lock);
	if (dev && device_unlink(dev))
		device_free(dev, MODHOST_SITE());
}

void device_unregister(struct device *dev)
{
	if (IS_ERR_OR_NULL(dev))
		return;
	device_unlink(dev);
	device_free(dev, MODHOST_SITE());
}

static s64 misc_trampoline(const void *context, struct modhost_file_call *call)
{
	struct miscdevice *misc = (struct miscdevice *)context;
	struct modhost_file_source source = { .fops = misc->fops, .private_data = misc };

	if (call->op == MODHOST_FILE_OPEN)
		return modhost_file_open(call, &source);
	return modhost_file_call(call);
}

/* The first misc dynamic minor, as 6.x allocates them. */
#define MISC_FIRST_DYNAMIC	(MISC_DYNAMIC_MINOR + 1)
#define MISC_LAST_DYNAMIC	1023

static long long misc_region(struct miscdevice *misc, struct modhost_site site)
{
	unsigned int minor;
	long long ret;

	if (!misc->__dynamic)
		return mh_call(dev, register_chrdev_region, MKDEV(MISC_MAJOR, misc->minor), 1, modhost_str("misc"), site);
	for (minor = MISC_FIRST_DYNAMIC; minor <= MISC_LAST_DYNAMIC; minor++) {
		ret = mh_call(dev, register_chrdev_region, MKDEV(MISC_MAJOR, minor), 1, modhost_str("misc"), site);
		if (ret != -EBUSY)
			return ret;
	}
	return -EBUSY;
}

int __modhost_misc_register(struct miscdevice *misc, struct modhost_site site)
{
	struct modhost_file_ops ops = { misc_trampoline, misc };
	long long first;
	dev_t dev;

	misc->__dynamic = misc->minor == MISC_DYNAMIC_MINOR;
	first = misc_region(misc, site);
	if (first < 0)
		return (int)first;
	dev = (dev_t)first;
	misc->minor = MINOR(dev);
	misc->__cdev = mh_call(dev, cdev_add, dev, 1, ops, site);
	if (!misc->__cdev)
		goto busy;
	misc->this_device = __modhost_device_create(NULL, misc->parent, dev, misc, site, "%s",
						    misc->nodename ? misc->nodename : misc->name);
	if (IS_ERR(misc->this_device)) {
		mh_call(dev, cdev_del, misc->__cdev, site);
		goto busy;
	}
	return 0;
busy:
	mh_call(dev, unregister_chrdev_region, dev, 1, site);
	if (misc->__dynamic)
		misc->minor = MISC_DYNAMIC_MINOR;
	misc->this_device = NULL;
	return -EBUSY;
}

void __modhost_misc_deregister(struct miscdevice *misc, struct modhost_site site)
{
	if (!misc->this_device)
		return;
	device_free(misc->this_device, site);
	misc->this_device = NULL;
	mh_call(dev, cdev_del, misc->__cdev, site);
	misc->__cdev = 0;
	mh_call(dev, unregister_chrdev_region, MKDEV(MISC_MAJOR, misc->minor), 1, site);
	if (misc->__dynamic)
		misc->minor = MISC_DYNAMIC_MINOR;
}
