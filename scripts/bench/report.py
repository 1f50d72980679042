#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn the serial log of a `make bench` run into CSV, a Markdown table
and a CDF plot (Documentation/performance.rst).

  report.py [--out DIR] [--no-plot] SERIAL_LOG

Lines read (printed by scripts/bench/l1-init):
  BENCH <round> <contender> KVLAT OK mode=M k=v ...
  BENCH <round> <contender> KVLAT CDF mode=M v0 ... v100
  BENCH <round> <contender> stats: ...        (tools/vmm --stats)
  BENCH VM <round> <contender> rc=N secs=S
Round 0 guests boot and stop without I/O: their counters are subtracted
from the measured guests' so that "per I/O" excludes the boot.
"""
import argparse
import csv
import os
import re
import statistics
import sys

KV = re.compile(r'([a-z_0-9]+)=([-0-9.]+)')
OK_KEYS = ['bs', 'n', 'mean_ns', 'p50_ns', 'p90_ns', 'p99_ns', 'p999_ns',
           'min_ns', 'max_ns', 'iops']
VM_KEYS = ['vm_rc', 'vm_secs', 'exits_total', 'exits_io', 'exits_mmio',
           'dev_requests', 'dev_kicks', 'dev_interrupts', 'worker_wakeups',
           'poll_hits']
PER_IO = ['exits_per_io', 'kicks_per_io', 'irqs_per_io', 'wakeups_per_io']
FLOOR = ('kernel', 'getid')


def kv(text):
    return {k: float(v) for k, v in KV.findall(text)}


def parse(path):
    ok, cdf, vm = {}, {}, {}
    order = []
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            p = line.split(None, 3)
            if len(p) < 4 or p[0] != 'BENCH':
                continue
            if p[1] == 'VM':
                r, c, rest = p[2], p[3].split()[0], p[3]
                d = kv(rest)
                s = vm.setdefault((int(r), c), {})
                s['vm_rc'] = d.get('rc')
                s['vm_secs'] = d.get('secs')
                continue
            if not p[1].isdigit():
                continue
            r, c, rest = int(p[1]), p[2], p[3]
            if c not in order and r > 0:
                order.append(c)
            s = vm.setdefault((r, c), {})
            if rest.startswith('KVLAT OK '):
                d = kv(rest)
                mode = re.search(r'mode=(\S+)', rest).group(1)
                ok[(r, c, mode)] = d
            elif rest.startswith('KVLAT CDF '):
                f2 = rest.split()
                mode = f2[2].split('=', 1)[1]
                cdf[(r, c, mode)] = [int(x) for x in f2[3:]]
            elif rest.startswith('stats: exits '):
                d = kv(rest)
                s['exits_total'] = d.get('total')
                s['exits_io'] = d.get('io')
                s['exits_mmio'] = d.get('mmio')
            elif rest.startswith('stats: dev ') and ' blk ' in rest:
                s['_blk'] = True
                s['_blk_seen'] = True
            elif rest.startswith('stats: dev '):
                s['_blk'] = False
            elif s.get('_blk'):
                d = kv(rest)
                body = rest[len('stats:'):].strip()
                if body.startswith('kernel '):
                    s['dev_requests'] = d.get('requests')
                    s['dev_kicks'] = d.get('kicks')
                    s['dev_interrupts'] = d.get('interrupts')
                    s['worker_wakeups'] = d.get('wakeups')
                    s['poll_hits'] = d.get('poll_hits')
                elif body.startswith('user '):
                    s['worker_wakeups'] = d.get('worker_wakeups')
                    s['dev_kicks'] = d.get('kick_eventfds')
                    s['dev_interrupts'] = d.get('msix_signals')
                elif body.startswith('queue '):
                    s['dev_requests'] = s.get('dev_requests', 0) + d.get('chains', 0)
    return ok, cdf, vm, order


def backend_of(c):
    return 'kernel' if c in ('kernel', 'kpoll') else c


def per_io(s, base):
    """Counters per device request, the boot's share (round 0) removed."""
    out = {k: None for k in PER_IO}
    req = s.get('dev_requests')
    if not req:
        return out
    b = base or {}
    dreq = req - (b.get('dev_requests') or 0)
    if dreq <= 0:
        return out
    for k, src in (('exits_per_io', 'exits_total'), ('kicks_per_io', 'dev_kicks'),
                   ('irqs_per_io', 'dev_interrupts'),
                   ('wakeups_per_io', 'worker_wakeups')):
        if s.get(src) is not None:
            out[k] = (s[src] - (b.get(src) or 0)) / dreq
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=1):
    return '-' if x is None else f'{x:.{nd}f}'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='.')
    ap.add_argument('--no-plot', action='store_true')
    ap.add_argument('log')
    a = ap.parse_args()
    ok, cdf, vm, order = parse(a.log)
    if not ok:
        print('report: no kvlat result in', a.log, file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)

    rows = []
    for (r, c, mode), d in sorted(ok.items()):
        if r == 0:
            continue
        s = vm.get((r, c), {})
        row = {'round': r, 'contender': c, 'mode': mode}
        row.update({k: d.get(k) for k in OK_KEYS})
        row.update({k: s.get(k) for k in VM_KEYS})
        row.update(per_io(s, vm.get((0, backend_of(c)))))
        rows.append(row)
    cols = ['round', 'contender', 'mode'] + OK_KEYS + VM_KEYS + PER_IO
    with open(os.path.join(a.out, 'results.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(a.out, 'cdf.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['round', 'contender', 'mode', 'percentile', 'ns'])
        for (r, c, mode), v in sorted(cdf.items()):
            for i, x in enumerate(v):
                w.writerow([r, c, mode, i, x])

    modes = []
    for (_, _, m) in sorted(ok):
        if m not in modes:
            modes.append(m)
    summ = {}
    for c in order:
        for m in modes:
            rs = [x for x in rows if x['contender'] == c and x['mode'] == m]
            if not rs:
                continue
            summ[(c, m)] = {k: med([x[k] for x in rs]) for k in
                            OK_KEYS[2:] + PER_IO}
            summ[(c, m)]['rounds'] = len(rs)
    with open(os.path.join(a.out, 'summary.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['contender', 'mode', 'rounds'] + OK_KEYS[2:] + PER_IO)
        for (c, m), d in summ.items():
            w.writerow([c, m, d['rounds']] + [d[k] for k in OK_KEYS[2:] + PER_IO])

    floor = summ.get(FLOOR, {}).get('p50_ns')
    lines = ['| contender | mode | rounds | p50 µs | p99 µs | mean µs | IOPS |'
             ' p50 / floor | p50 / qemu | exits/IO | kicks/IO | irqs/IO |'
             ' wakeups/IO |',
             '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for (c, m), d in summ.items():
        q = summ.get(('qemu', m), {}).get('p50_ns')
        p50 = d['p50_ns']
        lines.append('| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            c, m, d['rounds'], fmt(p50 / 1e3), fmt(d['p99_ns'] / 1e3),
            fmt(d['mean_ns'] / 1e3), fmt(d['iops'], 0),
            fmt(p50 / floor if floor else None, 2),
            fmt(p50 / q if q else None, 2),
            fmt(d['exits_per_io'], 3), fmt(d['kicks_per_io'], 3),
            fmt(d['irqs_per_io'], 3), fmt(d['wakeups_per_io'], 3)))
    notes = ['',
             'Medians over rounds of per-guest statistics; QD1, 4 KiB, O_DIRECT, '
             'random offsets in a 64 MiB tmpfs-backed file.  floor = kernel/getid '
             'p50 (a VIRTIO_BLK_T_GET_ID round trip the device answers without '
             'its backend).  Per-I/O counters come from tools/vmm --stats, boot '
             'share removed; wakeups = backend worker wakeups (a kthread for '
             'kernel/kpoll, a VMM thread for user).  Nested under QEMU TCG: '
             'compare ratios within this run only.']
    for m in modes:
        k, u = summ.get(('kernel', m)), summ.get(('user', m))
        if k and u and m != 'getid':
            notes.append('%s: kernel p50 / user p50 = %.2f; kernel p50 / floor = %s' % (
                m, k['p50_ns'] / u['p50_ns'],
                fmt(k['p50_ns'] / floor if floor else None, 2)))
    table = '\n'.join(lines + notes) + '\n'
    with open(os.path.join(a.out, 'table.md'), 'w') as f:
        f.write(table)
    print(table)

    if not a.no_plot:
        plot(cdf, order, modes, os.path.join(a.out, 'cdf.png'))
    print('report: %s/{results,summary,cdf}.csv table.md%s' % (
        a.out, '' if a.no_plot else ' cdf.png'))
    return 0


def plot(cdf, order, modes, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    io_modes = [m for m in modes if m != 'getid'] or modes
    fig, axes = plt.subplots(1, len(io_modes), figsize=(6 * len(io_modes), 4.5),
                             squeeze=False)
    pct = list(range(101))
    for ax, m in zip(axes[0], io_modes):
        for c in order:
            runs = [v for (r, cc, mm), v in cdf.items()
                    if cc == c and mm == m and r > 0]
            if not runs:
                continue
            # Per-percentile median over rounds.
            v = [statistics.median(x[i] for x in runs) / 1e3 for i in pct]
            ax.plot(v, pct, label='%s (%d rounds)' % (c, len(runs)))
        fl = [v for (r, cc, mm), v in cdf.items()
              if cc == FLOOR[0] and mm == FLOOR[1] and r > 0]
        if fl and m != 'getid':
            v = [statistics.median(x[i] for x in fl) / 1e3 for i in pct]
            ax.plot(v, pct, 'k--', label='floor: kernel GET_ID')
        ax.set_xscale('log')
        ax.set_xlabel('latency (µs, log)')
        ax.set_ylabel('percentile')
        ax.set_title('QD1 4 KiB %s, O_DIRECT (nested, TCG)' % m)
        ax.grid(True, which='both', alpha=0.3)
        ax.legend(fontsize=8, loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == '__main__':
    sys.exit(main())
