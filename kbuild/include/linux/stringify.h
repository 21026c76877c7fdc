/* SPDX-License-Identifier: GPL-2.0 */
/* __stringify(x): the text of x after macro expansion. */
#ifndef __LINUX_STRINGIFY_H
#define __LINUX_STRINGIFY_H

#include <linux/compiler.h>	/* __stringify, __PASTE */

#define FILE_LINE __FILE__ ":" __stringify(__LINE__)

#endif
