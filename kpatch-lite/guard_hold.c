// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: what a guard does with a thread of an unpatched process:
 * hold it, let it through, or kill the process.
 *
 * Held threads sleep in the uprobe handler itself.  Leaving the handler
 * without changing the IP would make uprobes single-step the original
 * instruction and run on into the old function, and nothing that runs
 * later on the way back to user mode (task work, say) could take that
 * back; so the thread waits where it trapped, its user IP on the entry.
 * It sleeps TASK_KILLABLE, in turns of at most KPL_HOLD_RECHECK, looking
 * for the patch again after each: a kill ends the wait at once, other
 * signals wait until it is over.  While it sleeps it holds the uprobe's
 * register_rwsem for reading, so deleting a guard first tells its held
 * threads to leave (@dying), then unregisters (which takes it for
 * writing).  A process gets patched while its thread is held through
 * KPL_IOC_STOP, which sees the sleeper off-CPU, hence quiescent, and
 * flags it KPL_THREAD_GUARDED; the stop's release kicks every held
 * thread to look again (kpl_guard_kick()).
 *
 * Every way out sets the IP, so uprobes never single-steps anything:
 * the new function, or entry + 4 (past endbr64, a no-op when user IBT
 * is off, as on 6.1) into whatever the process has there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "guard.h"
#include "kpl.h"

#define KPL_HOLD_RECHECK (HZ / 4)

/* A thread sleeping in kpl_guard_hold(). */
struct kpl_held {
	struct list_head node;
	struct task_struct *task;
	const struct kpl_guard *g;
};

static LIST_HEAD(kpl_held_list);
static DEFINE_SPINLOCK(kpl_held_lock);

static DECLARE_WAIT_QUEUE_HEAD(kpl_guard_wq);
static atomic_t kpl_guard_gen = ATOMIC_INIT(0);

/**
 * kpl_guard_kick() - have every held thread look for its patch again
 *
 * Called when a stop ends (a patch may just have been applied) and when
 * a guard is deleted.  Cheap: held threads are few and each looks once.
 */
void kpl_guard_kick(void)
{
	atomic_inc(&kpl_guard_gen);
	wake_up_all(&kpl_guard_wq);
}

/**
 * kpl_guard_task_held() - is @t held by a guard (by @g, if not NULL)?
 * @t: any task
 * @g: a guard, or NULL for any
 */
bool kpl_guard_task_held(struct task_struct *t, const struct kpl_guard *g)
{
	struct kpl_held *h;
	bool ret = false;

	spin_lock(&kpl_held_lock);
	list_for_each_entry(h, &kpl_held_list, node) {
		if (h->task == t && (!g || h->g == g)) {
			ret = true;
			break;
		}
	}
	spin_unlock(&kpl_held_lock);
	return ret;
}

/* Threads of process @tgid (global pid) that @g holds now. */
unsigned int kpl_guard_held_in(pid_t tgid, const struct kpl_guard *g)
{
	struct kpl_held *h;
	unsigned int n = 0;

	spin_lock(&kpl_held_lock);
	list_for_each_entry(h, &kpl_held_list, node)
		if (h->g == g && h->task->tgid == tgid)
			n++;
	spin_unlock(&kpl_held_lock);
	return n;
}

/* Go on past endbr64: what the thread would do without the probe. */
static void kpl_guard_pass(struct pt_regs *regs, unsigned long entry)
{
	instruction_pointer_set(regs, entry + KPL_ENDBR64_LEN);
}

static void kpl_guard_kill(struct kpl_guard_func *f, struct pt_regs *regs,
			   unsigned long entry)
{
	/* Fatal to the whole group; the thread never gets back to user. */
	force_sig(SIGKILL);
	kpl_guard_pass(regs, entry);
}

/* Wait for the patch, the deadline, a kill or the guard's deletion. */
static int kpl_guard_hold(struct kpl_guard_func *f, struct pt_regs *regs,
			  unsigned long entry)
{
	struct kpl_guard *g = f->g;
	struct kpl_held h = { .task = current, .g = g };
	unsigned long deadline = jiffies + msecs_to_jiffies(g->hold_ms);
	unsigned long ip = 0;
	u32 reason;
	int gen;
	long ret;

	spin_lock(&kpl_held_lock);
	list_add(&h.node, &kpl_held_list);
	spin_unlock(&kpl_held_lock);
	atomic_inc(&g->held);
	atomic64_inc(&g->holds);
	kpl_event_emit(KPL_EVENT_HOLD, 0, g, f->idx, entry);

	for (;;) {
		long left = (long)(deadline - jiffies);

		if (left <= 0) {
			reason = g->timeout_policy == KPL_GUARD_KILL ?
					 KPL_RELEASE_KILLED :
					 KPL_RELEASE_ALLOWED;
			break;
		}
		gen = atomic_read(&kpl_guard_gen);
		ret = wait_event_killable_timeout(
			kpl_guard_wq,
			atomic_read(&kpl_guard_gen) != gen ||
				READ_ONCE(g->dying),
			min_t(long, left, KPL_HOLD_RECHECK));
		if (ret < 0) {
			reason = KPL_RELEASE_DIED;
			break;
		}
		if (READ_ONCE(g->dying)) {
			reason = KPL_RELEASE_DELETED;
			break;
		}
		if (!kpl_record_target(g->patch_id, entry, &ip)) {
			reason = KPL_RELEASE_PATCHED;
			break;
		}
	}

	spin_lock(&kpl_held_lock);
	list_del(&h.node);
	spin_unlock(&kpl_held_lock);
	atomic_dec(&g->held);
	kpl_event_emit(KPL_EVENT_RELEASE, reason, g, f->idx, entry);

	switch (reason) {
	case KPL_RELEASE_PATCHED:
		atomic64_inc(&g->patched);
		instruction_pointer_set(regs, ip);
		return UPROBE_HANDLER_REMOVE;
	case KPL_RELEASE_KILLED:
		atomic64_inc(&g->timeouts);
		atomic64_inc(&g->kills);
		kpl_guard_kill(f, regs, entry);
		return 0;
	case KPL_RELEASE_ALLOWED:
		/* Given up on: this process runs unguarded, as with ALLOW. */
		atomic64_inc(&g->timeouts);
		atomic64_inc(&g->allows);
		kpl_guard_pass(regs, entry);
		return UPROBE_HANDLER_REMOVE;
	default:
		/* Deleted (the probes go anyway), or dying of a kill. */
		kpl_guard_pass(regs, entry);
		return 0;
	}
}

/**
 * kpl_guard_policy() - deal with a thread of a process not patched
 * @f:	   the entry it trapped on
 * @regs:  its user registers; the IP is set on return
 * @entry: the entry's address in this process
 *
 * Return: the uprobe handler's answer: UPROBE_HANDLER_REMOVE when the
 * breakpoint should leave this process.
 */
int kpl_guard_policy(struct kpl_guard_func *f, struct pt_regs *regs,
		     unsigned long entry)
{
	struct kpl_guard *g = f->g;

	switch (g->policy) {
	case KPL_GUARD_ALLOW:
		/* Reported once: then the process runs as if unguarded. */
		atomic64_inc(&g->allows);
		kpl_event_emit(KPL_EVENT_ALLOW, 0, g, f->idx, entry);
		kpl_guard_pass(regs, entry);
		return UPROBE_HANDLER_REMOVE;
	case KPL_GUARD_KILL:
		atomic64_inc(&g->kills);
		kpl_event_emit(KPL_EVENT_KILL, 0, g, f->idx, entry);
		kpl_guard_kill(f, regs, entry);
		return 0;
	default:
		return kpl_guard_hold(f, regs, entry);
	}
}
