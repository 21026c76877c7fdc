/* Written by modpost: do not edit. */
#include <modhost/kmod.h>

static const char __modhost_modinfo[] __attribute__((section(".modinfo"), used, aligned(1))) =
	"name=poke_user" "\0"
	"vermagic=modhost-abi/2 kbuild" "\0"
	"depends=poke_export";

static const char __modhost_tables[] __attribute__((section(".modhost_tables"), used, aligned(1))) =
	"import=poke";

/* Imports: the host writes each slot; the stub jumps through it. */
void *__modhost_slot_poke __attribute__((visibility("hidden")));
__asm__(".pushsection .text\n\t.globl poke\n\t.hidden poke\n\t.type poke, @function\n"
	"poke:\n\tjmp *__modhost_slot_poke(%rip)\n\t.size poke, .-poke\n\t.popsection");

static const struct modhost_import __modhost_imports[] = {
	{ "poke", &__modhost_slot_poke, 0xdbdecf46, 1 },
};

extern int init_module(void) __attribute__((visibility("hidden")));
extern void cleanup_module(void) __attribute__((visibility("hidden")));

struct module __this_module __attribute__((visibility("default"))) = {
	.magic = MODHOST_MAGIC,
	.vermagic = MODHOST_KBUILD_VERMAGIC,
	.size = sizeof(struct module),
	.num_syms = 0,
	.syms = 0,
	.imports = __modhost_imports,
	.num_imports = 1,
	.num_kp = 0,
	.kp = 0,
	.start = __modhost_start,
	.stop = __modhost_stop,
	.param_changed = __modhost_param_changed,
	.init = init_module,
	.exit = cleanup_module,
	.name = "poke_user",
};
