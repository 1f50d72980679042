#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# Find the kernel's own reports in the console log of a UML KUnit run.
#
#   scripts/kernel-reports.py TEST_LOG REPORTS_FILE
#
# TEST_LOG is the raw kernel output kunit.py keeps in <build_dir>/test.log.
# Prints the number of reports on stdout and writes every report, with the
# KUnit case it happened in, to REPORTS_FILE (the known harmless ones are
# listed there too, as ignored).  A report is the kernel complaining on its
# own, whatever the case's verdict:
#
#   - lockdep: "WARNING: possible circular locking dependency detected",
#     "... recursive locking ...", "WARNING: inconsistent lock state",
#     "WARNING: suspicious RCU usage", "WARNING: lock held when returning
#     to user space!", "INFO: trying to register non-static key.", and its
#     "BUG:" lines ("BUG: Invalid wait context", "BUG: key ... has not been
#     registered!", ...);
#   - sleeping in atomic context: "BUG: sleeping function called from
#     invalid context", "BUG: scheduling while atomic";
#   - DEBUG_OBJECTS: "ODEBUG: ..." (printed inside a WARN);
#   - KASAN, KCSAN, UBSAN, spinlock debugging: "BUG: KASAN: ...",
#     "BUG: KCSAN: ...", "UBSAN: ...", "BUG: spinlock ...";
#   - any other WARN*() ("------------[ cut here ]------------" and
#     "WARNING: CPU: N PID: N at ..."), "BUG:", oops, panic, hung task, and
#     a bare "Call Trace:" (dump_stack()) outside any of these.
#
# One report is one block: from "[ cut here ]", a "=====" rule or its
# first header line to "---[ end trace ... ]---", the closing rule of a
# KASAN/KCSAN report, the end of its call trace, or the next KTAP line.
# Lines inside a block (its call trace, the "ODEBUG:" message of a WARN)
# do not count again.
#
# Known harmless: the KUnit UML configuration enables virtio PCI without
# a device ID, so every boot prints one WARN from um_pci_init().  A report
# is ignored only if it is that WARN: its "WARNING: CPU: ..." line is at
# arch/um/drivers/virt-pci.c and its message is "No virtio device ID
# configured for PCI - no PCI support".  The function name is not matched:
# in the debug build kallsyms prints it as a bare address.

import re
import sys

# printk prefixes the console may add (PRINTK_TIME, caller id).
PREFIX = re.compile(r'^(?:\[ *[0-9]+\.[0-9]+\] ?)?(?:\[ *[TC][0-9]+\] ?)?')
CUT = re.compile(r'^-+\[ cut here \]-+$')
RULE = re.compile(r'^={20,}$')
END = re.compile(r'^---\[ end trace [0-9a-f]+ \]---')
HEADER = re.compile(r'^(?:WARNING:|BUG:|ODEBUG:|UBSAN:|'
		    r'INFO: trying to register non-static key|'
		    r'INFO: task .* blocked for more than|'
		    r'Kernel panic|Oops|general protection fault|'
		    r'Call Trace:)')
# Reports that end with a second "=====" rule rather than with their trace.
RULED = re.compile(r'^BUG: K(?:ASAN|CSAN|FENCE|MSAN):')
# One entry of a call trace (UML: " [<6002b090>] ? um_set_signals+0x0/0x50").
STACK = re.compile(r'^\s+(?:\[<[0-9a-f]+>\]|\? |[\w.]+\+0x[0-9a-f]+/)')
KTAP = re.compile(r'^\s*(?:(?:not )?ok [0-9]+|# |KTAP version|TAP version|'
		  r'1\.\.[0-9]+)')
RESULT = re.compile(r'^( *)(?:not )?ok [0-9]+ (.*?)(?: # .*)?$')
SUBTEST = re.compile(r'^( *)# Subtest: (.*)$')

HARMLESS = [
	(re.compile(r'^WARNING: CPU: [0-9]+ PID: [0-9]+ at '
		    r'arch/um/drivers/virt-pci\.c:[0-9]+ '),
	 re.compile(r'^No virtio device ID configured for PCI - no PCI support$'),
	 'um_pci_init: "No virtio device ID configured for PCI" (KUnit UML config)'),
]


class Report:
	def __init__(self, start, kind, line):
		self.start = start	# index of its first line in the log
		self.kind = kind	# 'cut', 'rule' or 'line'
		self.lines = [line]
		self.header = None	# its first header line
		self.in_trace = False
		self.trace_done = False

	def add(self, line):
		self.lines.append(line)
		if self.header is None and HEADER.match(line):
			self.header = line
		if line == 'Call Trace:':
			self.in_trace = True

	def harmless(self):
		for warn, msg, why in HARMLESS:
			if (any(warn.match(l) for l in self.lines) and
			    any(msg.match(l) for l in self.lines)):
				return why
		return None


def scan(lines):
	reports = []
	cur = None

	def next_is_header(i):
		for l in lines[i + 1:i + 4]:
			if l.strip():
				return bool(HEADER.match(l))
		return False

	for i, line in enumerate(lines):
		if cur is not None:
			if END.match(line):
				cur.add(line)
				cur = None
				continue
			if KTAP.match(line):
				cur = None
			elif cur.kind == 'rule' and RULE.match(line) and \
			     cur.header and RULED.match(cur.header):
				cur.add(line)
				cur = None
				continue
			elif (CUT.match(line) or RULE.match(line)) and \
			     next_is_header(i):
				cur = None
			elif cur.in_trace and line.strip() and \
			     not STACK.match(line) and cur.kind != 'cut' and \
			     not (cur.header and RULED.match(cur.header)):
				# The trace is over, and with it the report.
				cur = None
			else:
				cur.add(line)
				continue
		if (CUT.match(line) or RULE.match(line)) and next_is_header(i):
			cur = Report(i, 'cut' if CUT.match(line) else 'rule', line)
			reports.append(cur)
		elif HEADER.match(line):
			cur = Report(i, 'line', line)
			cur.header = line
			cur.in_trace = line == 'Call Trace:'
			reports.append(cur)
	return reports


def where(lines, start):
	"""The KUnit suite and case running when line @start was printed."""
	suite = None
	for l in lines[:start]:
		m = SUBTEST.match(l)
		if m and len(m.group(1)) == 4:
			suite = m.group(2)
	if suite is None:
		return 'boot, before the first KUnit suite'
	for l in lines[start:]:
		m = RESULT.match(l)
		if m and len(m.group(1)) == 4:
			return f'{suite}.{m.group(2)}'
		if m and len(m.group(1)) == 0:
			return f'{suite} (init or exit)'
	return f'{suite}, no case result after it (crash or timeout?)'


def main():
	if len(sys.argv) != 3:
		sys.exit('usage: kernel-reports.py TEST_LOG REPORTS_FILE')
	try:
		with open(sys.argv[1], errors='replace') as fh:
			lines = [PREFIX.sub('', l.rstrip('\r\n')) for l in fh]
	except OSError as e:
		with open(sys.argv[2], 'w') as out:
			out.write(f'no kernel log: {e}\n')
		print(0)
		return

	found = []
	ignored = []
	for r in scan(lines):
		why = r.harmless()
		(ignored if why else found).append((r, why))

	with open(sys.argv[2], 'w') as out:
		for n, (r, _) in enumerate(found, 1):
			out.write(f'--- report {n} of {len(found)}, in '
				  f'{where(lines, r.start)} '
				  f'({sys.argv[1]} line {r.start + 1}):\n')
			out.write('\n'.join(r.lines) + '\n')
		for r, why in ignored:
			out.write(f'--- ignored, known harmless: {why} '
				  f'(line {r.start + 1})\n')
	print(len(found))


if __name__ == '__main__':
	main()
