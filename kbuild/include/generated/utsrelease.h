/* SPDX-License-Identifier: GPL-2.0 */
/* The release string of the generation built for (see <linux/version.h>):
 * kbuild passes -DMODHOST_UTS_RELEASE="a.b.c" along with the version code. */
#ifndef _GENERATED_UTSRELEASE_H
#define _GENERATED_UTSRELEASE_H

#ifdef MODHOST_UTS_RELEASE
#define UTS_RELEASE MODHOST_UTS_RELEASE
#else
#define UTS_RELEASE "6.12.0"
#endif

#endif
