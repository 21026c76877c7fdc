# SPDX-License-Identifier: GPL-2.0-only
# lib/*.c (the kernel's library and the API over the host's table) into
# <checkout>/target/kbuild/libkernel.a, which every module links. Run
# under flock by ../Makefile; rebuilt when a source, a header or a flag
# changed. The archive is replaced whole, so a reader never sees half.

MAKEFLAGS += -rR --no-print-directory
include $(dir $(lastword $(MAKEFILE_LIST)))include.mk
.DEFAULT_GOAL := __lib

lib-objdir := $(dir $(libkernel))lib
lib-srcs := $(sort $(wildcard $(srctree)/lib/*.c))
lib-objs := $(patsubst $(srctree)/lib/%.c,$(lib-objdir)/%.o,$(lib-srcs))

__lib: $(libkernel)

quiet_cmd_cc_o_c = CC      $@
      cmd_cc_o_c = $(CC) $(KBUILD_CFLAGS) -DKBUILD_MODNAME='"kernel"' \
		-DKBUILD_BASENAME='"$(basename $(notdir $@))"' -fmacro-prefix-map=$(srctree)/= \
		-MD -MP -MF $(depfile) -c -o $@ $<

$(lib-objs): $(lib-objdir)/%.o: $(srctree)/lib/%.c FORCE
	@mkdir -p $(dir $@)
	$(call if_changed_dep,cc_o_c)

quiet_cmd_ar = AR      $@
      cmd_ar = rm -f $@.tmp && $(AR) rcs $@.tmp $(lib-objs) && mv -f $@.tmp $@

$(libkernel): $(lib-objs) FORCE
	$(call if_changed,ar)

-include $(call cmd-files,$(lib-objs) $(libkernel))

.PHONY: __lib $(PHONY)
