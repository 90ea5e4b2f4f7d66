// SPDX-License-Identifier: GPL-2.0
/*
 * kpatch-lite: binding a session to the process it patches.
 *
 * Any user process may be attached but three: the caller's own (a stop
 * would wait for the caller itself), kernel threads (no user code to
 * hold) and PID 1 unless asked for (a held init stops reaping, and the
 * box with it).  ptrace_may_access() is not exported on 6.1, so
 * CAP_SYS_ADMIN, checked on every request, is the whole permission
 * model: as strong as root's ptrace, but it does not consult LSMs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "kpl.h"

/*
 * The address space of @task's thread group, with a reference on the
 * mm_struct (not on its mappings).  The group leader may have exited
 * already while other threads run: any thread that still has it will do.
 */
static struct mm_struct *kpl_group_mm(struct task_struct *task)
{
	struct mm_struct *mm = NULL;
	struct task_struct *t;

	rcu_read_lock();
	for_each_thread(task, t) {
		task_lock(t);
		if (t->mm && !(t->flags & PF_KTHREAD)) {
			mm = t->mm;
			mmgrab(mm);
		}
		task_unlock(t);
		if (mm)
			break;
	}
	rcu_read_unlock();
	return mm;
}

/**
 * kpl_target_attach() - bind session @s to the process @a names
 * @s: the session, not attached yet; its lock held
 * @a: the request, copied from userland
 *
 * Return: 0, or -EINVAL (bad flags or pid), -EBUSY (already attached),
 * -ESRCH (no such process, or it has no address space left), -EPERM (a
 * kernel thread, or PID 1 without KPL_ATTACH_F_INIT), -EDEADLK (the
 * caller's own process, or one sharing the caller's memory).  On success
 * the session owns a reference on the pid and on the mm_struct.
 */
int kpl_target_attach(struct kpl_session *s, const struct kpl_attach *a)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;
	int ret;

	if ((a->flags & ~KPL_ATTACH_FLAGS) || a->reserved || a->pid <= 0)
		return -EINVAL;
	if (s->pid)
		return -EBUSY;

	pid = find_get_pid(a->pid);
	if (!pid)
		return -ESRCH;
	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task) {
		ret = -ESRCH;
		goto err_pid;
	}
	if (task->flags & PF_KTHREAD) {
		ret = -EPERM;
		goto err_task;
	}
	if (is_global_init(task) && !(a->flags & KPL_ATTACH_F_INIT)) {
		ret = -EPERM;
		goto err_task;
	}
	if (same_thread_group(task, current)) {
		ret = -EDEADLK;
		goto err_task;
	}
	mm = kpl_group_mm(task);
	if (!mm) {
		ret = -ESRCH;
		goto err_task;
	}
	if (mm == current->mm) {
		ret = -EDEADLK;
		goto err_mm;
	}

	put_task_struct(task);
	s->pid = pid;
	s->mm = mm;
	return 0;

err_mm:
	mmdrop(mm);
err_task:
	put_task_struct(task);
err_pid:
	put_pid(pid);
	return ret;
}

/**
 * kpl_target_detach() - drop what kpl_target_attach() took
 * @s: the session, its lock held, not stopped; attached or not
 */
void kpl_target_detach(struct kpl_session *s)
{
	if (s->mm)
		mmdrop(s->mm);
	put_pid(s->pid);
	s->mm = NULL;
	s->pid = NULL;
}

/**
 * kpl_target_leader() - the attached process's thread group leader
 * @s: an attached session, its lock held
 *
 * Return: a referenced task (put_task_struct() it), or NULL when the
 * process is gone.  The leader may be a zombie whose threads live on.
 */
struct task_struct *kpl_target_leader(struct kpl_session *s)
{
	return get_pid_task(s->pid, PIDTYPE_TGID);
}

/**
 * kpl_target_check_caller() - may the current task stop the target?
 * @s: an attached session, its lock held
 *
 * A descriptor can be inherited, so the target itself may be the one
 * asking: it would wait for its own thread to park.
 *
 * Return: 0, -ESRCH when the process is gone, -EDEADLK when the caller
 * belongs to it or shares its memory.
 */
int kpl_target_check_caller(struct kpl_session *s)
{
	struct task_struct *leader = kpl_target_leader(s);
	int ret = 0;

	if (!leader)
		return -ESRCH;
	if (same_thread_group(leader, current) || current->mm == s->mm)
		ret = -EDEADLK;
	put_task_struct(leader);
	return ret;
}
