/* call_usermodehelper with UMH_WAIT_EXEC, as the courseware calls it: /bin/sh
 * with the kernel's own helper environment. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kmod.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("call_usermodehelper, UMH_WAIT_EXEC");

static int __init umh_init(void)
{
	char *argv[] = { "/bin/sh", "-c", "echo hi; echo \"HOME=$HOME PATH=$PATH\"; echo oops >&2; exit 1", NULL };
	static char *envp[] = { "HOME=/", "PATH=/sbin:/bin:/usr/sbin:/usr/bin", NULL };
	int ret = call_usermodehelper(argv[0], argv, envp, UMH_WAIT_EXEC);

	pr_info("call_usermodehelper: %d\n", ret);
	return 0;
}

static void __exit umh_exit(void)
{
}

module_init(umh_init);
module_exit(umh_exit);
