# SPDX-License-Identifier: GPL-2.0
# make check-ansible: the kpatch_lite.fleet Ansible collection (ansible/)
# with Debian's ansible-core against 3 hosts that the test makes of
# namespaces on this machine, each with its own kpld and sshd on
# 127.0.0.1N (tests/ansible/check-ansible.sh), as root.  About 10 minutes,
# so .ci/run runs it after make check.  KPL_LOCK=FILE holds FILE (flock)
# while live processes are patched.

.PHONY: check-ansible
check-ansible: it-fixtures test-keys $(BUILD)/asan/kpl $(BUILD)/asan/kpld
	@KPL=$(BUILD)/asan/kpl KPLD=$(BUILD)/asan/kpld IT_DIR=$(IT_DIR) \
		KPL_KEYS=$(KPL_KEYS) KPL_LOCK=$(KPL_LOCK) \
		sh tests/ansible/check-ansible.sh
