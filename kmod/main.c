// SPDX-License-Identifier: GPL-2.0
/*
 * devmem: map arbitrary-aligned persistent memory with struct pages at
 * sub-section granularity, and publish it as standard device-dax.
 *
 * This file: module life cycle and the ioctl dispatcher of /dev/devmem.
 * The dispatcher copies the argument in once, checks the fields every
 * command shares (abi first, reserved last), calls one helper per command
 * under devmem_lock and copies the result out once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "devmem.h"

/* see devmem.h for what it protects */
DEFINE_MUTEX(devmem_lock);

union devmem_ioc_arg {
	struct devmem_version version;
	struct devmem_region_arg region;
	struct devmem_meta_arg meta;
	struct devmem_ns_arg ns;
	__u64 word[sizeof(struct devmem_ns_arg) / sizeof(__u64)];
};

static_assert(sizeof(union devmem_ioc_arg) == sizeof(struct devmem_ns_arg));

#define DEVMEM_ASSERT_SHAPE(type)                                      \
	static_assert(offsetof(struct type, abi) == 0 &&               \
		      offsetof(struct type, reserved) ==              \
			      sizeof(struct type) - sizeof(__u64))
DEVMEM_ASSERT_SHAPE(devmem_region_arg);
DEVMEM_ASSERT_SHAPE(devmem_meta_arg);
DEVMEM_ASSERT_SHAPE(devmem_ns_arg);

static long devmem_version(void __user *up)
{
	struct devmem_version v = {
		.abi = DEVMEM_ABI_VERSION,
		.max_regions = DEVMEM_MAX_REGIONS,
		.max_namespaces = DEVMEM_MAX_NAMESPACES,
	};

	return copy_to_user(up, &v, sizeof(v)) ? -EFAULT : 0;
}

/* Take back what a successful @cmd did. Caller holds devmem_lock. */
static void devmem_ioctl_undo(unsigned int cmd, union devmem_ioc_arg *arg)
{
	int rc = 0;

	if (cmd == DEVMEM_IOC_REGION_CLAIM)
		rc = devmem_region_release(&arg->region);
	else if (cmd == DEVMEM_IOC_NS_MAP)
		rc = devmem_ns_unmap(&arg->ns);
	if (rc)
		pr_warn("undoing ioctl %#x failed: %d\n", cmd, rc);
}

static long devmem_ioctl(struct file *file, unsigned int cmd,
			 unsigned long uarg)
{
	void __user *up = (void __user *)uarg;
	size_t size = _IOC_SIZE(cmd);
	union devmem_ioc_arg arg;
	long rc;

	switch (cmd) {
	case DEVMEM_IOC_VERSION:
		return devmem_version(up);
	case DEVMEM_IOC_REGION_CLAIM:
	case DEVMEM_IOC_REGION_RELEASE:
	case DEVMEM_IOC_REGION_INFO:
	case DEVMEM_IOC_META_READ:
	case DEVMEM_IOC_META_WRITE:
	case DEVMEM_IOC_NS_MAP:
	case DEVMEM_IOC_NS_UNMAP:
	case DEVMEM_IOC_NS_INFO:
		break;
	default:
		return -ENOTTY;
	}

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&arg, up, size))
		return -EFAULT;
	if (arg.word[0] != DEVMEM_ABI_VERSION)
		return -EPROTONOSUPPORT;
	if (arg.word[size / sizeof(__u64) - 1])
		return -EINVAL;

	mutex_lock(&devmem_lock);
	switch (cmd) {
	case DEVMEM_IOC_REGION_CLAIM:
		rc = devmem_region_claim(&arg.region);
		break;
	case DEVMEM_IOC_REGION_RELEASE:
		rc = devmem_region_release(&arg.region);
		break;
	case DEVMEM_IOC_REGION_INFO:
		rc = devmem_region_info(&arg.region);
		break;
	case DEVMEM_IOC_META_READ:
		rc = devmem_meta_io(&arg.meta, false);
		break;
	case DEVMEM_IOC_META_WRITE:
		rc = devmem_meta_io(&arg.meta, true);
		break;
	case DEVMEM_IOC_NS_MAP:
		rc = devmem_ns_map(&arg.ns);
		break;
	case DEVMEM_IOC_NS_UNMAP:
		rc = devmem_ns_unmap(&arg.ns);
		break;
	default: /* DEVMEM_IOC_NS_INFO */
		rc = devmem_ns_info(&arg.ns);
		break;
	}
	/*
	 * Copy the result out under the lock: a claim or a map whose caller
	 * cannot be told its result (an argument it may read but not write)
	 * is undone, so that an error always means nothing changed.
	 */
	if (!rc && (_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(up, &arg, size)) {
		rc = -EFAULT;
		devmem_ioctl_undo(cmd, &arg);
	}
	mutex_unlock(&devmem_lock);
	return rc;
}

static const struct file_operations devmem_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = devmem_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice devmem_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = DEVMEM_CTL_NAME,
	.fops = &devmem_fops,
	.mode = 0600,
};

static int __init devmem_init(void)
{
	int rc;

	rc = devmem_ns_driver_register();
	if (rc)
		return rc;
	rc = misc_register(&devmem_misc);
	if (rc)
		goto err_ns;
	/* last: from here on it may bind namespaces on the nd bus */
	rc = devmem_nd_driver_register();
	if (rc)
		goto err_misc;
	return 0;

err_misc:
	misc_deregister(&devmem_misc);
err_ns:
	devmem_ns_driver_unregister();
	return rc;
}
module_init(devmem_init);

static void __exit devmem_exit(void)
{
	devmem_nd_driver_unregister();
	misc_deregister(&devmem_misc);
	/* every claimed region holds a module reference: nothing is left */
	mutex_lock(&devmem_lock);
	devmem_region_release_all();
	mutex_unlock(&devmem_lock);
	devmem_ns_driver_unregister();
}
module_exit(devmem_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("devmem: sub-section device memory namespaces on device-dax");
MODULE_SOFTDEP("pre: device_dax");
