/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device classes and devices: device_create makes /dev/NAME for a device
 * number, as udev does on a real system; device_destroy takes it away.
 * class_create takes (owner, name) before 6.4 and (name) since.
 */
#ifndef _LINUX_DEVICE_H
#define _LINUX_DEVICE_H

#include <linux/fs.h>
#include <linux/err.h>
#include <linux/version.h>

struct device {
	dev_t devt;
	struct class *class;
	struct device *parent;
	void *driver_data;
	modhost_handle_t __handle;	/* the host's /dev node */
	struct device *__next;		/* in its class */
	char __name[64];
};

struct class {
	const char *name;
	struct device *__devices;	/* kbuild/lib's list, for device_destroy */
};

struct class *__modhost_class_create(const char *name, struct modhost_site site);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define class_create(name)		__modhost_class_create(name, MODHOST_SITE())
#else
#define class_create(owner, name)	((void)(owner), __modhost_class_create(name, MODHOST_SITE()))
#endif
void class_destroy(const struct class *cls);

__printf(6, 7) struct device *__modhost_device_create(const struct class *cls, struct device *parent, dev_t devt,
						      void *drvdata, struct modhost_site site, const char *fmt, ...);
#define device_create(cls, parent, devt, drvdata, ...) \
	__modhost_device_create(cls, parent, devt, drvdata, MODHOST_SITE(), __VA_ARGS__)
void device_destroy(const struct class *cls, dev_t devt);
void device_unregister(struct device *dev);

static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}

static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

static inline const char *dev_name(const struct device *dev)
{
	return dev->__name;
}

#endif
