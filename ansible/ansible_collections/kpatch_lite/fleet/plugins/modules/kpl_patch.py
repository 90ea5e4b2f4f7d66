#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# kpatch_lite.fleet.kpl_patch: install, remove and report a kpatch-lite
# patch on one host through that host's kpld (the `kpl` CLI, JSON
# replies).  Check mode runs `kpl check` on every process that would be
# patched; diff mode shows the patch's state and each process before and
# after.  The module talks to nothing but kpl on the host: the rollout
# across hosts is Ansible's (playbooks/wave.yml).

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: kpl_patch
short_description: Install, remove and report a kpatch-lite live patch
description:
  - Asks the host's kpld (through C(kpl)) to install a patch of its store
    in every process that maps the patch's library, to revert it
    everywhere, or only reports its state and which processes run it.
  - Check mode changes nothing and runs C(kpl check -p PID) on every
    process that the install would patch; any refusal fails the task.
  - Diff mode shows the patch's state and each process mapping its
    library (patched or running the old code) before and after.
options:
  id:
    description: The patch id (C(kpl info) shows it).  Optional only with
      I(state=report), which then reports every patch of the store.
    type: str
  state:
    description:
      - C(present) installs the patch (changed only when it was not
        installed); C(absent) reverts it everywhere (changed only when it
        was installed); C(report) changes nothing.
      - A quarantined, invalid or superseded patch fails C(present).
    type: str
    choices: [present, absent, report]
    default: present
  src:
    description: A .kpl file on the host, copied into I(store_dir) when
      the store does not hold the patch yet.
    type: path
  store_dir:
    description: kpld's store directory.
    type: path
    default: /var/lib/kpatch-lite/patches
  allow_partial:
    description: With C(present), do not fail when processes mapping the
      library still run the old code after the install.
    type: bool
    default: false
  keys:
    description: The trusted keys directory C(kpl check) verifies the
      patch's signature with (kpl's default, /etc/kpatch-lite/keys, when
      not given; kpld uses its own).
    type: path
  kpl:
    description: The kpl program.
    type: str
    default: kpl
  socket:
    description: kpld's control socket (KPLD_SOCKET); kpl's default when
      not given.
    type: path
'''

EXAMPLES = r'''
- name: Install MW-2026-0001 wherever the library runs
  kpatch_lite.fleet.kpl_patch:
    id: MW-2026-0001
    src: /var/lib/kpatch-lite/patches/MW-2026-0001.kpl

- name: Is it quarantined anywhere?
  kpatch_lite.fleet.kpl_patch:
    id: MW-2026-0001
    state: report
  register: kpl
'''

RETURN = r'''
patch:
  description: >-
    The patch in kpld's store after the task (before, in check mode),
    with id, version, state, reason, active, mapping, not_patched, last.
  type: dict
  returned: when the store holds the patch
patches:
  description: Every patch of the store (state=report without id).
  type: list
  returned: state=report without id
quarantined:
  description: The crash watchdog quarantined the patch on this host.
  type: bool
  returned: always
processes:
  description: >-
    The processes mapping the patch's library, each with pid, comm and
    patched.
  type: list
  returned: when the patch's file is known
checked:
  description: >-
    In check mode, each process C(kpl check) was run on, with ok and its
    message.
  type: list
  returned: check mode, state=present
'''

import json
import os
import shutil
import struct

from ansible.module_utils.basic import AnsibleModule

PT_NOTE = 4
NT_GNU_BUILD_ID = 3
MAX_PHNUM = 128
MAX_NOTE = 1 << 16


class KplError(Exception):
    pass


def elf_build_id(path):
    """The GNU build-id of the ELF file at @path, hex, or None.

    The file is whatever a process maps, so every size is bounded."""
    try:
        with open(path, 'rb') as f:
            eh = f.read(64)
            if len(eh) < 64 or eh[:4] != b'\x7fELF' or eh[4] != 2 \
                    or eh[5] != 1:
                return None
            phoff, = struct.unpack_from('<Q', eh, 32)
            phentsize, phnum = struct.unpack_from('<HH', eh, 54)
            if phentsize < 56 or phnum > MAX_PHNUM:
                return None
            f.seek(phoff)
            ph = f.read(phentsize * phnum)
            for i in range(len(ph) // phentsize):
                p = ph[i * phentsize:(i + 1) * phentsize]
                ptype, = struct.unpack_from('<I', p, 0)
                off, = struct.unpack_from('<Q', p, 8)
                size, = struct.unpack_from('<Q', p, 32)
                if ptype != PT_NOTE or size > MAX_NOTE:
                    continue
                f.seek(off)
                bid = gnu_note(f.read(size))
                if bid:
                    return bid
    except (OSError, ValueError, struct.error):
        return None
    return None


def gnu_note(buf):
    pos = 0
    while pos + 12 <= len(buf):
        namesz, descsz, ntype = struct.unpack_from('<III', buf, pos)
        name_at = pos + 12
        desc_at = name_at + ((namesz + 3) & ~3)
        end = desc_at + ((descsz + 3) & ~3)
        if end > len(buf):
            return None
        if ntype == NT_GNU_BUILD_ID and \
                buf[name_at:name_at + namesz] == b'GNU\0':
            return buf[desc_at:desc_at + descsz].hex()
        pos = end
    return None


def comm_of(pid):
    """The process's name, which it chose: escaped to printable ASCII."""
    try:
        with open('/proc/%d/comm' % pid, 'rb') as f:
            raw = f.read(64).rstrip(b'\n')
    except OSError:
        return ''
    return ''.join(chr(c) if 0x20 < c < 0x7f and c != 0x5c
                   else '\\x%02x' % c for c in raw)


def mapping_pids(build_id):
    """The processes with a file of @build_id mapped executable."""
    seen = {}
    pids = []
    me = os.getpid()
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        try:
            with open('/proc/%d/maps' % pid) as f:
                lines = f.read(1 << 22).splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            fields = line.split(None, 5)
            if len(fields) < 6 or 'x' not in fields[1] \
                    or not fields[5].startswith('/'):
                continue
            key = (fields[3], fields[4])
            if key not in seen:
                seen[key] = elf_build_id('/proc/%d/map_files/%s' %
                                         (pid, fields[0]))
            if seen[key] == build_id:
                pids.append(pid)
                break
    return sorted(pids)


class Kpl(object):
    def __init__(self, module):
        self.m = module
        self.env = {}
        if module.params['socket']:
            self.env['KPLD_SOCKET'] = module.params['socket']

    def run(self, *args):
        cmd = [self.m.params['kpl']] + list(args)
        return self.m.run_command(cmd, environ_update=self.env)

    def json(self, *args):
        rc, out, err = self.run(*args)
        try:
            reply = json.loads(out)
        except ValueError:
            reply = None
        if rc != 0 or reply is None:
            raise KplError('kpl %s failed (exit %d): %s' %
                           (' '.join(args), rc,
                            (err or out).strip() or 'no output'))
        return reply

    def store(self):
        reply = self.json('store', '--json')
        if not reply.get('ok'):
            raise KplError('kpld refused status: %s' % reply.get('error'))
        return reply

    def entry(self, pid):
        for p in self.store().get('patches', []):
            if p.get('id') == pid:
                return p
        return None

    def info(self, path):
        return self.json('info', '--json', path)

    def patched_pids(self, pid):
        out = set()
        for proc in self.json('status', '--json'):
            for p in proc.get('patches', []):
                if p.get('id') == pid and p.get('state') == 'applied':
                    out.add(proc.get('pid'))
        return out


def patch_file(kpl, params):
    """The .kpl file of the patch on this host: src, or the store's."""
    if params['src']:
        return params['src']
    d = params['store_dir']
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return None
    for n in names:
        if not n.endswith('.kpl'):
            continue
        try:
            if kpl.info(os.path.join(d, n)).get('id') == params['id']:
                return os.path.join(d, n)
        except KplError:
            continue
    return None


def describe(entry, procs, id_):
    if entry is None:
        head = 'patch %s: not in the store' % id_
    else:
        head = 'patch %s v%s: %s' % (id_, entry.get('version'),
                                     entry.get('state'))

    lines = [head]
    for p in procs:
        lines.append('pid %d %s: %s' % (p['pid'], p['comm'],
                                        'patched' if p['patched']
                                        else 'old code'))
    return '\n'.join(lines) + '\n'


def processes(kpl, path, id_):
    if not path:
        return []
    bid = kpl.info(path).get('build_id')
    done = kpl.patched_pids(id_)
    return [{'pid': p, 'comm': comm_of(p), 'patched': p in done}
            for p in mapping_pids(bid)]


def check_all(m, kpl, path, procs, res):
    """Check mode: `kpl check` every process the install would patch."""
    res['checked'] = []
    bad = []
    for proc in procs:
        if proc['patched']:
            continue
        keys = ['--keys', m.params['keys']] if m.params['keys'] else []
        rc, out, err = kpl.run('check', *(keys + ['-p', str(proc['pid']),
                                                  path]))
        msg = (out + err).strip()
        res['checked'].append({'pid': proc['pid'], 'ok': rc == 0,
                               'msg': msg})
        if rc != 0:
            bad.append('pid %d: %s' % (proc['pid'], msg))
    if bad:
        m.fail_json(msg='kpl check refuses %s: %s' %
                    (m.params['id'], '; '.join(bad)), **res)


def present(m, kpl, res):
    p = m.params
    entry = kpl.entry(p['id'])
    if entry is None and not p['src']:
        m.fail_json(msg='patch %s is not in kpld\'s store on this host '
                    '(give src, or copy it to %s)' % (p['id'],
                                                       p['store_dir']),
                    **res)
    if entry is None and not m.check_mode:
        dest = os.path.join(p['store_dir'], '%s.kpl' % p['id'])
        shutil.copyfile(p['src'], dest + '.tmp')
        os.chmod(dest + '.tmp', 0o644)
        os.rename(dest + '.tmp', dest)
        kpl.json('rescan')
        entry = kpl.entry(p['id'])
        if entry is None:
            m.fail_json(msg='kpld did not take %s into its store '
                        '(its log says why)' % p['src'], **res)
        res['changed'] = True
    old = entry or {'version': kpl.info(p['src']).get('version'),
                    'state': 'not in the store'}
    state = old['state']
    res['patch'] = entry
    res['quarantined'] = state == 'quarantined'
    if state in ('quarantined', 'invalid', 'superseded'):
        m.fail_json(msg='patch %s is %s on this host: %s' %
                    (p['id'], state, old.get('reason') or 'no reason'),
                    **res)
    path = patch_file(kpl, p)
    before = processes(kpl, path, p['id'])
    res['processes'] = before
    after = [dict(x, patched=True) for x in before]
    new = dict(old, state='installed')
    if state == 'installed':
        after = before
    elif m.check_mode:
        res['changed'] = True
        check_all(m, kpl, path, before, res)
    else:
        rc, out, err = kpl.run('install', p['id'])
        if rc != 0:
            m.fail_json(msg='kpl install %s failed (exit %d): %s' %
                        (p['id'], rc, (err or out).strip()), **res)
        res['changed'] = True
        new = res['patch'] = kpl.entry(p['id'])
        after = res['processes'] = processes(kpl, path, p['id'])
        if new.get('state') != 'installed':
            m.fail_json(msg='patch %s is %s after kpl install: %s' %
                        (p['id'], new.get('state'), new.get('reason')),
                        **res)
    if not m.check_mode and new.get('not_patched') and \
            not p['allow_partial']:
        m.fail_json(msg='patch %s is installed but %d of %d processes '
                    'still run the old code: %s' %
                    (p['id'], new['not_patched'], new['mapping'],
                     new.get('last') or ''), **res)
    if m._diff:
        res['diff'] = {'before': describe(old, before, p['id']),
                       'after': describe(new, after, p['id'])}


def absent(m, kpl, res):
    p = m.params
    entry = kpl.entry(p['id'])
    res['patch'] = entry
    if entry is None:
        return
    res['quarantined'] = entry.get('state') == 'quarantined'
    path = patch_file(kpl, p)
    before = processes(kpl, path, p['id'])
    res['processes'] = before
    after = before
    if entry.get('state') == 'installed':
        res['changed'] = True
        after = [dict(x, patched=False) for x in before]
        if not m.check_mode:
            rc, out, err = kpl.run('uninstall', p['id'])
            if rc != 0:
                m.fail_json(msg='kpl uninstall %s failed (exit %d): %s' %
                            (p['id'], rc, (err or out).strip()), **res)
            res['patch'] = kpl.entry(p['id'])
            after = processes(kpl, path, p['id'])
            res['processes'] = after
    if m._diff:
        res['diff'] = {
            'before': describe(entry, before, p['id']),
            'after': describe(dict(entry, state='reverted')
                              if res['changed'] else entry, after,
                              p['id']),
        }


def report(m, kpl, res):
    p = m.params
    if not p['id']:
        res['patches'] = kpl.store().get('patches', [])
        res['quarantined'] = any(x.get('state') == 'quarantined'
                                 for x in res['patches'])
        return
    entry = kpl.entry(p['id'])
    res['patch'] = entry
    res['quarantined'] = bool(entry) and entry.get('state') == 'quarantined'
    if entry:
        res['processes'] = processes(kpl, patch_file(kpl, p), p['id'])


def main():
    m = AnsibleModule(
        argument_spec=dict(
            id=dict(type='str'),
            state=dict(type='str', default='present',
                       choices=['present', 'absent', 'report']),
            src=dict(type='path'),
            store_dir=dict(type='path',
                           default='/var/lib/kpatch-lite/patches'),
            allow_partial=dict(type='bool', default=False),
            keys=dict(type='path'),
            kpl=dict(type='str', default='kpl'),
            socket=dict(type='path'),
        ),
        required_if=[('state', 'present', ['id']),
                     ('state', 'absent', ['id'])],
        supports_check_mode=True,
    )
    res = {'changed': False, 'quarantined': False}
    kpl = Kpl(m)
    try:
        if m.params['state'] == 'present':
            present(m, kpl, res)
        elif m.params['state'] == 'absent':
            absent(m, kpl, res)
        else:
            report(m, kpl, res)
    except (KplError, OSError) as e:
        m.fail_json(msg=str(e), **res)
    m.exit_json(**res)


if __name__ == '__main__':
    main()
