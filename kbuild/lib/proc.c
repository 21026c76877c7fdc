// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc files with file operations: proc_create with a struct proc_ops
 * (5.6 and later) or a struct file_operations (before), their data
 * (pde_data), and their removal by pointer or by name.
 *
 * A struct proc_dir_entry is kbuild/lib's, in module memory: the host's
 * entry handle, the operations and the data, on a list so that
 * remove_proc_entry finds it by name. The host calls its trampoline with
 * the entry as context; OPEN puts the data into inode->i_private.
 *
 * Kernel counterpart: fs/proc/generic.c, fs/proc/inode.c.
 */
#include <linux/bug.h>
#include <linux/proc_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "fs.h"
#include "internal.h"

struct proc_dir_entry {
	modhost_handle_t handle;
	struct modhost_file_source source;
	char *name;
	struct proc_dir_entry *next;
};

static struct proc_dir_entry *entries;
static int entries_lock;

static s64 proc_trampoline(const void *context, struct modhost_file_call *call)
{
	const struct proc_dir_entry *pde = context;

	if (call->op == MODHOST_FILE_OPEN)
		return modhost_file_open(call, &pde->source);
	return modhost_file_call(call);
}

static struct proc_dir_entry *proc_create_source(const char *name, umode_t mode, struct proc_dir_entry *parent,
						 const struct modhost_file_source *source, struct modhost_site site)
{
	struct proc_dir_entry *pde;
	struct modhost_file_ops ops;

	if (parent) {
		__modhost_warn(site, "proc_create: modhost's /proc has no directories; '%s' needs a NULL parent", name);
		return NULL;
	}
	pde = mh_call(mem, kmalloc, sizeof(*pde), GFP_KERNEL | __GFP_ZERO, site);
	if (!pde)
		return NULL;
	pde->name = __modhost_kstrdup(name, GFP_KERNEL, site);
	pde->source = *source;
	ops = (struct modhost_file_ops){ proc_trampoline, pde };
	pde->handle = pde->name ? mh_call(dev, proc_create_ops, modhost_str(name), mode, ops, site) : 0;
	if (!pde->handle) {
		mh_call(mem, kfree, pde->name, site);
		mh_call(mem, kfree, pde, site);
		return NULL;
	}
	mh_lock(&entries_lock);
	pde->next = entries;
	entries = pde;
	mh_unlock(&entries_lock);
	return pde;
}

struct proc_dir_entry *__modhost_proc_create_ops(const char *name, umode_t mode, struct proc_dir_entry *parent,
						 const struct proc_ops *ops, void *data, struct modhost_site site)
{
	struct modhost_file_source source = { .proc_ops = ops, .data = data };

	return proc_create_source(name, mode, parent, &source, site);
}

struct proc_dir_entry *__modhost_proc_create_fops(const char *name, umode_t mode, struct proc_dir_entry *parent,
						  const struct file_operations *fops, void *data,
						  struct modhost_site site)
{
	struct modhost_file_source source = { .fops = fops, .data = data };

	return proc_create_source(name, mode, parent, &source, site);
}

/* Takes the entry named `name` (or `pde` itself) off the list. */
static struct proc_dir_entry *unlist(const struct proc_dir_entry *pde, const char *name)
{
	struct proc_dir_entry **link, *found = NULL;

	mh_lock(&entries_lock);
	for (link = &entries; *link; link = &(*link)->next) {
		if (*link == pde || (name && !strcmp((*link)->name, name))) {
			found = *link;
			*link = found->next;
			break;
		}
	}
	mh_unlock(&entries_lock);
	return found;
}

static void proc_free(struct proc_dir_entry *pde, struct modhost_site site)
{
	mh_call(proc, proc_remove, pde->handle, site);
	mh_call(mem, kfree, pde->name, site);
	mh_call(mem, kfree, pde, site);
}

void __modhost_proc_remove(struct proc_dir_entry *entry, struct modhost_site site)
{
	struct proc_dir_entry *pde;

	if (!entry)
		return;
	pde = unlist(entry, NULL);
	if (pde)
		proc_free(pde, site);
}

void __modhost_remove_proc_entry(const char *name, struct proc_dir_entry *parent, struct modhost_site site)
{
	struct proc_dir_entry *pde = parent ? NULL : unlist(NULL, name);

	if (!pde) {
		__modhost_warn(site, "name '%s'", name);
		return;
	}
	proc_free(pde, site);
}
