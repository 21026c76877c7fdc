/* Written by modpost: do not edit. */
#include <modhost/kmod.h>

static const char __modhost_modinfo[] __attribute__((section(".modinfo"), used, aligned(1))) =
	"name=null_timer" "\0"
	"vermagic=modhost-abi/2 kbuild" "\0"
	"depends=";

static const char __modhost_tables[] __attribute__((section(".modhost_tables"), used, aligned(1))) =
	"";

extern int init_module(void) __attribute__((visibility("hidden")));
extern void cleanup_module(void) __attribute__((visibility("hidden")));

struct module __this_module __attribute__((visibility("default"))) = {
	.magic = MODHOST_MAGIC,
	.vermagic = MODHOST_KBUILD_VERMAGIC,
	.size = sizeof(struct module),
	.num_syms = 0,
	.syms = 0,
	.imports = 0,
	.num_imports = 0,
	.num_kp = 0,
	.kp = 0,
	.start = __modhost_start,
	.stop = __modhost_stop,
	.param_changed = __modhost_param_changed,
	.init = init_module,
	.exit = cleanup_module,
	.name = "null_timer",
};
