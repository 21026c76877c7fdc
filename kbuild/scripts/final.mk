# SPDX-License-Identifier: GPL-2.0-only
# The last part of a build, after modpost (a make of its own, so that it
# sees the files modpost wrote): compile each NAME.mod.c and link NAME.ko
# from the objects NAME.mod lists, NAME.mod.o, libkernel.a and libgcc.
# Only __this_module is exported from a .ko (module.lds).

MAKEFLAGS += -rR --no-print-directory
include $(dir $(lastword $(MAKEFILE_LIST)))include.mk
.DEFAULT_GOAL := __final

kos := $(shell cat $(KBUILD_EXTMOD)/modules.order)

__final: $(kos)
	@:

modname-of = $(subst -,_,$(basename $(notdir $(1))))

quiet_cmd_cc_o_c = CC [M]  $@
      cmd_cc_o_c = $(CC) $(KBUILD_CFLAGS) -DMODULE -DKBUILD_MODNAME='"$(call modname-of,$(@:.mod.o=))"' \
		-MD -MP -MF $(depfile) -c -o $@ $<

%.mod.o: %.mod.c FORCE
	$(call if_changed_dep,cc_o_c)

quiet_cmd_ld_ko_o = LD [M]  $@
      cmd_ld_ko_o = $(CC) -shared -nostdlib -Wl,-z,now -Wl,--no-undefined \
		-Wl,--version-script=$(srctree)/scripts/module.lds \
		-o $@ $(filter %.o,$^) $(libkernel) -lgcc

.SECONDEXPANSION:
$(kos): %.ko: $$(shell cat $$*.mod) %.mod.o $(libkernel) FORCE
	$(call if_changed,ld_ko_o)

-include $(call cmd-files,$(kos) $(kos:.ko=.mod.o))

.PHONY: __final $(PHONY)
