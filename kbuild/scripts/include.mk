# SPDX-License-Identifier: GPL-2.0-only
# What every kbuild makefile shares: paths, the compiler's flags, and the
# kernel's way of running a command (quiet line or, with V=1, the command;
# rerun only when a prerequisite or the command itself changed).

srctree := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
checkout := $(abspath $(srctree)/..)
libkernel := $(checkout)/target/kbuild/libkernel.a

ifneq ($(filter default undefined,$(origin CC)),)
CC := gcc
endif
ifneq ($(filter default undefined,$(origin AR)),)
AR := ar
endif

# The kernel generation the headers present: MODHOST_KERNEL=4.4 and the
# like; 6.12 when unset.
kernel-version := $(subst ., ,$(or $(MODHOST_KERNEL),6.12)) 0 0
ifneq ($(shell echo '$(call escsq,$(MODHOST_KERNEL))' | grep -Eqx '([0-9]+(\.[0-9]+){1,2})?' || echo bad),)
$(error kbuild: MODHOST_KERNEL=$(MODHOST_KERNEL) is not a kernel version such as 6.12 or 4.4)
endif
KERNELRELEASE := $(word 1,$(kernel-version)).$(word 2,$(kernel-version)).$(word 3,$(kernel-version))-modhost
linux-version-code = $(shell expr $(word 1,$(kernel-version)) \* 65536 + $(word 2,$(kernel-version)) \* 256 + $(word 3,$(kernel-version)))

# The kernel's flavour of flags: no libc headers, no implicit declarations.
KBUILD_CFLAGS := -std=gnu11 -nostdinc -I$(srctree)/include \
	-include $(srctree)/include/linux/kconfig.h -D__KERNEL__ \
	-fPIC -fvisibility=hidden -fno-strict-aliasing -fno-common \
	-fno-stack-protector -fno-omit-frame-pointer -ffreestanding -g -O2 \
	-Wall -Wundef -Werror=implicit-function-declaration -Werror=implicit-int \
	-Werror=return-type -Wno-format-security -Wno-pointer-sign \
	-Wno-error=incompatible-pointer-types

# KASAN=1: every load and store of the module's code (not lib/'s) calls
# __asan_{load,store}N_noabort (lib/kasan.c), which asks the host: outline
# mode, and no stack or global redzones, which would need shadow memory.
# The shadow offset is required by the flag and unused (no inline checks);
# it is the kernel's, which no user-space address maps, so that a stray
# shadow access would fault rather than scribble.
ifneq ($(filter-out 0 1,$(KASAN)),)
$(error kbuild: KASAN=$(KASAN): say KASAN=1 to check the module's memory accesses, or nothing)
endif
CFLAGS_KASAN := -fsanitize=kernel-address -fasan-shadow-offset=0xdffffc0000000000 \
	--param asan-instrumentation-with-call-threshold=0 \
	--param asan-stack=0 --param asan-globals=0

# V=1 (or KBUILD_VERBOSE=1) prints the commands; make -s prints nothing.
V ?= $(KBUILD_VERBOSE)
ifeq ($(V),1)
Q :=
quiet :=
else
Q := @
quiet := quiet_
endif
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
quiet := silent_
endif

empty :=
space := $(empty) $(empty)
space_escape := _-_SPACE_-_
pound := \#
comma := ,
escsq = $(subst ','\'',$(1))

dot-target = $(dir $@).$(notdir $@)
depfile = $(dot-target).d

# The quiet line (`  CC [M]  /path/fifo.o`), or with V=1 the command.
echo-cmd = $(if $($(quiet)cmd_$(1)),echo '  $(call escsq,$($(quiet)cmd_$(1)))';)
cmd = @set -e; $(echo-cmd) $(cmd_$(1))

# The command as make reads it back from .TARGET.cmd.
make-cmd = $(call escsq,$(subst $(pound),$$(pound),$(subst $$,$$$$,$(cmd_$(1)))))

# A prerequisite newer than the target or missing, or another command than
# the one .TARGET.cmd saved: then the target is remade.
newer-prereqs = $(filter-out FORCE,$?)
cmd-check = $(filter-out $(subst $(space),$(space_escape),$(strip $(savedcmd_$@))), \
	$(subst $(space),$(space_escape),$(strip $(cmd_$(1)))))$(filter-out \
	$(subst $(space),$(space_escape),$(strip $(cmd_$(1)))), \
	$(subst $(space),$(space_escape),$(strip $(savedcmd_$@))))
if-changed-cond = $(newer-prereqs)$(cmd-check)$(if $(wildcard $@),,missing)

# Runs cmd_$(1) when needed and saves it in .TARGET.cmd.
if_changed = $(if $(if-changed-cond),@set -e; $(echo-cmd) $(cmd_$(1)); \
	printf '%s\n' 'savedcmd_$@ := $(make-cmd)' > $(dot-target).cmd, @:)

# The same, with the headers gcc read (-MD -MP) saved too.
if_changed_dep = $(if $(if-changed-cond),@set -e; $(echo-cmd) $(cmd_$(1)); \
	{ printf '%s\n' 'savedcmd_$@ := $(make-cmd)'; cat $(depfile); } > $(dot-target).cmd; \
	rm -f $(depfile), @:)

cmd-files = $(foreach f,$(1),$(dir $(f)).$(notdir $(f)).cmd)

PHONY += FORCE
FORCE:
