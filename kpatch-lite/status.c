// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: /sys/kernel/kpatch_lite, what the module is doing.
 *
 *   abi        "MAJOR.MINOR" of the ioctl ABI
 *   stats      "name value" lines: module-wide counters
 *   sessions   one line per attached open file: the process, whether it
 *              is stopped, and how many stops, writes and maps it did
 *   guards     one line per guard and one per guarded entry, with hits
 *   processes  every process with a patch mapping or a guarded library:
 *              the patches it holds (phase from their records) and, per
 *              guard, whether it is patched and how many threads are held
 *
 * Every file is root-only (0400) and a page at most; "processes" and
 * "sessions" end with "...\n" when they do not fit.  The counters live in
 * stats.c, a leaf that every other file may call without calling back
 * into the files this one reads (the guards, the sessions).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sysfs.h>

#include "kpl.h"

static DEFINE_MUTEX(kpl_sessions_lock);
static LIST_HEAD(kpl_sessions);
static unsigned int kpl_nr_sessions;
static struct kobject *kpl_kobj;

void kpl_status_add_session(struct kpl_session *s)
{
	mutex_lock(&kpl_sessions_lock);
	list_add_tail(&s->node, &kpl_sessions);
	kpl_nr_sessions++;
	mutex_unlock(&kpl_sessions_lock);
}

/* Before the session lets its pid go. */
void kpl_status_del_session(struct kpl_session *s)
{
	mutex_lock(&kpl_sessions_lock);
	list_del(&s->node);
	kpl_nr_sessions--;
	mutex_unlock(&kpl_sessions_lock);
}

static ssize_t abi_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%u.%u\n", KPL_ABI_VERSION_MAJOR,
			  KPL_ABI_VERSION_MINOR);
}

static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	int len = 0;

	mutex_lock(&kpl_sessions_lock);
	len += sysfs_emit_at(buf, len, "open_files %u\n", kpl_nr_sessions);
	mutex_unlock(&kpl_sessions_lock);
	len += sysfs_emit_at(buf, len, "guards %u\n", kpl_guard_nr());
	return kpl_stats_show(buf, len);
}

static ssize_t sessions_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct kpl_session *s;
	int len;

	len = sysfs_emit(buf, "# pid stopped stops writes maps\n");
	mutex_lock(&kpl_sessions_lock);
	list_for_each_entry(s, &kpl_sessions, node) {
		/* Set once under s->lock, dropped after we unlisted it. */
		struct pid *pid = READ_ONCE(s->pid);

		if (!pid)
			continue;
		if (len > PAGE_SIZE - 80) {
			len += sysfs_emit_at(buf, len, "...\n");
			break;
		}
		len += sysfs_emit_at(buf, len, "%d %d %llu %llu %llu\n",
				     pid_vnr(pid), READ_ONCE(s->q) != NULL,
				     READ_ONCE(s->stops), READ_ONCE(s->writes),
				     READ_ONCE(s->maps));
	}
	mutex_unlock(&kpl_sessions_lock);
	return len;
}

static ssize_t guards_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return kpl_guard_show(buf);
}

static ssize_t processes_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return kpl_guard_show_processes(buf);
}

static struct kobj_attribute kpl_attr_abi = __ATTR_RO_MODE(abi, 0400);
static struct kobj_attribute kpl_attr_stats = __ATTR_RO_MODE(stats, 0400);
static struct kobj_attribute kpl_attr_sessions =
	__ATTR_RO_MODE(sessions, 0400);
static struct kobj_attribute kpl_attr_guards = __ATTR_RO_MODE(guards, 0400);
static struct kobj_attribute kpl_attr_processes =
	__ATTR_RO_MODE(processes, 0400);

static struct attribute *kpl_attrs[] = {
	&kpl_attr_abi.attr,	 &kpl_attr_stats.attr,
	&kpl_attr_sessions.attr, &kpl_attr_guards.attr,
	&kpl_attr_processes.attr, NULL,
};

static const struct attribute_group kpl_attr_group = {
	.attrs = kpl_attrs,
};

int kpl_status_init(void)
{
	int ret;

	kpl_kobj = kobject_create_and_add(KPL_DEVICE_NAME, kernel_kobj);
	if (!kpl_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(kpl_kobj, &kpl_attr_group);
	if (ret) {
		kobject_put(kpl_kobj);
		kpl_kobj = NULL;
	}
	return ret;
}

void kpl_status_exit(void)
{
	/* Removing the files waits for readers still in them. */
	sysfs_remove_group(kpl_kobj, &kpl_attr_group);
	kobject_put(kpl_kobj);
}
