// SPDX-License-Identifier: GPL-2.0-only
/*
 * Completions over the host's.
 *
 * Kernel counterpart: kernel/sched/completion.c.
 */
#include <linux/completion.h>
#include "object.h"

static modhost_handle_t make_completion(const void *object, struct modhost_site site)
{
	(void)object;
	return mh_call(wait, init_completion, site);
}

static modhost_handle_t completion_handle(struct completion *x, struct modhost_site site)
{
	return modhost_object(&x->__handle, x->__static, x, make_completion,
			      __modhost_services->wait->completion_free, site);
}

void __modhost_init_completion(struct completion *x, struct modhost_site site)
{
	x->__static = 0;
	modhost_object_made(&x->__handle, x, make_completion(x, site));
}

void __modhost_reinit_completion(struct completion *x, struct modhost_site site)
{
	mh_call(wait, reinit_completion, completion_handle(x, site), site);
}

void __modhost_complete(struct completion *x, bool all, struct modhost_site site)
{
	if (all)
		mh_call(wait, complete_all, completion_handle(x, site), site);
	else
		mh_call(wait, complete, completion_handle(x, site), site);
}

long __modhost_wait_for_completion(struct completion *x, unsigned int state, long timeout,
				   struct modhost_site site)
{
	return mh_call(wait, wait_for_completion, completion_handle(x, site), modhost_sleep_mode(state),
		       modhost_timeout(timeout), site);
}

bool __modhost_completion_done(struct completion *x, struct modhost_site site)
{
	return mh_call(wait, completion_done, completion_handle(x, site), site);
}

bool __modhost_try_wait_for_completion(struct completion *x, struct modhost_site site)
{
	return mh_call(wait, try_wait_for_completion, completion_handle(x, site), site);
}
