// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: module entry points and the /dev/kpatch_lite misc device.
 *
 * The device is the only way in: userland opens it, checks the ABI with
 * KPL_IOC_VERSION, then issues requests.  Every ioctl needs CAP_SYS_ADMIN
 * of the caller at the time of the call, not of whoever opened the file,
 * so a descriptor passed to an unprivileged process is useless to it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include <uapi/linux/kpatch_lite.h>

static long kpl_ioctl_version(void __user *arg)
{
	struct kpl_version ver = {
		.abi_version = KPL_ABI_VERSION,
		.flags = 0,
	};

	if (copy_to_user(arg, &ver, sizeof(ver)))
		return -EFAULT;
	return 0;
}

static long kpl_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (cmd) {
	case KPL_IOC_VERSION:
		return kpl_ioctl_version((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kpl_dev_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.llseek = no_llseek,
	.unlocked_ioctl = kpl_dev_ioctl,
	/* Every argument is a pointer to fixed-width fields. */
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice kpl_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KPL_DEVICE_NAME,
	.fops = &kpl_dev_fops,
	.mode = 0600,
};

static int __init kpl_init(void)
{
	int ret;

	ret = misc_register(&kpl_miscdev);
	if (ret) {
		pr_err("failed to register /dev/%s: %d\n", KPL_DEVICE_NAME,
		       ret);
		return ret;
	}

	pr_info("loaded, abi %u.%u\n", KPL_ABI_VERSION_MAJOR,
		KPL_ABI_VERSION_MINOR);
	return 0;
}

static void __exit kpl_exit(void)
{
	misc_deregister(&kpl_miscdev);
	pr_info("unloaded\n");
}

module_init(kpl_init);
module_exit(kpl_exit);

MODULE_DESCRIPTION("kpatch-lite: live patching of user-space shared libraries");
MODULE_LICENSE("GPL");
