// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: the events the guards report, read() from the device.
 *
 * One ring of the last KPL_EVENTS_KEPT events for the whole module,
 * numbered from 1; every open file has its own cursor (the next number
 * it wants), set at open, so each reader sees every event that happens
 * after it opened, once, and learns how many it missed when it falls
 * more than a ring behind.  A slot keeps references on the pids, which
 * are translated into the reader's namespace when it reads.
 *
 * Events are emitted by the trapping thread, in process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "guard.h"
#include "kpl.h"

struct kpl_ev_slot {
	struct kpl_event ev; /* pid and tid filled in at read */
	struct pid *pid;
	struct pid *tid;
};

static struct kpl_ev_slot *kpl_ev_ring;
static u64 kpl_ev_next = 1; /* number of the next event */
static DEFINE_SPINLOCK(kpl_ev_lock);
static DECLARE_WAIT_QUEUE_HEAD(kpl_ev_wq);

/**
 * kpl_event_emit() - record an event of the current thread
 * @type:   KPL_EVENT_*
 * @reason: KPL_RELEASE_* or 0
 * @g:	    the guard
 * @func:   index of the entry in @g
 * @addr:   the entry's address in the current process
 */
void kpl_event_emit(u32 type, u32 reason, const struct kpl_guard *g,
		    unsigned int func, unsigned long addr)
{
	struct pid *old_pid, *old_tid;
	struct kpl_ev_slot *slot;

	spin_lock(&kpl_ev_lock);
	slot = &kpl_ev_ring[kpl_ev_next % KPL_EVENTS_KEPT];
	old_pid = slot->pid;
	old_tid = slot->tid;
	memset(&slot->ev, 0, sizeof(slot->ev));
	slot->ev.size = sizeof(slot->ev);
	slot->ev.type = type;
	slot->ev.seq = kpl_ev_next++;
	slot->ev.time_ns = ktime_get_ns();
	slot->ev.guard = g->id;
	slot->ev.func = func;
	slot->ev.addr = addr;
	slot->ev.reason = reason;
	memcpy(slot->ev.patch_id, g->patch_id, sizeof(slot->ev.patch_id));
	slot->pid = get_pid(task_tgid(current));
	slot->tid = get_pid(task_pid(current));
	spin_unlock(&kpl_ev_lock);
	put_pid(old_pid);
	put_pid(old_tid);
	kpl_stat_inc(KPL_STAT_EVENTS);
	wake_up_interruptible_poll(&kpl_ev_wq, EPOLLIN | EPOLLRDNORM);
}

/* The number the next event will get: a new reader starts there. */
u64 kpl_event_head(void)
{
	u64 head;

	spin_lock(&kpl_ev_lock);
	head = kpl_ev_next;
	spin_unlock(&kpl_ev_lock);
	return head;
}

static bool kpl_event_ready(struct kpl_session *s)
{
	return READ_ONCE(s->ev_next) < kpl_event_head();
}

/*
 * Take the event @s wants next, if any.  Return false when there is
 * none; the cursor moves only when the caller says it was delivered.
 */
static bool kpl_event_peek(struct kpl_session *s, struct kpl_event *ev)
{
	struct pid *pid, *tid;
	u64 oldest, want = s->ev_next;
	u32 lost = 0;

	spin_lock(&kpl_ev_lock);
	if (want >= kpl_ev_next) {
		spin_unlock(&kpl_ev_lock);
		return false;
	}
	oldest = kpl_ev_next > KPL_EVENTS_KEPT ?
			 kpl_ev_next - KPL_EVENTS_KEPT :
			 1;
	if (want < oldest) {
		lost = min_t(u64, oldest - want, U32_MAX);
		want = oldest;
	}
	*ev = kpl_ev_ring[want % KPL_EVENTS_KEPT].ev;
	pid = get_pid(kpl_ev_ring[want % KPL_EVENTS_KEPT].pid);
	tid = get_pid(kpl_ev_ring[want % KPL_EVENTS_KEPT].tid);
	spin_unlock(&kpl_ev_lock);

	ev->pid = pid_vnr(pid);
	ev->tid = pid_vnr(tid);
	ev->lost = lost;
	put_pid(pid);
	put_pid(tid);
	return true;
}

/**
 * kpl_event_read() - read() on the device
 * @s:	      the file's session (its lock not held)
 * @buf:      user buffer
 * @len:      its size; at least one struct kpl_event
 * @nonblock: O_NONBLOCK
 *
 * Return: bytes read (whole records), or -EINVAL, -EPERM, -EAGAIN,
 * -ERESTARTSYS, -EFAULT.
 */
ssize_t kpl_event_read(struct kpl_session *s, char __user *buf, size_t len,
		       bool nonblock)
{
	struct kpl_event ev;
	ssize_t n = 0;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (len < sizeof(ev))
		return -EINVAL;
	for (;;) {
		if (kpl_event_ready(s))
			break;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(kpl_ev_wq, kpl_event_ready(s));
		if (ret)
			return ret;
	}

	mutex_lock(&s->lock);
	while (len - (size_t)n >= sizeof(ev) && kpl_event_peek(s, &ev)) {
		if (copy_to_user(buf + n, &ev, sizeof(ev))) {
			if (!n)
				n = -EFAULT;
			break;
		}
		WRITE_ONCE(s->ev_next, ev.seq + 1);
		n += sizeof(ev);
	}
	mutex_unlock(&s->lock);
	return n;
}

/* poll() on the device: readable when an event waits for this file. */
__poll_t kpl_event_poll(struct kpl_session *s, struct file *file,
			poll_table *pt)
{
	poll_wait(file, &kpl_ev_wq, pt);
	return kpl_event_ready(s) ? EPOLLIN | EPOLLRDNORM : 0;
}

int kpl_event_init(void)
{
	kpl_ev_ring = kvcalloc(KPL_EVENTS_KEPT, sizeof(*kpl_ev_ring),
			       GFP_KERNEL);
	return kpl_ev_ring ? 0 : -ENOMEM;
}

void kpl_event_exit(void)
{
	unsigned int i;

	for (i = 0; i < KPL_EVENTS_KEPT; i++) {
		put_pid(kpl_ev_ring[i].pid);
		put_pid(kpl_ev_ring[i].tid);
	}
	kvfree(kpl_ev_ring);
}
