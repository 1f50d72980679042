#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn the serial log of a `make bench` run into CSV, a Markdown table
and a CDF plot (Documentation/performance.rst).

  report.py [--out DIR] [--no-plot] SERIAL_LOG

Lines read (printed by scripts/bench/l1-init):
  BENCH <round> <contender> KVLAT OK mode=M qd=Q k=v ...
  BENCH <round> <contender> KVLAT CDF mode=M v0 ... v100
  BENCH <round> <contender> BENCH1 WIN mode=M cpus=C busy_ticks= exits=
                                       uexits= irqs= secs=
  BENCH <round> <contender> stats: ...        (tools/vmm --stats)
  BENCH VM <round> <contender> rc=N cpus=C secs=S
  BENCH <round> <contender> BENCH1 BOOT cpus=C secs=S bar0_exits=B
                                       (VMM start to /dev/vda probed;
                                       BAR0 accesses that reached tools/vmm)
  BENCH <round> <contender> FIO OK mode=M engine=E bs=B qd=Q n= mean_ns=
                                   p50_ns= p90_ns= p99_ns= p999_ns= min_ns=
                                   max_ns= iops=   (fio, scripts/bench/l2-init)
A window (WIN) holds L1's counters over one mode's measured requests,
read the same way for every contender.  Every guest also has an empty
window (mode idle*: the marks and a pause, no requests), which is taken
off each of its windows.  The VMM's own counters (stats:) cover a whole
guest, boot included, and only feed the CSV.  fio's results get a table
of their own (fio.csv, and a second part of table.md) with the same
contenders' ratios, beside kvlat's ratios for the same requests.

A net run (run.sh --mode net) prints instead:
  BENCH <round> <contender> KVNET OK mode=M <kvnet's line>   (the guest's)
  BENCH <round> <contender> KVNET PEEROK mode=M <kvnet's line>  (L1's end)
  BENCH L1 READY ... warm=W ...
and the same windows, one per mode; see net_report().
"""
import argparse
import csv
import os
import re
import statistics
import sys

KV = re.compile(r'([a-z_0-9]+)=([-0-9.]+)')
OK_KEYS = ['bs', 'qd', 'n', 'mean_ns', 'p50_ns', 'p90_ns', 'p99_ns',
           'p999_ns', 'min_ns', 'max_ns', 'iops']
COUNTS = ['busy_ticks', 'exits', 'uexits', 'irqs']
WIN_KEYS = COUNTS + ['win_secs'] + ['idle_' + k for k in COUNTS]
PER_IO = ['cpu_us_per_io', 'exits_per_io', 'uexits_per_io', 'irqs_per_io']
VM_KEYS = ['guest_requests', 'guest_wakeups', 'guest_poll_hits']
STATS = ['p50_ns', 'p99_ns', 'mean_ns', 'iops'] + PER_IO
FLOOR = ('kernel', 'getid')
# Direct mode against the same contender forwarding BAR0 to the VMM.
FORWARDED = {'kdirect': 'kinline', 'kdirect-pio': 'kinline-pio',
             'kdirect-intx': 'kinline-intx'}
# The same device through vhost-vdpa (tools/vmm --vdpa) against
# /dev/kvirtio: worker-served (kernel) and served in the kicking vCPU
# (kinline).
VDPA_VS = {'kvdpa': ('kernel', 'kinline')}
FIO_KEYS = ['bs', 'qd', 'n', 'mean_ns', 'p50_ns', 'p90_ns', 'p99_ns',
            'p999_ns', 'min_ns', 'max_ns', 'iops']
FIO_STATS = ['p50_ns', 'p90_ns', 'p99_ns', 'mean_ns', 'iops']
# /proc/stat counts in USER_HZ ticks, 100 per second on x86.
USER_HZ = 100


def kv(text):
    return {k: float(v) for k, v in KV.findall(text)}


def mode_of(text):
    return re.search(r'mode=(\S+)', text).group(1)


def parse(path):
    ok, cdf, win, idle, vm, fio, boot = {}, {}, {}, {}, {}, {}, {}
    order = []
    with open(path, errors='replace') as f:
        for line in f:
            p = line.rstrip('\n').split(None, 3)
            if len(p) < 4 or p[0] != 'BENCH' or not p[1].isdigit():
                continue
            r, c, rest = int(p[1]), p[2], p[3]
            if c not in order:
                order.append(c)
            s = vm.setdefault((r, c), {})
            if rest.startswith(('KVLAT OK ', 'FIO OK ')) and 'iops=' not in rest:
                # Cut short (iops comes last): the guest or L1 died
                # while printing it.
                continue
            if rest.startswith('KVLAT OK '):
                ok[(r, c, mode_of(rest))] = kv(rest)
            elif rest.startswith('FIO OK '):
                d = kv(rest)
                d['engine'] = re.search(r'engine=(\S+)', rest).group(1)
                fio[(r, c, mode_of(rest))] = d
            elif rest.startswith('KVLAT CDF '):
                f2 = rest.split()
                cdf[(r, c, mode_of(rest))] = [int(x) for x in f2[3:]]
            elif rest.startswith('BENCH1 BOOT '):
                d = kv(rest)
                boot.setdefault((c, int(d.get('cpus', 1))), []).append(d)
            elif rest.startswith('BENCH1 WIN '):
                d = kv(rest)
                d['win_secs'] = d.pop('secs', None)
                m = mode_of(rest)
                if m.startswith('idle'):
                    idle[(r, c, d.get('cpus'))] = d
                else:
                    win[(r, c, m)] = d
            elif rest.startswith('stats:'):
                # Kernel backend: requests, wakeups, poll_hits; user
                # backend: chains per queue, worker_wakeups.  Summed over
                # the round's guests.
                d = kv(rest)
                body = rest[len('stats:'):].strip()
                for key, src, prefix in (
                        ('guest_requests', 'requests', 'kernel '),
                        ('guest_wakeups', 'wakeups', 'kernel '),
                        ('guest_poll_hits', 'poll_hits', 'kernel '),
                        ('guest_requests', 'chains', 'queue '),
                        ('guest_wakeups', 'worker_wakeups', 'user ')):
                    if body.startswith(prefix) and src in d:
                        s[key] = s.get(key, 0) + d[src]
    # Each window with its guest's empty window.
    for (r, c, m), d in win.items():
        e = idle.get((r, c, d.get('cpus')), {})
        for k in COUNTS:
            d['idle_' + k] = e.get(k)
    return ok, cdf, win, vm, fio, order, boot


def boot_report(boot, order):
    """Markdown lines: boot time and BAR0 exits of the one-vCPU guests."""
    rows = {}
    for c in order:
        bs = boot.get((c, 1), [])
        if bs:
            b0 = [b['bar0_exits'] for b in bs if 'bar0_exits' in b]
            rows[c] = (len(bs), med([b['secs'] for b in bs]),
                       med(b0) if b0 else None)
    if not rows:
        return []
    lines = ['', 'Boot (one vCPU): from the VMM\'s start to /dev/vda probed in '
             'the guest; BAR0 exits: virtio config accesses that exited to '
             'tools/vmm during that guest\'s life (medians over rounds):', '',
             '| contender | rounds | boot s | BAR0 exits | boot / forwarded |',
             '|---|---:|---:|---:|---:|']
    for c, (n, secs, b0) in rows.items():
        fwd = rows.get(FORWARDED.get(c))
        lines.append('| %s | %d | %s | %s | %s |' % (
            c, n, fmt(secs, 2), fmt(b0, 0),
            fmt(ratio(secs, fwd[1]), 2) if fwd else '-'))
    return lines


def per_io(w, n):
    """A window's counters per request, its guest's empty window removed."""
    out = {k: None for k in PER_IO}
    if not w or not n:
        return out
    net = {k: w[k] - (w['idle_' + k] or 0) for k in COUNTS}
    out['cpu_us_per_io'] = net['busy_ticks'] * 1e6 / USER_HZ / n
    out['exits_per_io'] = net['exits'] / n
    out['uexits_per_io'] = net['uexits'] / n
    out['irqs_per_io'] = net['irqs'] / n
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=1):
    return '-' if x is None else f'{x:.{nd}f}'


def ratio(a, b):
    return a / b if a is not None and b else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='.')
    ap.add_argument('--no-plot', action='store_true')
    ap.add_argument('log')
    a = ap.parse_args()
    ok, cdf, win, vm, fio, order, boot = parse(a.log)
    net = parse_net(a.log)
    if not ok and not fio and not net['ok']:
        print('report: no kvlat, fio or kvnet result in', a.log,
              file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    if not ok and not fio:
        # A net run: its own files only.
        table = net_report(net, win, order, a.out)
        with open(os.path.join(a.out, 'table.md'), 'w') as f:
            f.write(table)
        print(table)
        if not a.no_plot:
            net_plot(net, order, os.path.join(a.out, 'net.png'))
        print('report: %s/{net,net-summary}.csv table.md%s' % (
            a.out, '' if a.no_plot else ' net.png'))
        return 0

    rows = []
    for (r, c, mode), d in sorted(ok.items()):
        w = win.get((r, c, mode))
        row = {'round': r, 'contender': c, 'mode': mode}
        row.update({k: d.get(k) for k in OK_KEYS})
        row.update({k: (w or {}).get(k) for k in WIN_KEYS})
        row.update(per_io(w, d.get('n')))
        row.update({k: vm.get((r, c), {}).get(k) for k in VM_KEYS})
        rows.append(row)
    cols = ['round', 'contender', 'mode'] + OK_KEYS + WIN_KEYS + PER_IO + VM_KEYS
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

    # Modes in the order the guests ran them.
    modes, qd = [], {}
    for (_, _, m), d in ok.items():
        if m not in modes:
            modes.append(m)
        qd[m] = int(d.get('qd') or 1)
    summ = {}
    for c in order:
        for m in modes:
            rs = [x for x in rows if x['contender'] == c and x['mode'] == m]
            if rs:
                summ[(c, m)] = {k: med([x[k] for x in rs]) for k in STATS}
                summ[(c, m)]['rounds'] = len(rs)
    with open(os.path.join(a.out, 'summary.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['contender', 'mode', 'rounds'] + STATS)
        for (c, m), d in summ.items():
            w.writerow([c, m, d['rounds']] + [d[k] for k in STATS])

    def get(c, m, k):
        return summ.get((c, m), {}).get(k)

    def peer(c, base):
        return peer_of(c, base, {x for x, _ in summ})

    floor = get(*FLOOR, 'p50_ns')
    # Deeper queues against the floor: IOPS over the floor's own (one
    # round trip at a time), i.e. how much the requests in flight overlap.
    floor_iops = get(*FLOOR, 'iops')

    def counters(d):
        return '%s | %s | %s | %s' % (
            fmt(d['cpu_us_per_io'], 0), fmt(d['exits_per_io'], 2),
            fmt(d['uexits_per_io'], 3), fmt(d['irqs_per_io'], 3))

    lines = ['Queue depth 1 (one vCPU, one queue):', '',
             '| contender | mode | rounds | p50 µs | p99 µs | mean µs | IOPS |'
             ' p50 / floor | p50 / qemu | p50 / user | L1 CPU µs/IO |'
             ' exits/IO | user exits/IO | irqs/IO |',
             '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for (c, m), d in summ.items():
        if qd[m] != 1:
            continue
        p50 = d['p50_ns']
        lines.append('| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            c, m, d['rounds'], fmt(p50 / 1e3), fmt(d['p99_ns'] / 1e3),
            fmt(d['mean_ns'] / 1e3), fmt(d['iops'], 0),
            fmt(ratio(p50, floor), 2),
            fmt(ratio(p50, get(peer(c, 'qemu'), m, 'p50_ns')), 2),
            fmt(ratio(p50, get(peer(c, 'user'), m, 'p50_ns')), 2), counters(d)))
    deep = [m for m in modes if qd[m] != 1]
    if deep:
        lines += ['', 'Deeper queues (mq2: two vCPUs, two queues):', '',
                  '| contender | mode | rounds | IOPS | IOPS / floor | IOPS / qemu |'
                  ' IOPS / user | mean µs | p99 µs | L1 CPU µs/IO | exits/IO |'
                  ' user exits/IO | irqs/IO |',
                  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
        for (c, m), d in summ.items():
            if qd[m] == 1:
                continue
            lines.append('| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |' % (
                c, m, d['rounds'], fmt(d['iops'], 0),
                fmt(ratio(d['iops'], floor_iops), 2),
                fmt(ratio(d['iops'], get(peer(c, 'qemu'), m, 'iops')), 2),
                fmt(ratio(d['iops'], get(peer(c, 'user'), m, 'iops')), 2),
                fmt(d['mean_ns'] / 1e3), fmt(d['p99_ns'] / 1e3), counters(d)))
    notes = ['',
             'Medians over rounds of per-guest statistics; 4 KiB, O_DIRECT, '
             'random offsets in a 64 MiB tmpfs-backed file.  floor = kernel/getid '
             'p50 (a VIRTIO_BLK_T_GET_ID round trip the device answers without '
             'its backend); for deeper queues, IOPS / floor is over the '
             'floor\'s IOPS.  Per-I/O counters are L1\'s, over the measured '
             'requests, minus an empty window of the same guest: CPU time of '
             'both L1 CPUs, L2 exits to L1, exits to L1 userspace (KVM_RUN '
             'returns), device interrupts accepted by the guest\'s APIC.  '
             'Nested under QEMU TCG: compare ratios within this run only.  '
             'A "-pio" contender kicks by port I/O and is compared with '
             'qemu-pio and user-pio when they ran; the others kick by MMIO.', '']
    for c, base in FORWARDED.items():
        for m in modes:
            k, f = get(c, m, 'p50_ns'), get(base, m, 'p50_ns')
            if k is None or f is None or m == FLOOR[1]:
                continue
            notes.append('%s %s: p50 / %s (forwarded) %s, IOPS / %s %s' % (
                c, m, base, fmt(ratio(k, f), 2), base,
                fmt(ratio(get(c, m, 'iops'), get(base, m, 'iops')), 2)))
    for c, bases in VDPA_VS.items():
        for m in modes:
            k = get(c, m, 'p50_ns')
            if k is None or m == FLOOR[1]:
                continue
            notes.append('%s %s (through vhost-vdpa): %s' % (c, m, ', '.join(
                'p50 / %s %s, IOPS / %s %s' % (
                    b, fmt(ratio(k, get(b, m, 'p50_ns')), 2), b,
                    fmt(ratio(get(c, m, 'iops'), get(b, m, 'iops')), 2))
                for b in bases if get(b, m, 'p50_ns') is not None)))
    for c in ('kernel', 'kinline', 'kinline-pio', 'kdirect', 'kdirect-pio',
              'kinline-intx', 'kdirect-intx'):
        for m in modes:
            k = get(c, m, 'p50_ns')
            if k is None or qd[m] != 1 or m == FLOOR[1]:
                continue
            notes.append('%s %s: p50 / %s %s, / %s %s, / floor %s' % (
                c, m, peer(c, 'qemu'),
                fmt(ratio(k, get(peer(c, 'qemu'), m, 'p50_ns')), 2),
                peer(c, 'user'),
                fmt(ratio(k, get(peer(c, 'user'), m, 'p50_ns')), 2),
                fmt(ratio(k, floor), 2)))
    table = '\n'.join(lines + notes + boot_report(boot, order)) + '\n' \
        if ok else ''
    table += fio_report(fio, win, order, get, a.out)
    if net['ok']:
        table += net_report(net, win, order, a.out)
    with open(os.path.join(a.out, 'table.md'), 'w') as f:
        f.write(table)
    print(table)

    if not a.no_plot and cdf:
        plot(cdf, order, modes, qd, os.path.join(a.out, 'cdf.png'))
    print('report: %s/{results,summary,cdf,fio}.csv table.md%s' % (
        a.out, '' if a.no_plot or not cdf else ' cdf.png'))
    return 0


def peer_of(c, base, names):
    """Like with like: a port-notify contender (name ending in -pio)
    against base-pio when that ran, any other against base."""
    if c.endswith('-pio') and base + '-pio' in names:
        return base + '-pio'
    return base


def fio_report(fio, win, order, kvlat, out):
    """Write fio.csv; return the Markdown of fio's table and of both
    clients' ratios ('' without fio).  kvlat(c, m, k): kvlat's median;
    win: the marked windows (a fio run is marked like kvlat's)."""
    for (r, c, m), d in fio.items():
        d.update(per_io(win.get((r, c, m)), d.get('n')))
    with open(os.path.join(out, 'fio.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['round', 'contender', 'mode', 'engine'] + FIO_KEYS +
                   PER_IO)
        for (r, c, m), d in sorted(fio.items()):
            w.writerow([r, c, m, d['engine']] +
                       [d.get(k) for k in FIO_KEYS + PER_IO])
    if not fio:
        return ''
    modes, eng, qd = [], {}, {}
    for (_, _, m), d in fio.items():
        if m not in modes:
            modes.append(m)
        eng[m], qd[m] = d['engine'], int(d.get('qd') or 1)
    summ = {}
    for c in order:
        for m in modes:
            rs = [d for (_, cc, mm), d in fio.items() if (cc, mm) == (c, m)]
            if rs:
                summ[(c, m)] = {k: med([d.get(k) for d in rs])
                                for k in FIO_STATS + PER_IO}
                summ[(c, m)]['rounds'] = len(rs)

    def get(c, m, k):
        return summ.get((c, m), {}).get(k)

    def peer(c, base):
        return peer_of(c, base, {x for x, _ in summ})

    lines = ['', 'fio (Debian\'s fio, in the same one-vCPU guests as kvlat):', '',
             '| contender | mode | engine | QD | rounds | p50 µs | p90 µs |'
             ' p99 µs | mean µs | IOPS | p50 / qemu | p50 / user |'
             ' IOPS / qemu | IOPS / user | L1 CPU µs/IO | exits/IO |'
             ' irqs/IO |',
             '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for (c, m), d in summ.items():
        lines.append('| %s | %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            c, m, eng[m], qd[m], d['rounds'], fmt(d['p50_ns'] / 1e3),
            fmt(d['p90_ns'] / 1e3), fmt(d['p99_ns'] / 1e3),
            fmt(d['mean_ns'] / 1e3), fmt(d['iops'], 0),
            fmt(ratio(d['p50_ns'], get(peer(c, 'qemu'), m, 'p50_ns')), 2),
            fmt(ratio(d['p50_ns'], get(peer(c, 'user'), m, 'p50_ns')), 2),
            fmt(ratio(d['iops'], get(peer(c, 'qemu'), m, 'iops')), 2),
            fmt(ratio(d['iops'], get(peer(c, 'user'), m, 'iops')), 2),
            fmt(d['cpu_us_per_io'], 0), fmt(d['exits_per_io'], 2),
            fmt(d['irqs_per_io'], 3)))

    # Each fio mode beside kvlat's mode for the same requests (fio-read-
    # libaio: read): p50 ratios at QD1, IOPS ratios deeper.
    groups = {}
    for m in modes:
        km = '-'.join(t for t in m[len('fio-'):].split('-') if t != eng[m])
        groups.setdefault(km, []).append(m)
    cols = []
    for km, ms in groups.items():
        key, name = ('p50_ns', 'p50') if qd[ms[0]] == 1 else ('iops', 'IOPS')
        cols.append(('kvlat %s %s' % (km, name), kvlat, km, key))
        cols += [('%s %s' % (m, name), get, m, key) for m in ms]
    lines += ['', 'Both clients: ratios of the same requests (p50 at QD1, '
              'IOPS deeper; medians over rounds):', '',
              '| contender | ratio to | %s |' % ' | '.join(h for h, *_ in cols),
              '|---|---|' + '---:|' * len(cols)]
    for c in order:
        for b in (peer(c, 'qemu'), peer(c, 'user')):
            if c == b or not any((b, m) in summ for m in modes):
                continue
            lines.append('| %s | %s | %s |' % (c, b, ' | '.join(
                fmt(ratio(src(c, m, k), src(b, m, k)), 2)
                for _, src, m, k in cols)))
    lines += ['', 'fio: 4 KiB random, O_DIRECT, on /dev/vda, a count of '
              'requests after a warm-up job; total latency (lat_ns, '
              'submission to completion, as kvlat times it), from fio\'s '
              'histogram (buckets about 1.6% wide).  L1\'s counters cover the '
              'measured fio run, its start-up included, minus the guest\'s '
              'empty window; "-hipri": io_uring polls for completions '
              '(a poll queue in kpollq\'s guest, interrupts elsewhere).', '']
    return '\n'.join(lines)


NET_RR = ['udp-rr', 'tcp-rr']
NET_STREAM = ['tcp-tx', 'tcp-rx']
NET_PPS = 'udp-pps'
# What every net mode's L1 counters are divided by, and its name.
NET_UNIT = {'udp-rr': 'round trip', 'tcp-rr': 'round trip',
            'tcp-tx': 'MB', 'tcp-rx': 'MB', 'udp-pps': 'packet'}
NET_COLS = ['udp_rr_p50_us', 'udp_rr_p99_us', 'udp_rr_mean_us',
            'tcp_rr_p50_us', 'tcp_rr_p99_us', 'tcp_rr_mean_us',
            'tcp_tx_mbps', 'tcp_rx_mbps', 'udp_pps_sent', 'udp_pps_rcvd']
NET_PER = dict(zip(PER_IO, ['cpu_us', 'exits', 'uexits', 'irqs']))
# The yardsticks of issue 12 and the kvirtio contenders held to them.
VHOST, QNET = 'qemu-vhost', 'qemu-net'
KVIRTIO_NET = ['knet', 'knet-inline']


def parse_net(path):
    """The kvnet lines of a net run: {'ok': {(r, c, mode): {...}},
    'peer': {(r, c, mode): {...}}, 'warm': W}."""
    out = {'ok': {}, 'peer': {}, 'warm': 0}
    with open(path, errors='replace') as f:
        for line in f:
            p = line.rstrip('\n').split(None, 4)
            if len(p) >= 3 and p[:3] == ['BENCH', 'L1', 'READY']:
                m = re.search(r' warm=(\d+)', line)
                out['warm'] = int(m.group(1)) if m else 0
                continue
            if len(p) < 5 or p[0] != 'BENCH' or not p[1].isdigit() or \
                    p[3] != 'KVNET':
                continue
            kind, rest = p[4].split(None, 1) if ' ' in p[4] else (p[4], '')
            if kind not in ('OK', 'PEEROK') or not rest.startswith('mode='):
                continue
            mode, _, body = rest.partition(' ')
            d = kv(body)
            # A line cut short (the guest died printing it) has no last
            # field: kvnet's lines end with mbps, pps or max_us.
            if not any(k in d for k in ('mbps', 'pps', 'max_us')):
                continue
            key = (int(p[1]), p[2], mode[len('mode='):])
            out['ok' if kind == 'OK' else 'peer'][key] = d
    return out


def net_row(net, win, r, c):
    """One round of one contender: the figures of NET_COLS and, per
    mode, its L1 counters per unit (NET_UNIT)."""
    g = net['ok']
    row = {}
    for m in NET_RR:
        d = g.get((r, c, m))
        for k in ('p50', 'p99', 'mean'):
            row['%s_%s_us' % (m.replace('-', '_'), k)] = \
                d.get(k + '_us') if d else None
    # Throughput as the sender measured it (bytes it wrote over its
    # seconds): the guest for tcp-tx, L1 for tcp-rx.
    d = g.get((r, c, 'tcp-tx'))
    row['tcp_tx_mbps'] = d.get('mbps') if d else None
    d = net['peer'].get((r, c, 'tcp-rx'))
    row['tcp_rx_mbps'] = d.get('mbps') if d else None
    d = g.get((r, c, NET_PPS))
    row['udp_pps_sent'] = d.get('pps') if d else None
    # Received: L1's count over its first to last datagram.
    e = net['peer'].get((r, c, NET_PPS))
    row['udp_pps_rcvd'] = e.get('pps') if e else None
    for m in NET_RR:
        d = g.get((r, c, m))
        row['%s_lost' % m.replace('-', '_')] = d.get('lost') if d else None
    for m in NET_UNIT:
        units = None
        d = g.get((r, c, m))
        if m in NET_RR and d:
            units = d.get('n', 0) + net['warm']
        elif m == 'tcp-tx' and d:
            units = d.get('bytes', 0) / 1e6
        elif m == 'tcp-rx':
            e = net['peer'].get((r, c, m))
            units = e.get('bytes', 0) / 1e6 if e else None
        elif m == NET_PPS and d:
            units = d.get('sent')
        pio = per_io(win.get((r, c, m)), units)
        for k in PER_IO:
            row['%s_%s' % (m.replace('-', '_'), NET_PER[k])] = pio[k]
    return row


def net_report(net, win, order, out):
    """Write net.csv (per round) and net-summary.csv (medians); return
    the Markdown tables: results, ratios to vhost-net and QEMU, L1's
    counters per unit and the targets of issue 12."""
    keys = sorted({(r, c) for (r, c, _) in list(net['ok']) + list(net['peer'])})
    rows = []
    for r, c in keys:
        row = {'round': r, 'contender': c}
        row.update(net_row(net, win, r, c))
        rows.append(row)
    cnt = [k for k in rows[0] if k not in ('round', 'contender')] if rows else []
    with open(os.path.join(out, 'net.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=['round', 'contender'] + cnt)
        w.writeheader()
        w.writerows(rows)
    conts = [c for c in order if any(x['contender'] == c for x in rows)]
    summ = {}
    for c in conts:
        rs = [x for x in rows if x['contender'] == c]
        summ[c] = {k: med([x[k] for x in rs]) for k in cnt}
        summ[c]['rounds'] = len(rs)
    with open(os.path.join(out, 'net-summary.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['contender', 'rounds'] + cnt)
        for c in conts:
            w.writerow([c, summ[c]['rounds']] + [summ[c][k] for k in cnt])

    def get(c, k):
        return summ.get(c, {}).get(k)

    lines = ['Net (one vCPU, one queue pair, tap0 in L1; medians over rounds):',
             '',
             '| contender | rounds | UDP rr p50 µs | p99 | mean |'
             ' TCP rr p50 µs | p99 | mean | TCP tx Mbit/s | TCP rx Mbit/s |'
             ' UDP pps sent | UDP pps rcvd |',
             '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for c in conts:
        d = summ[c]
        lines.append('| %s | %d | %s |' % (c, d['rounds'], ' | '.join(
            fmt(d[k], 0 if 'pps' in k else 1) for k in NET_COLS)))
    ratio_cols = [('UDP rr p50', 'udp_rr_p50_us'), ('TCP rr p50', 'tcp_rr_p50_us'),
                  ('TCP tx', 'tcp_tx_mbps'), ('TCP rx', 'tcp_rx_mbps'),
                  ('UDP pps rcvd', 'udp_pps_rcvd')]
    lines += ['', 'Ratios (latency: lower is better; throughput: higher):', '',
              '| contender | ratio to | %s |' % ' | '.join(h for h, _ in ratio_cols),
              '|---|---|' + '---:|' * len(ratio_cols)]
    for c in conts:
        for b in (VHOST, QNET):
            if c == b or b not in summ:
                continue
            lines.append('| %s | %s | %s |' % (c, b, ' | '.join(
                fmt(ratio(get(c, k), get(b, k)), 2) for _, k in ratio_cols)))
    lines += ['', 'L1 per unit of work (round trip for rr, MB for the streams,'
              ' packet sent for udp-pps), each window minus its guest\'s '
              'empty one:', '',
              '| contender | mode | L1 CPU µs | exits | user exits | irqs |',
              '|---|---|---:|---:|---:|---:|']
    for c in conts:
        for m in NET_UNIT:
            pre = m.replace('-', '_') + '_'
            v = [get(c, pre + NET_PER[k]) for k in PER_IO]
            if all(x is None for x in v):
                continue
            lines.append('| %s | %s | %s | %s | %s | %s |' % (
                c, m, fmt(v[0], 1), fmt(v[1], 3), fmt(v[2], 3), fmt(v[3], 3)))
    lines += ['', 'Targets of issue 12 (this run):', '',
              '| contender | target | limit | measured | met |',
              '|---|---|---:|---:|---|']
    for c in KVIRTIO_NET:
        if c not in summ:
            continue
        for what, k, b, lim, le in (
                ('UDP rr p50 / vhost-net', 'udp_rr_p50_us', VHOST, 0.8, True),
                ('UDP rr p50 / QEMU userspace', 'udp_rr_p50_us', QNET, 0.5, True),
                ('TCP tx (guest to L1) / vhost-net', 'tcp_tx_mbps', VHOST, 1.0, False),
                ('TCP rx (L1 to guest) / vhost-net', 'tcp_rx_mbps', VHOST, 1.0, False)):
            x = ratio(get(c, k), get(b, k))
            lines.append('| %s | %s | %s %.1f | %s | %s |' % (
                c, what, '<=' if le else '>=', lim, fmt(x, 2), verdict(x, lim, le)))
    lines += ['', 'rr: 64-byte request and answer, one at a time (kvnet rr, '
              'CLOCK_MONOTONIC around each), after %d warm-up round trips.  '
              'Streams: TCP for the run\'s seconds, the sender\'s bytes '
              'over its seconds.  udp-pps: 64-byte UDP payloads from the '
              'guest as fast as it can send; rcvd is what L1\'s socket got '
              'from its first to its last datagram.  L1\'s counters: both CPUs\' busy '
              'time (the L1 end of the test included, the same for every '
              'contender), L2 exits, KVM_RUN returns to userspace, device '
              'interrupts accepted by the guest\'s APIC.  Nested under QEMU '
              'TCG: compare ratios within this run only.' % net['warm'], '']
    return '\n'.join(lines)


def verdict(x, lim, le):
    """'yes', or by how much a ratio x misses limit lim (le: at most)."""
    if x is None:
        return 'not measured'
    if (x <= lim) if le else (x >= lim):
        return 'yes'
    if le:
        return 'no: %.0f%% over' % ((x / lim - 1) * 100)
    return 'no: %.0f%% short' % ((1 - x / lim) * 100)


def net_plot(net, order, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rounds = sorted({r for (r, _, _) in net['ok']})
    conts = [c for c in order if any(c == cc for (_, cc, _) in net['ok'])]
    rows = {c: [net_row(net, {}, r, c) for r in rounds] for c in conts}

    def m(c, k):
        return med([x[k] for x in rows[c]])

    panels = [('request-response p50 (µs), whisker p99',
               [('UDP', 'udp_rr_p50_us', 'udp_rr_p99_us'),
                ('TCP', 'tcp_rr_p50_us', 'tcp_rr_p99_us')]),
              ('TCP stream (Mbit/s)', [('guest to L1', 'tcp_tx_mbps', None),
                                       ('L1 to guest', 'tcp_rx_mbps', None)]),
              ('64-byte UDP (packets/s)', [('sent', 'udp_pps_sent', None),
                                           ('received by L1', 'udp_pps_rcvd', None)])]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    width = 0.8 / max(1, len(conts))
    for ax, (title, series) in zip(axes, panels):
        for i, c in enumerate(conts):
            xs = [j + i * width for j in range(len(series))]
            ys = [m(c, k) or 0 for _, k, _ in series]
            err = None
            if series[0][2]:
                hi = [(m(c, e) or 0) - y for (_, _, e), y in zip(series, ys)]
                err = [[0] * len(ys), [max(0, h) for h in hi]]
            ax.bar(xs, ys, width, yerr=err, capsize=3, label=c)
        ax.set_xticks([j + width * (len(conts) - 1) / 2 for j in range(len(series))])
        ax.set_xticklabels([n for n, _, _ in series])
        ax.set_title(title + ' (nested, TCG)', fontsize=10)
        ax.grid(True, axis='y', alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot(cdf, order, modes, qd, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    io_modes = [m for m in modes if m != FLOOR[1]] or modes
    ncol = min(2, len(io_modes))
    nrow = (len(io_modes) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(6.5 * ncol, 4.5 * nrow),
                             squeeze=False)
    pct = list(range(101))
    fl = [v for (r, c, m), v in cdf.items() if (c, m) == FLOOR]
    for i, m in enumerate(io_modes):
        ax = axes[i // ncol][i % ncol]
        for c in order:
            runs = [v for (r, cc, mm), v in cdf.items() if cc == c and mm == m]
            if not runs:
                continue
            # Per-percentile median over rounds.
            v = [statistics.median(x[j] for x in runs) / 1e3 for j in pct]
            ax.plot(v, pct, label='%s (%d rounds)' % (c, len(runs)))
        # The floor is one request at a time: no yardstick for deep queues.
        if fl and qd[m] == 1:
            v = [statistics.median(x[j] for x in fl) / 1e3 for j in pct]
            ax.plot(v, pct, 'k--', label='floor: kernel GET_ID')
        ax.set_xscale('log')
        ax.set_xlabel('latency (µs, log)')
        ax.set_ylabel('percentile')
        ax.set_title('4 KiB %s, O_DIRECT (nested, TCG)' % m)
        ax.grid(True, which='both', alpha=0.3)
        ax.legend(fontsize=8, loc='lower right')
    for i in range(len(io_modes), nrow * ncol):
        axes[i // ncol][i % ncol].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == '__main__':
    sys.exit(main())
