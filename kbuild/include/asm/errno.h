/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* x86's error numbers are the generic ones. */
#include <asm-generic/errno.h>
