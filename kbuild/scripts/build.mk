# SPDX-License-Identifier: GPL-2.0-only
# The module directory's part of a build, run there by ../Makefile:
# read its Kbuild or Makefile for obj-m and friends, compile each module's
# objects, write NAME.mod (the objects of NAME.ko) and modules.order, and
# run modpost, which writes each NAME.mod.c and Module.symvers.
# `__clean` removes all of that.

MAKEFLAGS += -rR --no-print-directory
include $(dir $(lastword $(MAKEFILE_LIST)))include.mk
.DEFAULT_GOAL := __modules

src := $(KBUILD_EXTMOD)
obj := $(KBUILD_EXTMOD)

# The module's own makefile, for its variables: KERNELRELEASE is set, so
# the usual `ifneq ($(KERNELRELEASE),)` part is the one read.
kbuild-file := $(firstword $(wildcard $(src)/Kbuild $(src)/Makefile $(src)/makefile))
ifeq ($(kbuild-file),)
$(error kbuild: $(src) has no Kbuild or Makefile)
endif
include $(kbuild-file)

# `foo.o` in obj-m is built from foo.c, or from foo-y / foo-objs, every
# path relative to this directory.
modules := $(abspath $(addprefix $(obj)/,$(filter %.o,$(obj-m))))
ifeq ($(modules),)
$(warning kbuild: $(kbuild-file) lists no modules in obj-m)
endif
rel = $(patsubst $(obj)/%,%,$(1))
parts-of = $(strip $($(basename $(call rel,$(1)))-y) $($(basename $(call rel,$(1)))-objs) \
	$(if $(findstring /,$(call rel,$(1))),$($(basename $(notdir $(1)))-y) $($(basename $(notdir $(1)))-objs)))
objs-of = $(if $(call parts-of,$(1)),$(abspath $(addprefix $(obj)/,$(call parts-of,$(1)))),$(1))
modname-of = $(subst -,_,$(basename $(notdir $(1))))

all-objs := $(sort $(foreach m,$(modules),$(call objs-of,$(m))))
mod-files := $(modules:.o=.mod)

__modules: $(src)/Module.symvers
	@:

# Each object knows its module's name (KBUILD_MODNAME).
$(foreach m,$(modules),$(eval $(call objs-of,$(m)): modname := $(call modname-of,$(m))))

version-flags = $(if $(MODHOST_KERNEL),-DMODHOST_LINUX_VERSION_CODE=$(linux-version-code))
# KASAN=1 instruments every object but those the Makefile exempts, as the
# kernel's does: KASAN_SANITIZE_file.o := n, or KASAN_SANITIZE := n for
# all (then KASAN_SANITIZE_file.o := y takes one back).
kasan-sanitize = $(firstword $(KASAN_SANITIZE_$(call rel,$@)) $(KASAN_SANITIZE_$(notdir $@)) $(KASAN_SANITIZE) y)
kasan-flags = $(if $(filter 1,$(KASAN)),$(if $(filter n,$(kasan-sanitize)),,$(CFLAGS_KASAN)))
c_flags = $(KBUILD_CFLAGS) $(kasan-flags) -DMODULE -DKBUILD_MODNAME='"$(modname)"' \
	-DKBUILD_BASENAME='"$(subst -,_,$(basename $(notdir $@)))"' $(version-flags) \
	-fmacro-prefix-map=$(src)/= $(subdir-ccflags-y) $(ccflags-y) $(EXTRA_CFLAGS) \
	$(CFLAGS_$(call rel,$@)) $(CFLAGS_$(notdir $@))

quiet_cmd_cc_o_c = CC [M]  $@
      cmd_cc_o_c = $(CC) $(c_flags) -MD -MP -MF $(depfile) -c -o $@ $<

$(all-objs): %.o: %.c FORCE
	$(call if_changed_dep,cc_o_c)

# NAME.mod: the objects of NAME.ko, in link order; rewritten only when
# they change.
$(mod-files): FORCE
	@printf '%s\n' $(call objs-of,$(@:.mod=.o)) > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

$(src)/modules.order: FORCE
	@printf '%s\n' $(modules:.o=.ko) > $@

# Extra Module.symvers: relative paths are relative to this directory.
extra-symbols := $(foreach f,$(KBUILD_EXTRA_SYMBOLS),$(if $(filter /%,$(f)),$(f),$(src)/$(f)))
libgcc := $(shell $(CC) -print-libgcc-file-name)

quiet_cmd_modpost = MODPOST $@
      cmd_modpost = $(MODHOST) modpost -o $@ $(addprefix -e ,$(extra-symbols)) \
		-l $(libkernel) -l $(libgcc) $(mod-files)

# modpost runs on every build, as the kernel's does; what it writes keeps
# its time when unchanged, so final.mk relinks only what changed.
$(src)/Module.symvers: $(all-objs) $(mod-files) $(src)/modules.order FORCE
	$(call cmd,modpost)

-include $(call cmd-files,$(all-objs))

# What the build wrote, for every module obj-m lists.
clean-files := $(all-objs) $(call cmd-files,$(all-objs)) $(foreach f,$(all-objs),$(dir $(f)).$(notdir $(f)).d) \
	$(foreach m,$(modules),$(m:.o=.mod) $(m:.o=.mod.c) $(m:.o=.mod.o) $(m:.o=.ko) \
		$(call cmd-files,$(m:.o=.mod.o) $(m:.o=.ko))) \
	$(src)/Module.symvers $(src)/modules.order

quiet_cmd_clean = CLEAN   $(src)
      cmd_clean = rm -f $(clean-files)

__clean:
	$(call cmd,clean)

.PHONY: __modules __clean $(PHONY)
