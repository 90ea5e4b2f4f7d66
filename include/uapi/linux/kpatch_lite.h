/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kpatch-lite: the ABI between kpatch_lite.ko (/dev/kpatch_lite) and
 * userland (the kmod backend of libkpl).
 *
 * Every structure uses fixed-width types only, so a 32-bit and a 64-bit
 * caller see the same layout.  KPL_ABI_VERSION is bumped on any
 * incompatible change; userland must query KPL_IOC_VERSION before any
 * other request and refuse a version it does not know.
 */
#ifndef _UAPI_LINUX_KPATCH_LITE_H
#define _UAPI_LINUX_KPATCH_LITE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KPL_DEVICE_NAME		"kpatch_lite"
#define KPL_DEVICE_PATH		"/dev/" KPL_DEVICE_NAME

/* Major in the high 16 bits, minor in the low 16 bits. */
#define KPL_ABI_VERSION_MAJOR	1
#define KPL_ABI_VERSION_MINOR	0
#define KPL_ABI_VERSION \
	((__u32)((KPL_ABI_VERSION_MAJOR << 16) | KPL_ABI_VERSION_MINOR))

/**
 * struct kpl_version - answer to KPL_IOC_VERSION
 * @abi_version: KPL_ABI_VERSION of the running module
 * @flags:	 feature bits (none defined yet; always 0)
 */
struct kpl_version {
	__u32 abi_version;
	__u32 flags;
};

/* 0xE9 is x86 "jmp rel32"; unused as an ioctl type in 6.1 uapi. */
#define KPL_IOC_MAGIC		0xE9

#define KPL_IOC_VERSION		_IOR(KPL_IOC_MAGIC, 0x00, struct kpl_version)

#endif /* _UAPI_LINUX_KPATCH_LITE_H */
