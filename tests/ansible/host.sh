#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One "host" of tests/ansible/check-ansible.sh: the first process of a pid,
# mount and UTS namespace of its own (unshare --fork --pid --mount
# --mount-proc --uts), with private tmpfs over the directories a host
# keeps to itself:
#   /run             kpld's socket (the default path), sshd's, its own
#                    files, and in /run/app kpl-spin with its own copy
#                    of libspin.so.1
#   /var/lib         kpld's store and journal (the default paths)
#   /usr/local/bin, /usr/local/sbin   kpl and kpld, "installed"
# and, on the machine's loopback, its own sshd at ADDR:PORT, its own kpld
# and two kpl-spin processes (the workload).  Ansible reaches it as root
# with the test's key.  Writes DIR/ready when all run; on SIGTERM stops
# kpld and sshd; when it exits the kernel ends every process of the
# namespace.
#
#   host.sh N ADDR PORT DIR KPL KPLD IT_DIR KEYS
set -eu
n=$1 addr=$2 port=$3 dir=$4 kpl=$5 kpld=$6 it=$7 keys=$8

hostname "kplhost$n"
for d in /run /var/lib /usr/local/bin /usr/local/sbin; do
	mount -t tmpfs -o mode=0755 "kpl-host$n" "$d"
done
cp "$kpl" /usr/local/bin/kpl
cp "$kpld" /usr/local/sbin/kpld
mkdir -p /run/app /run/sshd /run/kpl/keys /var/lib/kpatch-lite/patches
cp "$it/kpl-spin" "$it/libspin.so.1" /run/app/
chmod 0700 /run/kpl
cp "$keys"/*.pub /run/kpl/keys/
printf 'rescan_ms = 60000\n' >/run/kpl/kpld.conf
cp "$dir/ssh_host_ed25519_key" /run/kpl/
cp "$dir/authorized_keys" /run/kpl/
chmod 0600 /run/kpl/ssh_host_ed25519_key
cat >/run/kpl/sshd_config <<EOC
ListenAddress $addr:$port
HostKey /run/kpl/ssh_host_ed25519_key
PermitRootLogin prohibit-password
AuthorizedKeysFile /run/kpl/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile /run/sshd.pid
Subsystem sftp internal-sftp
EOC

/usr/local/sbin/kpld --keys /run/kpl/keys -c /run/kpl/kpld.conf \
	>/run/kpl/kpld.log 2>&1 &
kpld_pid=$!
/usr/sbin/sshd -D -e -f /run/kpl/sshd_config >/run/kpl/sshd.log 2>&1 &
sshd_pid=$!
for i in 1 2; do
	/run/app/kpl-spin --idle --threads 2 >"/run/app/spin$i.out" 2>&1 &
done
trap 'kill -TERM $kpld_pid $sshd_pid 2>/dev/null; wait $kpld_pid; exit 0' \
	TERM INT
i=0
while [ ! -S /run/kpatch-lite/kpld.sock ] && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
echo "kplhost$n" >"$dir/ready"
while :; do
	sleep 3600 &
	wait $!
done
