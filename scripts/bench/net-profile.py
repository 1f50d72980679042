#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Where L1's CPUs spend a UDP round trip: split L1's ftrace of `make
bench --mode net --profile LIST` by thread (Documentation/performance.rst).

  net-profile.py TRACE[.gz] ROUND_TRIPS

The trace holds one section per contender ("# BENCH PROFILE <name>", then
ftrace's text output) covering only the guest's udp-rr window: ROUND_TRIPS
round trips (kvnet's warm-up included, and its start).  From the scheduler's switches, every CPU's time
goes to the task running on it; the vCPU thread's time is split at its L2
entries and exits into time in L2 and time in L1.  Threads are grouped by
name with digits folded ("vhost-1234" is "vhost-N").  Each row is µs per
round trip, summed over L1's CPUs; idle is what no task used.  The
elapsed time per round trip times the CPU count is the total of a column.
"""
import collections
import gzip
import re
import sys

LINE = re.compile(r'^\s*(?P<comm>.*?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+\S+\s+'
                  r'(?P<ts>\d+\.\d+):\s+(?P<ev>\w+):\s*(?P<rest>.*)$')
SWITCH = re.compile(r'prev_comm=(?P<pc>.*?) prev_pid=(?P<pp>\d+) .*'
                    r'==> next_comm=(?P<nc>.*?) next_pid=(?P<np>\d+)')
# Linux's first system vector: the local timer and IPIs are not devices.
FIRST_SYSTEM_VECTOR = 236
VEC = re.compile(r'\bvec (?P<vec>\d+)')


def sections(path):
    opener = gzip.open if path.endswith('.gz') else open
    name, lines = None, []
    with opener(path, 'rt', errors='replace') as f:
        try:
            for line in f:
                if line.startswith('# BENCH PROFILE '):
                    if name:
                        yield name, lines
                    name, lines = line.split()[3], []
                elif name:
                    lines.append(line)
        except EOFError:
            # A trace cut short (L1 killed mid-transfer): use what arrived.
            pass
    if name:
        yield name, lines


def group(comm, pid):
    if pid == 0:
        return 'idle'
    return re.sub(r'\d+', 'N', comm.strip())


def analyse(lines):
    """Seconds per thread group over the window, and event counts."""
    ev = [m for m in map(LINE.match, lines) if m]
    if not ev:
        return None
    t0, t1 = float(ev[0]['ts']), float(ev[-1]['ts'])
    cur = {}        # cpu -> [group, since]
    spent = collections.Counter()
    in_l2 = {}      # vCPU pid -> L2 entry time
    l2 = collections.Counter()
    vcpu = {}       # vCPU pid -> its group
    n = collections.Counter()
    cpus = set()
    for m in ev:
        cpu, ts, e = int(m['cpu']), float(m['ts']), m['ev']
        pid = int(m['pid'])
        cpus.add(cpu)
        if cpu not in cur:
            # Whatever logged the CPU's first event was running since t0.
            cur[cpu] = [group(m['comm'], pid), t0]
        if e == 'sched_switch':
            s = SWITCH.search(m['rest'])
            if not s:
                continue
            g, since = cur[cpu]
            spent[group(s['pc'], int(s['pp']))] += ts - since
            cur[cpu] = [group(s['nc'], int(s['np'])), ts]
            n['switches'] += 1
        elif e == 'sched_wakeup':
            n['wakeups'] += 1
        elif e == 'kvm_entry':
            vcpu[pid] = group(m['comm'], pid)
            in_l2[pid] = ts
        elif e == 'kvm_exit':
            n['exits'] += 1
            if pid in in_l2:
                l2[pid] += ts - in_l2.pop(pid)
        elif e == 'kvm_apic_accept_irq':
            v = VEC.search(m['rest'])
            if v and int(v['vec']) < FIRST_SYSTEM_VECTOR:
                n['irqs'] += 1
    for g, since in cur.values():
        spent[g] += t1 - since
    for pid, ts in in_l2.items():
        l2[pid] += t1 - ts
    # The vCPU threads' time in L2 is not L1's work: its own row.
    for pid, secs in l2.items():
        g = vcpu[pid]
        spent[g] -= secs
        spent[g + ' (in L2)'] += secs
    return {'spent': spent, 'window': t1 - t0, 'cpus': len(cpus), 'n': n}


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or int(sys.argv[2]) == 0:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    rts = int(sys.argv[2])
    res = {}
    for name, lines in sections(sys.argv[1]):
        r = analyse(lines)
        if r:
            res[name] = r
        else:
            print('net-profile: %s: no event in %d trace lines' %
                  (name, len(lines)), file=sys.stderr)
    if not res:
        return 1
    names = list(res)
    us = 1e6 / rts
    rows = sorted({g for n in names for g in res[n]['spent']},
                  key=lambda g: -max(res[n]['spent'].get(g, 0) for n in names))
    out = ['| L1 thread, µs per round trip | ' + ' | '.join(names) + ' |',
           '|---|' + '---:|' * len(names)]
    for g in rows:
        vals = [res[n]['spent'].get(g, 0) * us for n in names]
        if max(vals) < 1:
            continue
        out.append('| %s | %s |' % (g, ' | '.join('%.1f' % v for v in vals)))
    out.append('| elapsed per round trip (wall) | %s |' % ' | '.join(
        '%.1f' % (res[n]['window'] * us) for n in names))
    for k, what in (('exits', 'L2 exits'), ('irqs', 'device interrupts'),
                    ('wakeups', 'wake-ups'), ('switches', 'context switches')):
        out.append('| %s per round trip | %s |' % (what, ' | '.join(
            '%.2f' % (res[n]['n'][k] / rts) for n in names)))
    out += ['', '%d round trips per contender; L1 CPUs seen: %s.  Rows under '
            '1 µs everywhere are left out.' % (
                rts, ', '.join('%s %d' % (n, res[n]['cpus']) for n in names))]
    print('\n'.join(out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
