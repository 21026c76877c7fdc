/* call_usermodehelper of a program that is not there: -ENOENT when the
 * caller waits for it to start, 0 when it does not wait at all. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kmod.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("call_usermodehelper of a missing program");

static int __init umh_init(void)
{
	char *argv[] = { "/nonexistent/helper", NULL };
	static char *envp[] = { "HOME=/", "PATH=/sbin:/bin:/usr/sbin:/usr/bin", NULL };

	pr_info("UMH_WAIT_EXEC: %d\n", call_usermodehelper(argv[0], argv, envp, UMH_WAIT_EXEC));
	pr_info("UMH_WAIT_PROC: %d\n", call_usermodehelper(argv[0], argv, envp, UMH_WAIT_PROC | UMH_KILLABLE));
	pr_info("UMH_NO_WAIT: %d\n", call_usermodehelper(argv[0], argv, envp, UMH_NO_WAIT));
	return 0;
}

static void __exit umh_exit(void)
{
}

module_init(umh_init);
module_exit(umh_exit);
