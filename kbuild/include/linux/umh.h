/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-mode helpers: programs the kernel runs.
 *
 * call_usermodehelper(path, argv, envp, wait) runs `path` as the host's
 * user with `argv` and exactly `envp` (NULL-terminated arrays), stdin
 * /dev/null, and its stdout and stderr in the kernel log, one line per
 * record, under the module's name. It returns 0 for UMH_NO_WAIT and for a
 * program UMH_WAIT_EXEC saw start; its wait status for UMH_WAIT_PROC (256
 * for `exit 1`); a negative errno if it could not start (-ENOENT for a
 * missing program); -EINTR if the caller was killed while waiting (a
 * forced unload: the program is killed too).
 *
 * call_usermodehelper_setup() + call_usermodehelper_exec() is the
 * two-step form; `init` runs in the caller just before the program starts
 * (there is no new process to run it in: its cred is NULL), `cleanup`
 * after, as the kernel frees the info.
 */
#ifndef __LINUX_UMH_H__
#define __LINUX_UMH_H__

#include <linux/types.h>
#include <linux/errno.h>
#include <modhost/lib.h>

#define UMH_NO_WAIT	0x00	/* don't wait at all */
#define UMH_WAIT_EXEC	0x01	/* wait for the exec, but not the process */
#define UMH_WAIT_PROC	0x02	/* wait for the process to complete */
#define UMH_KILLABLE	0x04	/* wait for EXEC/PROC killable */
#define UMH_FREEZABLE	0x08	/* wait for EXEC/PROC freezable */

struct cred;

struct subprocess_info {
	const char *path;
	char **argv;
	char **envp;
	int wait;
	int retval;
	int (*init)(struct subprocess_info *info, struct cred *new);
	void (*cleanup)(struct subprocess_info *info);
	void *data;
};

int __modhost_call_usermodehelper(const char *path, char **argv, char **envp, int wait,
				  struct modhost_site site);
#define call_usermodehelper(path, argv, envp, wait) \
	__modhost_call_usermodehelper(path, argv, envp, wait, MODHOST_SITE())

struct subprocess_info *call_usermodehelper_setup(const char *path, char **argv, char **envp, gfp_t gfp_mask,
						  int (*init)(struct subprocess_info *info, struct cred *new),
						  void (*cleanup)(struct subprocess_info *info), void *data);

int __modhost_call_usermodehelper_exec(struct subprocess_info *info, int wait, struct modhost_site site);
#define call_usermodehelper_exec(info, wait) __modhost_call_usermodehelper_exec(info, wait, MODHOST_SITE())

#endif /* __LINUX_UMH_H__ */
