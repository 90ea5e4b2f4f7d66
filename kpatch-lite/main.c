// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: module entry points, the /dev/kpatch_lite misc device and
 * its sessions.
 *
 * The device is the only way in: userland opens it, checks the ABI with
 * KPL_IOC_VERSION, attaches the session to a process, then stops it,
 * reads, writes and maps, and resumes it.  Every ioctl needs
 * CAP_SYS_ADMIN of the caller at the time of the call, not of whoever
 * opened the file, so a descriptor passed to an unprivileged process is
 * useless to it.  One mutex per session serialises its requests; a
 * process is stopped by at most one session at a time.
 *
 * Guards (guard.c) need no session: KPL_IOC_GUARD_ADD/DEL act on the
 * module's list, and read()/poll() deliver their events to every open
 * file (event.c).
 *
 * Unloading.  A patch applied through the module is plain bytes in its
 * process: nothing of the module stays in it, so unloading leaves every
 * patched process patched.  What does depend on the module's code holds
 * a module reference and makes rmmod fail (the kernel answers
 * EWOULDBLOCK) until it is gone: an open file, a stop with work items
 * still queued on sleeping threads, and every guard (delete them with
 * KPL_IOC_GUARD_DEL first).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kpl.h"

/*
 * The mm of every process some session holds stopped, so a second
 * session gets -EBUSY rather than a stop that looks complete because
 * the threads sleep in the first one's work.
 */
static DEFINE_MUTEX(kpl_stopped_lock);
static LIST_HEAD(kpl_stopped);

struct kpl_stopped_entry {
	struct list_head node;
	struct mm_struct *mm;
};

static int kpl_stopped_claim(struct mm_struct *mm)
{
	struct kpl_stopped_entry *e, *new;
	int ret = 0;

	new = kmalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	new->mm = mm;
	mutex_lock(&kpl_stopped_lock);
	list_for_each_entry(e, &kpl_stopped, node) {
		if (e->mm == mm) {
			ret = -EBUSY;
			break;
		}
	}
	if (!ret)
		list_add(&new->node, &kpl_stopped);
	mutex_unlock(&kpl_stopped_lock);
	if (ret)
		kfree(new);
	return ret;
}

static void kpl_stopped_unclaim(struct mm_struct *mm)
{
	struct kpl_stopped_entry *e;

	mutex_lock(&kpl_stopped_lock);
	list_for_each_entry(e, &kpl_stopped, node) {
		if (e->mm == mm) {
			list_del(&e->node);
			kfree(e);
			break;
		}
	}
	mutex_unlock(&kpl_stopped_lock);
}

/* End the session's stop, however it ends.  Session lock held. */
static void kpl_session_release(struct kpl_session *s)
{
	/* A run already under way finds s->q gone or a later deadline. */
	cancel_delayed_work(&s->hold_work);
	kpl_quiesce_release(s->q);
	s->q = NULL;
	kpl_stopped_unclaim(s->mm);
	kpl_stat_inc(KPL_STAT_RESUMES);
	/* A patch may just have gone in: held threads look for it. */
	kpl_guard_kick();
}

/*
 * A stop held past its hold_ms (a patcher stopped by SIGSTOP, a hung
 * one) is released, so the target does not hang with it.  Requests are
 * serialised with this under the session lock, so none is cut in half;
 * the ones after it fail until RESUME says the stop is over.
 */
static void kpl_hold_expire(struct work_struct *work)
{
	struct kpl_session *s = container_of(to_delayed_work(work),
					     struct kpl_session, hold_work);

	mutex_lock(&s->lock);
	if (s->q && ktime_after(ktime_get(), s->hold_until)) {
		pr_warn("pid %d held longer than its hold_ms; resumed\n",
			pid_nr(s->pid));
		kpl_session_release(s);
		s->expired = true;
	}
	mutex_unlock(&s->lock);
}

/*
 * Copy a request that starts with __u32 size: at least @min bytes (an
 * older caller's structure; the fields it lacks read as zero), at most
 * a page; bytes the module does not know must be zero (-E2BIG).
 */
static int kpl_copy_in_min(void *dst, size_t ksize, size_t min,
			   const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < min || usize > PAGE_SIZE)
		return -EINVAL;
	return copy_struct_from_user(dst, ksize, uarg, usize);
}

static int kpl_copy_in(void *dst, size_t ksize, const void __user *uarg)
{
	return kpl_copy_in_min(dst, ksize, ksize, uarg);
}

/* Attached, and not broken by the hold timer. */
static int kpl_session_ready(struct kpl_session *s)
{
	if (!s->pid)
		return -EBADFD;
	if (s->expired)
		return -ETIMEDOUT;
	return 0;
}

static long kpl_ioctl_version(void __user *arg)
{
	struct kpl_version ver = {
		.abi_version = KPL_ABI_VERSION,
		.flags = KPL_VERSION_F_GUARD | KPL_VERSION_F_BATCH |
			 KPL_VERSION_F_MAP_HEAD,
	};

	if (copy_to_user(arg, &ver, sizeof(ver)))
		return -EFAULT;
	return 0;
}

static long kpl_ioctl_attach(struct kpl_session *s, void __user *uarg)
{
	struct kpl_attach req;
	int ret;

	ret = kpl_copy_in(&req, sizeof(req), uarg);
	if (ret)
		return ret;
	return kpl_target_attach(s, &req);
}

static int kpl_stop_check(struct kpl_session *s, const struct kpl_stop *req)
{
	if (req->flags || req->pid != pid_vnr(s->pid))
		return -EINVAL;
	if (!req->timeout_ms || req->timeout_ms > KPL_TIMEOUT_MAX_MS ||
	    req->hold_ms > KPL_HOLD_MAX_MS)
		return -EINVAL;
	if (req->nr_threads_max > KPL_THREADS_MAX ||
	    (req->nr_threads_max && !req->threads))
		return -EINVAL;
	if (req->thread_size < sizeof(struct kpl_thread_regs) ||
	    req->thread_size > PAGE_SIZE)
		return -EINVAL;
	return 0;
}

/* Each entry at the caller's stride; a tail we do not know is zeroed. */
static int kpl_copy_threads(const struct kpl_stop *req,
			    const struct kpl_thread_regs *regs, unsigned int nr)
{
	void __user *dst = u64_to_user_ptr(req->threads);
	size_t tail = req->thread_size - sizeof(*regs);
	unsigned int i;

	for (i = 0; i < nr; i++, dst += req->thread_size) {
		if (copy_to_user(dst, &regs[i], sizeof(*regs)))
			return -EFAULT;
		if (tail && clear_user(dst + sizeof(*regs), tail))
			return -EFAULT;
	}
	return 0;
}

static long kpl_ioctl_stop(struct kpl_session *s, void __user *uarg)
{
	struct kpl_thread_regs *regs = NULL;
	struct task_struct *leader;
	struct kpl_quiesce *q;
	struct kpl_stop req;
	unsigned int nr;
	u32 hold_ms;
	int ret;

	ret = kpl_copy_in(&req, sizeof(req), uarg);
	if (ret)
		return ret;
	ret = kpl_session_ready(s);
	if (ret)
		return ret;
	if (s->q)
		return -EALREADY;
	ret = kpl_stop_check(s, &req);
	if (ret)
		return ret;
	ret = kpl_target_check_caller(s);
	if (ret)
		return ret;
	leader = kpl_target_leader(s);
	if (!leader)
		return -ESRCH;
	ret = kpl_stopped_claim(s->mm);
	if (ret)
		goto err_leader;

	ret = kpl_quiesce_start(leader, s->mm, req.timeout_ms, &q);
	if (ret) {
		kpl_stat_inc(KPL_STAT_STOP_FAILS);
		goto err_unclaim;
	}
	nr = kpl_quiesce_regs(q, NULL, 0);
	if (!nr) {
		/* Killed since it was held: no thread left to describe. */
		ret = -ESRCH;
		goto err_release;
	}
	if (nr > req.nr_threads_max) {
		ret = -ENOSPC;
		goto err_release;
	}
	regs = kvcalloc(nr, sizeof(*regs), GFP_KERNEL);
	if (!regs) {
		ret = -ENOMEM;
		goto err_release;
	}
	/* Threads only leave (die) while held, never come. */
	nr = kpl_quiesce_regs(q, regs, nr);
	ret = kpl_copy_threads(&req, regs, nr);
	if (ret)
		goto err_release;
	req.nr_threads = nr;
	kpl_quiesce_times(q, &req.stop_ns, &req.quiesce_ns);
	if (copy_to_user(uarg, &req, sizeof(req))) {
		ret = -EFAULT;
		goto err_release;
	}

	s->q = q;
	s->stops++;
	kpl_stat_inc(KPL_STAT_STOPS);
	hold_ms = req.hold_ms ? req.hold_ms : KPL_HOLD_DEFAULT_MS;
	s->hold_until = ktime_add_ms(ktime_get(), hold_ms);
	mod_delayed_work(system_wq, &s->hold_work,
			 msecs_to_jiffies(hold_ms) + 1);
	kvfree(regs);
	put_task_struct(leader);
	return 0;

err_release:
	kvfree(regs);
	kpl_quiesce_release(q);
	/* The count tells the caller how much room to bring next time. */
	if (ret == -ENOSPC &&
	    put_user(nr, &((struct kpl_stop __user *)uarg)->nr_threads))
		ret = -EFAULT;
err_unclaim:
	kpl_stopped_unclaim(s->mm);
err_leader:
	put_task_struct(leader);
	return ret;
}

static long kpl_ioctl_resume(struct kpl_session *s, void __user *uarg)
{
	struct kpl_resume req;
	u64 stop_ns, quiesce_ns;
	int ret;

	ret = kpl_copy_in(&req, sizeof(req), uarg);
	if (ret)
		return ret;
	if (req.flags)
		return -EINVAL;
	if (!s->pid)
		return -EBADFD;
	if (s->expired) {
		s->expired = false;
		return -ETIMEDOUT;
	}
	if (!s->q)
		return -EBADFD;
	kpl_quiesce_times(s->q, &stop_ns, &quiesce_ns);
	kpl_session_release(s);
	req.held_ns = ktime_get_ns() - stop_ns;
	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

static long kpl_ioctl_mem(struct kpl_session *s, unsigned int nr,
			  void __user *uarg)
{
	struct kpl_mem req;
	int ret;

	ret = kpl_copy_in(&req, sizeof(req), uarg);
	if (!ret)
		ret = kpl_session_ready(s);
	if (ret)
		return ret;
	if (nr == _IOC_NR(KPL_IOC_READ))
		return kpl_mem_read(s, &req);
	return kpl_mem_write(s, &req);
}

static long kpl_ioctl_map(struct kpl_session *s, void __user *uarg)
{
	struct kpl_map req;
	int ret;

	/* ABI 2.1 callers know no parts, 2.2 callers no head. */
	ret = kpl_copy_in_min(&req, sizeof(req), KPL_MAP_SIZE_V1, uarg);
	if (!ret)
		ret = kpl_session_ready(s);
	if (ret)
		return ret;
	return kpl_mem_map(s, &req);
}

static long kpl_ioctl_range(struct kpl_session *s, unsigned int nr,
			    void __user *uarg)
{
	struct kpl_range req;
	int ret;

	ret = kpl_copy_in(&req, sizeof(req), uarg);
	if (!ret)
		ret = kpl_session_ready(s);
	if (ret)
		return ret;
	if (nr == _IOC_NR(KPL_IOC_PROTECT))
		return kpl_mem_protect(s, &req);
	return kpl_mem_unmap(s, &req);
}

static long kpl_ioctl_batch(struct kpl_session *s, void __user *uarg)
{
	struct kpl_batch req;
	int ret;

	ret = kpl_copy_in(&req, sizeof(req), uarg);
	if (!ret)
		ret = kpl_session_ready(s);
	if (ret)
		return ret;
	if (!s->q)
		return -EBADFD;
	ret = kpl_batch_write(s, &req);
	/* Which entry failed, whatever else happened. */
	if (put_user(req.failed, &((struct kpl_batch __user *)uarg)->failed))
		return -EFAULT;
	return ret;
}

static long kpl_ioctl_guard_add(void __user *uarg)
{
	struct kpl_guard_add req;
	int ret;

	ret = kpl_copy_in(&req, sizeof(req), uarg);
	if (ret)
		return ret;
	ret = kpl_guard_add(&req);
	if (ret)
		return ret;
	if (put_user(req.id, &((struct kpl_guard_add __user *)uarg)->id)) {
		struct kpl_guard_del del = { .size = sizeof(del), .id = req.id };

		/* Nobody could ever name it: take it back. */
		kpl_guard_del(&del);
		return -EFAULT;
	}
	return 0;
}

static long kpl_ioctl_guard_del(void __user *uarg)
{
	struct kpl_guard_del req;
	int ret;

	ret = kpl_copy_in(&req, sizeof(req), uarg);
	if (ret)
		return ret;
	return kpl_guard_del(&req);
}

/*
 * Requests are told apart by type, number and direction; the size the
 * command encodes is not checked, the structure's own size field is.
 */
static bool kpl_cmd_is(unsigned int cmd, unsigned int want)
{
	return _IOC_TYPE(cmd) == _IOC_TYPE(want) &&
	       _IOC_NR(cmd) == _IOC_NR(want) && _IOC_DIR(cmd) == _IOC_DIR(want);
}

static long kpl_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct kpl_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* Frozen forever: the one request every version understands. */
	if (cmd == KPL_IOC_VERSION)
		return kpl_ioctl_version(uarg);
	/* Module-wide, and may wait for held threads: no session lock. */
	if (kpl_cmd_is(cmd, KPL_IOC_GUARD_ADD))
		return kpl_ioctl_guard_add(uarg);
	if (kpl_cmd_is(cmd, KPL_IOC_GUARD_DEL))
		return kpl_ioctl_guard_del(uarg);

	if (mutex_lock_interruptible(&s->lock))
		return -EINTR;
	if (kpl_cmd_is(cmd, KPL_IOC_ATTACH))
		ret = kpl_ioctl_attach(s, uarg);
	else if (kpl_cmd_is(cmd, KPL_IOC_STOP))
		ret = kpl_ioctl_stop(s, uarg);
	else if (kpl_cmd_is(cmd, KPL_IOC_RESUME))
		ret = kpl_ioctl_resume(s, uarg);
	else if (kpl_cmd_is(cmd, KPL_IOC_READ) ||
		 kpl_cmd_is(cmd, KPL_IOC_WRITE))
		ret = kpl_ioctl_mem(s, _IOC_NR(cmd), uarg);
	else if (kpl_cmd_is(cmd, KPL_IOC_MAP))
		ret = kpl_ioctl_map(s, uarg);
	else if (kpl_cmd_is(cmd, KPL_IOC_PROTECT) ||
		 kpl_cmd_is(cmd, KPL_IOC_UNMAP))
		ret = kpl_ioctl_range(s, _IOC_NR(cmd), uarg);
	else if (kpl_cmd_is(cmd, KPL_IOC_WRITE_BATCH))
		ret = kpl_ioctl_batch(s, uarg);
	else
		ret = -ENOTTY;
	mutex_unlock(&s->lock);
	return ret;
}

static int kpl_dev_open(struct inode *inode, struct file *file)
{
	struct kpl_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	INIT_DELAYED_WORK(&s->hold_work, kpl_hold_expire);
	s->ev_next = kpl_event_head();
	file->private_data = s;
	kpl_status_add_session(s);
	return nonseekable_open(inode, file);
}

static ssize_t kpl_dev_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	return kpl_event_read(file->private_data, buf, len,
			      file->f_flags & O_NONBLOCK);
}

static __poll_t kpl_dev_poll(struct file *file, poll_table *pt)
{
	return kpl_event_poll(file->private_data, file, pt);
}

/* The last close: a stopped process runs again. */
static int kpl_dev_release(struct inode *inode, struct file *file)
{
	struct kpl_session *s = file->private_data;

	kpl_status_del_session(s);
	mutex_lock(&s->lock);
	if (s->q)
		kpl_session_release(s);
	kpl_target_detach(s);
	mutex_unlock(&s->lock);
	cancel_delayed_work_sync(&s->hold_work);
	mutex_destroy(&s->lock);
	kfree(s);
	return 0;
}

static const struct file_operations kpl_dev_fops = {
	.owner = THIS_MODULE,
	.open = kpl_dev_open,
	.release = kpl_dev_release,
	.llseek = no_llseek,
	.read = kpl_dev_read,
	.poll = kpl_dev_poll,
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

	ret = kpl_event_init();
	if (ret)
		return ret;
	ret = kpl_status_init();
	if (ret)
		goto err_event;
	ret = misc_register(&kpl_miscdev);
	if (ret) {
		pr_err("failed to register /dev/%s: %d\n", KPL_DEVICE_NAME,
		       ret);
		goto err_status;
	}

	pr_info("loaded, abi %u.%u\n", KPL_ABI_VERSION_MAJOR,
		KPL_ABI_VERSION_MINOR);
	return 0;

err_status:
	kpl_status_exit();
err_event:
	kpl_event_exit();
	return ret;
}

/*
 * Every open file, every stop (including work items still queued on
 * sleeping threads) and every guard holds a module reference, so nothing
 * of theirs is left here.
 */
static void __exit kpl_exit(void)
{
	misc_deregister(&kpl_miscdev);
	WARN_ON(kpl_guard_nr());
	kpl_status_exit();
	kpl_event_exit();
	pr_info("unloaded\n");
}

module_init(kpl_init);
module_exit(kpl_exit);

MODULE_DESCRIPTION("kpatch-lite: live patching of user-space shared libraries");
MODULE_LICENSE("GPL");
