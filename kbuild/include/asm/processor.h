/* SPDX-License-Identifier: GPL-2.0-only */
/* cpu_relax(): the x86 spin-wait hint. */
#ifndef _ASM_PROCESSOR_H
#define _ASM_PROCESSOR_H

#define cpu_relax()	__builtin_ia32_pause()

#endif /* _ASM_PROCESSOR_H */
