/* Written by modpost: do not edit. */
#include <modhost/kmod.h>

static const char __modhost_modinfo[] __attribute__((section(".modinfo"), used, aligned(1))) =
	"name=spin_timer" "\0"
	"vermagic=modhost-abi/2 kbuild" "\0"
	"depends=";

static const char __modhost_tables[] __attribute__((section(".modhost_tables"), used, aligned(1))) =
	"kparam=spin:0644:0";

extern struct kernel_param __param_spin __attribute__((visibility("hidden")));

static struct kernel_param *const __modhost_kp[] = {
	&__param_spin,
};

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
	.num_kp = 1,
	.kp = __modhost_kp,
	.start = __modhost_start,
	.stop = __modhost_stop,
	.param_changed = __modhost_param_changed,
	.init = init_module,
	.exit = cleanup_module,
	.name = "spin_timer",
};
