#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Where a QD1 request's time goes: split L1's ftrace of `make bench`'s
profile guests into per-request segments (Documentation/performance.rst).

  profile.py TRACE[.gz]

The trace holds one section per contender ("# BENCH PROFILE <name>", then
ftrace's text output) covering only the guest's measured QD1 reads.  Each
device interrupt accepted by the guest's APIC ends one request; the task
that raised it is the backend thread (kvirtio's worker, the VMM's worker
thread, QEMU's iothread).  Going back from the interrupt:

  exit     the last L2 exit on the vCPU thread before the backend's wake-up
  wake     the backend thread's first wake-up after the previous interrupt
  run      the first switch to the backend thread after that wake-up
  irq      the interrupt
  entry    the first L2 entry on the vCPU thread after the interrupt

and the request's segments are wake - exit (the kick: L2 exit, MMIO
decode, ioeventfd), run - wake (scheduler), irq - run (the backend
itself), entry - irq (vCPU wake-up and injection) and, up to the next
request's exit, the guest (L2's completion handling, kvlat, the next
submission, and whatever other exits that takes).  A request whose events
do not line up in that order is dropped and counted.

When the vCPU thread raises the interrupts itself (kvirtio's inline
kicks), no other thread wakes up.  Then, back from each interrupt on the
vCPU thread: the last L2 exit, kvirtio's kick event of that exit (its
ioeventfd callback) and the next L2 entry; kick is kick event - exit,
sched is zero, backend is irq - kick event (task_work on the way back to
L2, the request, the irqfd), inject is entry - irq.
"""
import bisect
import gzip
import re
import statistics
import sys

LINE = re.compile(r'^\s*(?P<comm>.*?)-(?P<pid>\d+)\s+\[\d+\]\s+\S+\s+'
                  r'(?P<ts>\d+\.\d+):\s+(?P<ev>\w+):\s*(?P<rest>.*)$')
SEGMENTS = [
    ('kick', 'L2 exit to backend wake-up (exit, MMIO decode, ioeventfd)'),
    ('sched', 'wake-up to backend running (scheduler)'),
    ('backend', 'backend running to interrupt (ring, I/O, used, irqfd)'),
    ('inject', 'interrupt to L2 entry (vCPU wake-up, injection)'),
    ('guest', 'in L2 until the next kick (driver, kvlat, other exits)'),
]
# Linux's first system vector: the local timer and IPIs are not devices.
FIRST_SYSTEM_VECTOR = 236


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


def parse(lines):
    ev = []
    for line in lines:
        m = LINE.match(line)
        if m:
            ev.append((float(m['ts']), int(m['pid']), m['ev'], m['rest']))
    return ev


def field(rest, key):
    m = re.search(key + r'[= ](\S+)', rest)
    return m.group(1) if m else None


def analyse(ev):
    entries = [e for e in ev if e[2] == 'kvm_entry']
    if not entries:
        return None
    vcpu = statistics.mode(e[1] for e in entries)
    exits = [e[0] for e in ev if e[2] == 'kvm_exit' and e[1] == vcpu]
    entry_ts = [e[0] for e in ev if e[2] == 'kvm_entry' and e[1] == vcpu]
    irqs = [e for e in ev if e[2] == 'kvm_apic_accept_irq' and
            int(field(e[3], 'vec') or 999) < FIRST_SYSTEM_VECTOR]
    if not irqs:
        return None
    backend = statistics.mode(e[1] for e in irqs)
    if backend == vcpu:
        kicks = [e[0] for e in ev if e[2] == 'kvirtio_kick' and e[1] == vcpu]
        return finish(ev, vcpu, exits, entry_ts, irqs,
                      *inline_requests(irqs, vcpu, exits, kicks, entry_ts),
                      'vCPU thread (inline)')
    # Raised by another thread: the vCPU's own (a handoff) do not count.
    irqs = [e for e in irqs if e[1] != vcpu]
    wakes = [e[0] for e in ev if e[2] == 'sched_wakeup' and
             field(e[3], 'pid') == str(backend)]
    runs = [e[0] for e in ev if e[2] == 'sched_switch' and
            field(e[3], 'next_pid') == str(backend)]
    reqs, dropped = [], 0
    prev_irq = None
    for t_irq, pid, _, _ in irqs:
        if pid != backend:
            dropped += 1
            continue
        if prev_irq is None:
            prev_irq = t_irq
            continue
        i = bisect.bisect_right(wakes, prev_irq)
        j = bisect.bisect_right(exits, wakes[i]) if i < len(wakes) else 0
        k = bisect.bisect_right(runs, wakes[i]) if i < len(wakes) else 0
        m = bisect.bisect_right(entry_ts, t_irq)
        prev_irq, last = t_irq, prev_irq
        if i >= len(wakes) or j == 0 or k >= len(runs) or m >= len(entry_ts):
            dropped += 1
            continue
        t_wake, t_exit, t_run, t_entry = wakes[i], exits[j - 1], runs[k], entry_ts[m]
        if not (last <= t_exit <= t_wake <= t_run <= t_irq <= t_entry):
            dropped += 1
            continue
        reqs.append({'exit': t_exit, 'kick': t_wake - t_exit,
                     'sched': t_run - t_wake, 'backend': t_irq - t_run,
                     'inject': t_entry - t_irq, 'entry': t_entry})
    comm = next((e[3] for e in ev if e[2] == 'sched_wakeup' and
                 field(e[3], 'pid') == str(backend)), '')
    return finish(ev, vcpu, exits, entry_ts, irqs, reqs, dropped,
                  field(comm, 'comm') or str(backend))


def inline_requests(irqs, vcpu, exits, kicks, entry_ts):
    reqs, dropped = [], 0
    for t_irq, pid, _, _ in irqs:
        j = bisect.bisect_right(exits, t_irq)
        k = bisect.bisect_right(kicks, t_irq)
        m = bisect.bisect_right(entry_ts, t_irq)
        if pid != vcpu or j == 0 or k == 0 or m >= len(entry_ts):
            dropped += 1
            continue
        t_exit, t_kick, t_entry = exits[j - 1], kicks[k - 1], entry_ts[m]
        # The interrupt must answer a kick of this very exit.
        if not (t_exit <= t_kick <= t_irq <= t_entry):
            dropped += 1
            continue
        reqs.append({'exit': t_exit, 'kick': t_kick - t_exit, 'sched': 0.0,
                     'backend': t_irq - t_kick, 'inject': t_entry - t_irq,
                     'entry': t_entry})
    return reqs, dropped


def finish(ev, vcpu, exits, entry_ts, irqs, reqs, dropped, backend_name):
    # The guest segment runs to the next request's exit.
    for a, b in zip(reqs, reqs[1:]):
        a['guest'] = b['exit'] - a['entry']
        # Exits the guest took on the way (timer, APIC, EOI, halts).
        a['gexits'] = (bisect.bisect_left(exits, b['exit']) -
                       bisect.bisect_right(exits, a['entry']))
    reqs = [r for r in reqs if 'guest' in r]
    if not reqs:
        return None
    # Every exit of the vCPU by reason: how many per request, and how long
    # from the exit to the vCPU's next entry (handling in L1, plus any time
    # the vCPU then spent descheduled, as after a halt).
    reasons = {}
    vev = [e for e in ev if e[1] == vcpu and e[2] in ('kvm_exit', 'kvm_entry')]
    for a, b in zip(vev, vev[1:]):
        if a[2] == 'kvm_exit' and b[2] == 'kvm_entry':
            reasons.setdefault(field(a[3], 'reason') or '?', []).append(b[0] - a[0])
    return {'n': len(reqs), 'dropped': dropped, 'reqs': reqs,
            'backend': backend_name, 'reasons': reasons, 'irqs': len(irqs)}


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    res = {}
    for name, lines in sections(sys.argv[1]):
        r = analyse(parse(lines))
        if r:
            res[name] = r
        else:
            print('profile: %s: no request found in %d trace lines' %
                  (name, len(lines)), file=sys.stderr)
    if not res:
        return 1
    names = list(res)
    us = 1e6
    out = ['| segment | ' + ' | '.join('%s median µs | %s mean µs | %s share' % (n, n, n)
                                       for n in names) + ' |',
           '|---|' + '---:|' * (3 * len(names))]
    totals = {n: sum(statistics.mean(r[s] for r in res[n]['reqs'])
                     for s, _ in SEGMENTS) for n in names}
    for s, what in SEGMENTS:
        cells = []
        for n in names:
            v = [r[s] for r in res[n]['reqs']]
            cells += ['%.1f' % (statistics.median(v) * us),
                      '%.1f' % (statistics.mean(v) * us),
                      '%.0f%%' % (100 * statistics.mean(v) / totals[n])]
        out.append('| %s: %s | %s |' % (s, what, ' | '.join(cells)))
    out.append('| total (sum of means) | %s |' % ' | '.join(
        ' | %.1f | 100%%' % (totals[n] * us) for n in names))
    out.append('')
    for n in names:
        r = res[n]
        out.append('%s: %d requests traced (%d dropped), backend thread "%s", '
                   '%.2f L2 exits per request in the guest segment' % (
                       n, r['n'], r['dropped'], r['backend'],
                       statistics.mean(x['gexits'] for x in r['reqs'])))
    out += ['', 'L2 exits of the traced window by reason: count per request, '
            'median µs from exit to the next entry', '',
            '| reason | ' + ' | '.join('%s per req | %s µs' % (n, n) for n in names) + ' |',
            '|---|' + '---:|' * (2 * len(names))]
    allr = sorted({k for n in names for k in res[n]['reasons']},
                  key=lambda k: -sum(len(res[n]['reasons'].get(k, [])) for n in names))
    for k in allr:
        cells = []
        for n in names:
            v = res[n]['reasons'].get(k, [])
            cells += ['%.2f' % (len(v) / res[n]['irqs']),
                      '%.1f' % (statistics.median(v) * us) if v else '-']
        out.append('| %s | %s |' % (k, ' | '.join(cells)))
    print('\n'.join(out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
